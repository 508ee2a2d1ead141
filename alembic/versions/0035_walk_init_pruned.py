"""walk_init_pruned: walks and relate() set up the tenant's partition of memories only

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-02

The generic body: upgrade.sql and downgrade.sql in 0035_walk_init_pruned/ were written by
`python -m tools.freeze 0035` from the list in 0035_walk_init_pruned/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
