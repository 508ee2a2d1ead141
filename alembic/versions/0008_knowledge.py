"""knowledge: entities, time-bounded relationships, traversal, hybrid search, access log, stats

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

The generic body: upgrade.sql and downgrade.sql in 0008_knowledge/ were written by
`python -m tools.freeze 0008` from the list in 0008_knowledge/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
