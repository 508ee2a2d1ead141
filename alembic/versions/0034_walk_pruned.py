"""walk_pruned: a walk's memory probes read the tenant's partition, by primary key

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-02

The generic body: upgrade.sql and downgrade.sql in 0034_walk_pruned/ were written by
`python -m tools.freeze 0034` from the list in 0034_walk_pruned/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
