"""model_migrate: re-embedding a tenant without downtime (cogdb model migrate)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02

The generic body: upgrade.sql and downgrade.sql in 0019_model_migrate/ were written by
`python -m tools.freeze 0019` from the list in 0019_model_migrate/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
