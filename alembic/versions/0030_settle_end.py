"""settle_end: the settle's end waits for the tenant's open writes and counts again

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-02

The generic body: upgrade.sql and downgrade.sql in 0030_settle_end/ were written by
`python -m tools.freeze 0030` from the list in 0030_settle_end/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
