"""settle_cutover: a promoted tenant's model cutover no longer pauses its writes for the swap

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02

The generic body: upgrade.sql and downgrade.sql in 0027_settle_cutover/ were written by
`python -m tools.freeze 0027` from the list in 0027_settle_cutover/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
