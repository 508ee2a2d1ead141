"""Running cogdb's Alembic migrations, from the CLI, the tests, or ``alembic`` itself
(``alembic/env.py`` takes the version table's place and the engine from here).

The revisions' own helper, ``run_frozen_sql``, stays in :mod:`cogdb.migrations`, the path
released revisions import.
"""
from __future__ import annotations

import threading
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, pool

from .. import config
from ..api.provisioning import AdminClient

VERSION_SCHEMA = "cogdb"
VERSION_TABLE = "alembic_version"

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # cogdb/
# Alembic's `op` and `context` are process-wide: two migrations in one process at once would
# run on each other's connections. Separate processes (two CI jobs) are fine.
_MIGRATE_LOCK = threading.Lock()


def alembic_dir() -> Path:
    """The migrations folder: the repository's alembic/ (editable install) or the copy
    packed into the wheel."""
    for candidate in (_PACKAGE_DIR.parent / "alembic", _PACKAGE_DIR / "_migrations" / "alembic"):
        if (candidate / "env.py").exists():
            return candidate
    raise FileNotFoundError("cogdb's alembic/ folder is missing from this installation")


def engine_for(url: str) -> Engine:
    """A SQLAlchemy engine over any libpq URL (Unix-socket URLs included)."""
    return create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(url),
                         poolclass=pool.NullPool)


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(alembic_dir()))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def current_revision(url: str) -> str | None:
    with engine_for(url).connect() as conn:
        has_table = conn.exec_driver_sql(
            "SELECT to_regclass(%s) IS NOT NULL", (f"{VERSION_SCHEMA}.{VERSION_TABLE}",)
        ).scalar()
        if not has_table:
            return None
        ctx = MigrationContext.configure(
            conn, opts={"version_table_schema": VERSION_SCHEMA, "version_table": VERSION_TABLE})
        return ctx.get_current_revision()


def migrate(url: str, target: str = "head") -> tuple[str | None, str | None]:
    """Upgrade or downgrade to ``target`` (``head``, ``base`` or a revision id).

    Returns (revision before, revision after). The direction is chosen from the history:
    a target that is an ancestor of the current revision (or ``base``) is a downgrade.
    """
    with _MIGRATE_LOCK:
        return _migrate(url, target)


def _migrate(url: str, target: str) -> tuple[str | None, str | None]:
    before = current_revision(url)
    scripts = script_directory()
    downgrade = False
    if target == "base":
        downgrade = before is not None
    elif target != "head" and before is not None:
        target_rev = scripts.get_revision(target)
        if target_rev is None:
            raise ValueError(f"unknown revision {target!r}")
        ancestors = {rev.revision for rev in scripts.iterate_revisions(before, "base")}
        downgrade = target_rev.revision in ancestors and target_rev.revision != before
    with engine_for(url).connect() as conn:
        cfg = _config(conn)
        if downgrade:
            command.downgrade(cfg, target)
        else:
            command.upgrade(cfg, target)
        conn.commit()
    return before, current_revision(url)


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None
    return head


def prepare_embedded_database(admin: AdminClient) -> None:
    """After migrating the embedded server's database: its app login, and CONNECT for the
    cogdb roles only."""
    admin.ensure_app_login(config.EMBEDDED_APP_LOGIN)
    admin.secure_database()
