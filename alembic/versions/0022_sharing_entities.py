"""sharing_entities: entities and their observations shared by read grants

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02

The generic body: upgrade.sql and downgrade.sql in 0022_sharing_entities/ were written by
`python -m tools.freeze 0022` from the list in 0022_sharing_entities/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
