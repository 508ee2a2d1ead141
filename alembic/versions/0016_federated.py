"""federated insights: aggregates over k or more tenants, noise under a privacy budget

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01

The generic body: upgrade.sql and downgrade.sql in 0016_federated/ were written by
`python -m tools.freeze 0016` from the list in 0016_federated/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
