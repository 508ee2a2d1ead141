"""graph tools: list_entities, entity_relations, forget_observations (the MCP knowledge-graph tools)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

The generic body: upgrade.sql and downgrade.sql in 0010_graph_tools/ were written by
`python -m tools.freeze 0010` from the list in 0010_graph_tools/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
