"""cutover_gate: a settling cutover waits on the tenant's gate, not on a partition lock

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-02

The generic body: upgrade.sql and downgrade.sql in 0031_cutover_gate/ were written by
`python -m tools.freeze 0031` from the list in 0031_cutover_gate/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
