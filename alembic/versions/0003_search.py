"""adaptive scoped search: per-tenant ANN indexes planned by `cogdb maintain`, exact below

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

The SQL is frozen in the folder 0003_search/ beside this file and runs in name order;
tools/freeze_0003.sh wrote 20_functions.sql from sql/ while this revision was being written.
"""
from cogdb.migrations import run_frozen_sql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UPGRADE_FILES = ("10_tables.sql", "20_functions.sql", "30_triggers.sql")


def upgrade() -> None:
    for name in UPGRADE_FILES:
        run_frozen_sql(__file__, name)


def downgrade() -> None:
    run_frozen_sql(__file__, "downgrade.sql")
