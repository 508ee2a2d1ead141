"""retention: per-tenant retention policies, legal holds, bounded purges; the DBA report

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

The generic body: upgrade.sql and downgrade.sql in 0013_retention/ were written by
`python -m tools.freeze 0013` from the list in 0013_retention/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
