"""Swap one revision's definitions in and out of a bench database, for before/after figures
measured in the same run (same data, same machine load).

``apply(url, "0023", "downgrade")`` runs the revision's frozen downgrade.sql as the
superuser: the definitions it replaced (the state before it); ``"upgrade"`` runs its
upgrade.sql again (the state after). Both files only replace definitions (functions,
policies), so they may run any number of times, except a downgrade that drops a function
the revision added (0032's ``lock_unqueued``): it runs once between two upgrades, so a
bench upgrades first; plans cached by open sessions are
invalidated by the catalog change, so measure on a fresh connection after a swap.
Only for a revision whose upgrade replaces definitions and creates no table, or whose
steps undo each other (0036 rebuilds the text index's GIN index each way): then alternate
the directions, never the same one twice.
``policies_before(revision, names)`` is the text that a revision's downgrade.sql restores
for the named policies only (its DROP POLICY IF EXISTS / CREATE POLICY pairs), for a
revision whose whole downgrade cannot be swapped.
"""
from __future__ import annotations

import time
from pathlib import Path

import psycopg

VERSIONS = Path(__file__).resolve().parent.parent / "alembic" / "versions"


def sql_of(revision: str, direction: str) -> str:
    if direction not in ("upgrade", "downgrade"):
        raise ValueError(f"direction must be upgrade or downgrade, got {direction!r}")
    folders = [p for p in VERSIONS.glob(f"{revision}_*") if p.is_dir()]
    if len(folders) != 1:
        raise FileNotFoundError(f"revision {revision}: {len(folders)} folders in {VERSIONS}")
    return (folders[0] / f"{direction}.sql").read_text(encoding="utf-8")


def apply(admin_url: str, revision: str, direction: str) -> None:
    text = sql_of(revision, direction)
    with psycopg.connect(admin_url) as conn, conn.transaction():
        conn.execute(text)


class Toggle:
    """A revision swapped out or in on a bench database that starts at head (in), each
    direction applied only when it changes the state: a revision whose steps undo each other
    (0036) must never run the same direction twice in a row."""

    def __init__(self, admin_url: str, revision: str) -> None:
        self.admin_url, self.revision, self.is_in = admin_url, revision, True

    def set(self, want_in: bool) -> float | None:
        """Swap to ``want_in``; the seconds it took, or None if it was already so."""
        if want_in == self.is_in:
            return None
        started = time.perf_counter()
        apply(self.admin_url, self.revision, "upgrade" if want_in else "downgrade")
        self.is_in = want_in
        return time.perf_counter() - started


def policies_before(revision: str, names: tuple[str, ...]) -> str:
    lines = sql_of(revision, "downgrade").splitlines()
    out: list[str] = []
    for name in names:
        start = next(i for i, line in enumerate(lines)
                     if line.startswith(f"DROP POLICY IF EXISTS {name} "))
        if not lines[start + 1].startswith(f"CREATE POLICY {name} "):
            raise ValueError(f"revision {revision}: no CREATE POLICY {name} after its DROP")
        end = next(i for i in range(start + 1, len(lines)) if lines[i].rstrip().endswith(";"))
        out.extend(lines[start:end + 1])
    return "\n".join(out) + "\n"


def apply_text(admin_url: str, text: str) -> None:
    with psycopg.connect(admin_url) as conn, conn.transaction():
        conn.execute(text)
