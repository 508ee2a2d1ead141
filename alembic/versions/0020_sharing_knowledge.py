"""sharing_knowledge: a privacy budget charge the asker cannot undo

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-01

The generic body: upgrade.sql and downgrade.sql in 0020_sharing_knowledge/ were written by
`python -m tools.freeze 0020` from the list in 0020_sharing_knowledge/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0020"
down_revision = "0018"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
