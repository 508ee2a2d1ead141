"""text_queue_deadlock: a drain that deadlocks with a writer leaves its group queued

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-03

The generic body: upgrade.sql and downgrade.sql in 0041_text_queue_deadlock/ were written by
`python -m tools.freeze 0041` from the list in 0041_text_queue_deadlock/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
