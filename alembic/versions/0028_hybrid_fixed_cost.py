"""hybrid_fixed_cost: small tenants' text half in one pass; candidate memories read once

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-02

The generic body: upgrade.sql and downgrade.sql in 0028_hybrid_fixed_cost/ were written by
`python -m tools.freeze 0028` from the list in 0028_hybrid_fixed_cost/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
