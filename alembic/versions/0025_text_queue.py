"""text_queue: bulk inserts queue their full-text indexing instead of paying for it at once

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02

The generic body: upgrade.sql and downgrade.sql in 0025_text_queue/ were written by
`python -m tools.freeze 0025` from the list in 0025_text_queue/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
