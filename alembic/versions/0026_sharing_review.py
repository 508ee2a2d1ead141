"""sharing_review: grant expiry at each statement; merge and reindex name their tenant

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02

The generic body: upgrade.sql and downgrade.sql in 0026_sharing_review/ were written by
`python -m tools.freeze 0026` from the list in 0026_sharing_review/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
