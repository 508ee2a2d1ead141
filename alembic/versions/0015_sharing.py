"""sharing: revocable read grants between tenants, enforced by the memories fence

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01

The generic body: upgrade.sql and downgrade.sql in 0015_sharing/ were written by
`python -m tools.freeze 0015` from the list in 0015_sharing/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
