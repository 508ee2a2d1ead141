"""import: chat-import toggle enforced in the database, provisioning definer functions, bulk import

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

The SQL is frozen in the folder 0002_import/ beside this file (CONVENTIONS rule 5);
tools/freeze_0002.sh wrote it from sql/ while this revision was being written.
"""
from cogdb.migrations import run_frozen_sql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_frozen_sql(__file__, "upgrade.sql")


def downgrade() -> None:
    run_frozen_sql(__file__, "downgrade.sql")
