"""first hour: vocabularies as data, tags as given and metadata, listing, models from the CLI

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

The generic body: upgrade.sql and downgrade.sql in 0005_first_hour/ were written by
`python -m tools.freeze 0005` from the list in 0005_first_hour/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
