"""policy_planning: less planning per statement under RLS; InitPlan-only helpers not inlined

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-02

The generic body: upgrade.sql and downgrade.sql in 0029_policy_planning/ were written by
`python -m tools.freeze 0029` from the list in 0029_policy_planning/carries.txt.
"""
from cogdb.migrations import frozen_revision

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
