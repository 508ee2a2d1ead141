"""swap_unqueued: a swapping cutover waits without queueing; the entity swap stays linear

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-02

The generic body: upgrade.sql and downgrade.sql in 0032_swap_unqueued/ were written by
`python -m tools.freeze 0032` from the list in 0032_swap_unqueued/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
