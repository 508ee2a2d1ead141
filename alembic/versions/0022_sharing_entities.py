"""sharing_entities: entities and their observations shared by read grants

Revision ID: 0022
Revises: 0019, 0021
Create Date: 2026-12-02

The generic body: upgrade.sql and downgrade.sql in 0022_sharing_entities/ were written by
`python -m tools.freeze 0022` from the list in 0022_sharing_entities/carries.txt.

It joins two branches that both start at 0018: 0019 (model migration) and 0020 -> 0021
(sharing through traversal, the audit's fast path). Both were released revising 0018 and
released files never change; neither carries an object the other does, so either order
gives the same schema, and from here on everything builds on both.
"""
from cogdb.migrations import frozen_revision

revision = "0022"
down_revision = ("0019", "0021")
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
