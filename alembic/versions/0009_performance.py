"""performance: memories partitioned by tenant, one-partition plans, cheaper validation

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

The generic body: upgrade.sql and downgrade.sql in 0009_performance/ were written by
`python -m tools.freeze 0009` from the list in 0009_performance/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
