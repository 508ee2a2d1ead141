"""audit: a tamper-evident, hash-chained audit trail of every write to a tenant table

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

The generic body: upgrade.sql and downgrade.sql in 0012_audit/ were written by
`python -m tools.freeze 0012` from the list in 0012_audit/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
