"""foundation: roles, tenants, users, identities, memories, RLS, the core API functions

Revision ID: 0001
Revises:
Create Date: 2026-11-21

The SQL is frozen in the folder 0001_foundation/ beside this file and runs in name order.
Its downgrade keeps schema cogdb (Alembic's version table is in it) and the roles.
"""
from cogdb.migrations import run_frozen_sql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UPGRADE_FILES = (
    "00_prelude.sql",
    "10_functions.sql",
    "20_tables.sql",
    "25_functions_on_tables.sql",
    "30_policies.sql",
    "40_grants.sql",
)


def upgrade() -> None:
    for name in UPGRADE_FILES:
        run_frozen_sql(__file__, name)


def downgrade() -> None:
    run_frozen_sql(__file__, "downgrade.sql")
