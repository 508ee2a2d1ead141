"""scale out: the Citus plan read from the catalog, and policies whose sub-selects name the tenant

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01

The generic body: upgrade.sql and downgrade.sql in 0014_scale_out/ were written by
`python -m tools.freeze 0014` from the list in 0014_scale_out/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
