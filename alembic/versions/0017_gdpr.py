"""gdpr: export, erase and anonymise a user; retention's purge receipts

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01

The generic body: upgrade.sql and downgrade.sql in 0017_gdpr/ were written by
`python -m tools.freeze 0017` from the list in 0017_gdpr/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
