"""store: LangGraph's BaseStore items and vectors under the tenant fence

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

The generic body: upgrade.sql and downgrade.sql in 0007_store/ were written by
`python -m tools.freeze 0007` from the list in 0007_store/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
