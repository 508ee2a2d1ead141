"""entities_settle: a settling cutover leaves the entities, and the settle moves them

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-02

The generic body: upgrade.sql and downgrade.sql in 0033_entities_settle/ were written by
`python -m tools.freeze 0033` from the list in 0033_entities_settle/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
