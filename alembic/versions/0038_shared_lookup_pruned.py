"""shared_lookup_pruned: a statement that did not ask for shared rows sets up no scan for them

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-03

The generic body: upgrade.sql and downgrade.sql in 0038_shared_lookup_pruned/ were written by
`python -m tools.freeze 0038` from the list in 0038_shared_lookup_pruned/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
