"""audit_fast: a single audited write costs less, the records stay the same

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02

The generic body: upgrade.sql and downgrade.sql in 0021_audit_fast/ were written by
`python -m tools.freeze 0021` from the list in 0021_audit_fast/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
