"""The helpers that cogdb's Alembic revisions import: keep this module's path, and these
functions' names and signatures, as they are.

Released revisions never change. ``alembic/versions/0001-0003*.py`` do ``from
cogdb.migrations import run_frozen_sql``; revisions written by ``python -m tools.freeze``
(0004 on) do ``upgrade, downgrade = frozen_revision(__file__)``. Running migrations lives in
:mod:`cogdb.ops.migrate`.

Revisions carry their SQL frozen in a folder beside the revision file
(``alembic/versions/0001_foundation/``); :func:`run_frozen_sql` executes one such file as
driver SQL with no parameter processing, so ``%`` and ``:name`` in function bodies survive
(docs/conventions.md rule 5).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def run_frozen_sql(revision_file: str, name: str) -> None:
    """Execute ``<revision folder>/<name>`` inside the running migration's transaction."""
    from alembic import op

    path = Path(revision_file).with_suffix("") / name
    sql = path.read_text(encoding="utf-8")
    op.get_bind().execution_options(no_parameters=True).exec_driver_sql(sql)


def frozen_revision(revision_file: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """The generic body of a revision written by ``python -m tools.freeze``: ``upgrade()``
    runs ``<revision folder>/upgrade.sql`` and ``downgrade()`` its ``downgrade.sql``."""

    def upgrade() -> None:
        run_frozen_sql(revision_file, "upgrade.sql")

    def downgrade() -> None:
        run_frozen_sql(revision_file, "downgrade.sql")

    return upgrade, downgrade
