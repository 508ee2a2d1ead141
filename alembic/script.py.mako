"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

The generic body: prefer `python -m tools.freeze NNNN`, which writes this file, from the
list in the revision's folder (docs/conventions.md, Migrations).
"""
from cogdb.migrations import frozen_revision

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None

upgrade, downgrade = frozen_revision(__file__)
