"""model_migrate_entities: a model migration re-embeds the tenant's entities too

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02

The generic body: upgrade.sql and downgrade.sql in 0024_model_migrate_entities/ were written by
`python -m tools.freeze 0024` from the list in 0024_model_migrate_entities/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
