"""vector_checks: store_vectors refuses, by itself, a vector pgvector's cosine cannot rank

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01

The generic body: upgrade.sql and downgrade.sql in 0018_vector_checks/ were written by
`python -m tools.freeze 0018` from the list in 0018_vector_checks/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
