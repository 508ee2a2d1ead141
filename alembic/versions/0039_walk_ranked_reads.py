"""walk_ranked_reads: a walk reads each node's strongest relationships first, and stops

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-03

The generic body: upgrade.sql and downgrade.sql in 0039_walk_ranked_reads/ were written by
`python -m tools.freeze 0039` from the list in 0039_walk_ranked_reads/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
