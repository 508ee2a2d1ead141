"""The helper that cogdb's released Alembic revisions import.

``alembic/versions/0001-0003*.py`` do ``from cogdb.migrations import run_frozen_sql``, and
released revisions never change: keep this module's path and this function's name and
signature as they are. Running migrations lives in :mod:`cogdb.ops.migrate`.

Revisions carry their SQL frozen in a folder beside the revision file
(``alembic/versions/0001_foundation/``); :func:`run_frozen_sql` executes one such file as
driver SQL with no parameter processing, so ``%`` and ``:name`` in function bodies survive.
"""
from __future__ import annotations

from pathlib import Path


def run_frozen_sql(revision_file: str, name: str) -> None:
    """Execute ``<revision folder>/<name>`` inside the running migration's transaction."""
    from alembic import op

    path = Path(revision_file).with_suffix("") / name
    sql = path.read_text(encoding="utf-8")
    op.get_bind().execution_options(no_parameters=True).exec_driver_sql(sql)
