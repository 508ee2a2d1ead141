"""shared rules as SQL helpers: context borrowing, model resolution, the no-context refusal

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

The generic body: upgrade.sql and downgrade.sql in 0004_shared_rules/ were written by
`python -m tools.freeze 0004` from the list in 0004_shared_rules/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
