"""entity_relations_by_id: entity_relations reads each end of a relationship by its id

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-03

The generic body: upgrade.sql and downgrade.sql in 0037_entity_relations_by_id/ were written by
`python -m tools.freeze 0037` from the list in 0037_entity_relations_by_id/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
