"""sharing_knowledge: a budget charge the asker cannot undo; traversal through shared memories

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02

The generic body: upgrade.sql and downgrade.sql in 0020_sharing_knowledge/ were written by
`python -m tools.freeze 0020` from the list in 0020_sharing_knowledge/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
