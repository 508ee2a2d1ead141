"""knowledge: entities, time-bounded relationships, traversal, hybrid search, access log, stats

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

The generic body: upgrade.sql and downgrade.sql in 0006_knowledge/ were written by
`python -m tools.freeze 0006` from the list in 0006_knowledge/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
