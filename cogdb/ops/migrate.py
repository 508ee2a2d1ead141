"""Running cogdb's Alembic migrations, from the CLI, the tests, or ``alembic`` itself
(``alembic/env.py`` takes the version table's place and the engine from here).

The revisions' own helper, ``run_frozen_sql``, stays in :mod:`cogdb.migrations`, the path
released revisions import.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from psycopg import sql
from sqlalchemy import Connection, Engine, create_engine, pool

from .. import config
from ..api.provisioning import AdminClient
from ..db.errors import InvalidInput, translated

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
    target = "base" if resolve(target) is None else target
    before = current_revision(url)
    downgrade = bool(undone_by(before, target))
    with engine_for(url).connect() as conn:
        cfg = _config(conn)
        if downgrade:
            command.downgrade(cfg, target)
        else:
            command.upgrade(cfg, target)
        conn.commit()
    return before, current_revision(url)


class UnknownRevision(InvalidInput):
    """The target names no revision of this installation."""


@dataclass(frozen=True)
class Revision:
    """A revision of this installation: id, title (its file's first docstring line) and what
    its downgrade drops: ("table", "cogdb.t", None), ("column", "cogdb.t", "c"), or
    ("type", "cogdb.t", "c") for a column converted back to an older type."""

    id: str
    title: str
    drops: tuple[tuple[str, str, str | None], ...]


def revisions() -> list[Revision]:
    """Every revision, oldest first."""
    scripts = script_directory()
    return [Revision(s.revision, s.doc, dropped_by(Path(s.path).with_suffix("")))
            for s in reversed(list(scripts.walk_revisions()))]


def resolve(target: str) -> str | None:
    """The revision id ``target`` names (``head``, ``base`` → None, an id or a unique
    prefix of one); UnknownRevision, listing the known ones, otherwise."""
    if target == "base":
        return None
    if target == "head":
        return head_revision()
    try:
        rev = script_directory().get_revision(target)
    except CommandError:
        rev = None
    if rev is None:
        known = ["base", *(r.id for r in revisions())]
        known[-1] += " (head)"
        raise UnknownRevision(f"unknown revision {target!r}", field="revision",
                              hint=f"Known revisions: {', '.join(known)}.")
    return rev.revision


def undone_by(before: str | None, target: str) -> list[Revision]:
    """The revisions that migrating from ``before`` to ``target`` would undo, newest first
    (none for an upgrade or when nothing changes)."""
    target_id = resolve(target)
    if before is None or target_id == before:
        return []
    by_id = {r.id: r for r in revisions()}
    scripts = script_directory()
    chain = [s.revision for s in scripts.iterate_revisions(before, "base")]
    if target_id is not None and target_id not in chain:
        return []  # not an ancestor of the current revision: an upgrade
    # What stays is the target's ancestry; the history branches (0019 beside 0020-0021, joined
    # by 0022), so a revision walked after the target can still be one that goes.
    kept = ({s.revision for s in scripts.iterate_revisions(target_id, "base")}
            if target_id is not None else set())
    return [by_id[rid] for rid in chain if rid not in kept]


_DOLLAR_QUOTED = re.compile(r"\$(\w*)\$.*?\$\1\$", re.S)
_COMMENT = re.compile(r"--[^\n]*")
_DROP_TABLE = re.compile(r"^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(.+?)(?:\s+(?:CASCADE|RESTRICT))?"
                         r"\s*$", re.I | re.S)
_ALTER_TABLE = re.compile(r"^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(\S+)\s+(.*)$",
                          re.I | re.S)
_DROP_COLUMN = re.compile(r"\bDROP\s+COLUMN\s+(?:IF\s+EXISTS\s+)?(\w+)", re.I)
_RETYPE_COLUMN = re.compile(r"\bALTER\s+COLUMN\s+(\w+)\s+(?:SET\s+DATA\s+)?TYPE\b", re.I)


def dropped_by(folder: Path) -> tuple[tuple[str, str, str | None], ...]:
    """What a revision's downgrade.sql drops: tables, columns, columns converted back. Read
    from the frozen SQL outside function bodies; a revision without that file counts as
    dropping an unknown table, so a downgrade past it asks first."""
    path = folder / "downgrade.sql"
    if not path.exists():
        return (("table", "(unknown: the revision has no downgrade.sql)", None),)
    text = _COMMENT.sub("", _DOLLAR_QUOTED.sub("", path.read_text(encoding="utf-8")))
    drops: list[tuple[str, str, str | None]] = []
    for statement in text.split(";"):
        if m := _DROP_TABLE.match(statement):
            drops += [("table", name.strip(), None) for name in m.group(1).split(",")]
        elif m := _ALTER_TABLE.match(statement):
            table, actions = m.group(1), m.group(2)
            drops += [("column", table, c) for c in _DROP_COLUMN.findall(actions)]
            drops += [("type", table, c) for c in _RETYPE_COLUMN.findall(actions)]
    return tuple(drops)


def table_rows(url: str) -> tuple[dict[str, int | None], bool]:
    """Rows of every cogdb table (but Alembic's version table), and whether they are exact.

    Exact counts need a login that bypasses row-level security (the embedded superuser): any
    other sees only what a context shows, so it gets the planner's estimates
    (``pg_class.reltuples``; None for a table never analysed)."""
    with translated(), psycopg.connect(url, autocommit=True) as conn:
        bypass = conn.execute("SELECT rolsuper OR rolbypassrls FROM pg_catalog.pg_roles"
                              " WHERE rolname = current_user").fetchone()
        tables = conn.execute(
            "SELECT c.relname, c.reltuples FROM pg_catalog.pg_class c"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND c.relname <> %s"
            " ORDER BY c.relname", (VERSION_SCHEMA, VERSION_TABLE)).fetchall()
        if bypass and bypass[0]:
            return {f"{VERSION_SCHEMA}.{name}": conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(VERSION_SCHEMA, name))
            ).fetchone()[0] for name, _ in tables}, True
        return {f"{VERSION_SCHEMA}.{name}": (round(n) if n >= 0 else None)
                for name, n in tables}, False


@dataclass
class Downgrade:
    """What migrating down would undo and drop, with the row counts of the tables it
    touches (exact, or estimates when ``exact`` is False)."""

    before: str
    target: str | None  # None: base
    undone: list[Revision]
    rows: dict[str, int | None]
    exact: bool

    @property
    def drops(self) -> list[tuple[str, str, str | None]]:
        """What is dropped, oldest revision's last (the order the downgrade runs in)."""
        if self.target is None:
            return [("table", t, None) for t in self.rows]
        return [d for r in self.undone for d in r.drops]

    @property
    def drops_data(self) -> bool:
        return bool(self.drops)


def plan_downgrade(url: str, target: str) -> Downgrade | None:
    """What migrating to ``target`` would undo and drop; None when it is not a downgrade."""
    target_id = resolve(target)
    before = current_revision(url)
    undone = undone_by(before, target)
    if not undone or before is None:
        return None
    rows, exact = table_rows(url)
    return Downgrade(before, target_id, undone, rows, exact)


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None
    return head


def prepare_embedded_database(admin: AdminClient) -> None:
    """After migrating the embedded server's database: its app login, and CONNECT for the
    cogdb roles only."""
    admin.ensure_app_login(config.EMBEDDED_APP_LOGIN)
    admin.secure_database()
