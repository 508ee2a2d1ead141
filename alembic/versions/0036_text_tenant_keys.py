"""text_tenant_keys: hybrid search's text half reads the tenant's own posting lists

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-03

The generic body: upgrade.sql and downgrade.sql in 0036_text_tenant_keys/ were written by
`python -m tools.freeze 0036` from the list in 0036_text_tenant_keys/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
