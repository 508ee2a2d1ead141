"""text_queue_probes: indexing queued text reads the queue's oldest entries and their memories

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-03

The generic body: upgrade.sql and downgrade.sql in 0040_text_queue_probes/ were written by
`python -m tools.freeze 0040` from the list in 0040_text_queue_probes/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
