"""vector_checks: store_vectors refuses, by itself, a vector pgvector's cosine cannot rank

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-01

The generic body: upgrade.sql and downgrade.sql in 0019_vector_checks/ were written by
`python -m tools.freeze 0019` from the list in 0019_vector_checks/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0019"
down_revision = "0016"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
