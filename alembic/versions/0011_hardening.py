"""hardening: vectors pgvector's cosine cannot rank are refused everywhere; stricter uuid parsing

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

The generic body: upgrade.sql and downgrade.sql in 0011_hardening/ were written by
`python -m tools.freeze 0011` from the list in 0011_hardening/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
