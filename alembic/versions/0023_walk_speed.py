"""walk_speed: a walk reads what it reaches, not the whole tenant

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02

The generic body: upgrade.sql and downgrade.sql in 0023_walk_speed/ were written by
`python -m tools.freeze 0023` from the list in 0023_walk_speed/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
