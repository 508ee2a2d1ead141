"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

The SQL this revision applies is frozen in the folder of the same name beside this file;
never read sql/ at upgrade time (see CONVENTIONS.md). Add the new files to FROZEN.sha256.
"""
from cogdb.migrations import run_frozen_sql

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_frozen_sql(__file__, "upgrade.sql")


def downgrade() -> None:
    run_frozen_sql(__file__, "downgrade.sql")
