"""The retention purge: ``cogdb purge`` and the retention step of ``cogdb maintain``.

Each call of ``cogdb.purge_retention(tenant, batch)`` is one short transaction (the
connection is in autocommit) that deletes or anonymises at most ``batch`` due memories of one
tenant, picked by primary key; this module calls it again while it reports ``more``, so a
large purge never holds a tenant's rows for long, and reports progress between batches.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from ..db.errors import translated
from ..db.values import as_uuid

#: Memories one purge transaction may change.
DEFAULT_BATCH = 1000


@dataclass
class Purged:
    tenant_id: str
    deleted: int = 0
    anonymised: int = 0
    held: bool = False
    batches: int = 0
    seconds: float = 0.0


def purge(conn: psycopg.Connection, tenant: object | None = None, *,
          batch: int = DEFAULT_BATCH,
          echo: Callable[[str], None] | None = None) -> list[Purged]:
    """Purge one tenant (or every tenant) in batches of ``batch``; ``conn`` is an autocommit
    connection of a member of cogdb_admin or cogdb_owner. Returns one :class:`Purged` per
    tenant that had anything due or held."""
    with translated():
        if tenant is not None:
            tenants = [as_uuid(tenant, "tenant")]
        else:
            tenants = [str(r[0]) for r in conn.execute(
                "SELECT id FROM cogdb.list_tenants() ORDER BY id").fetchall()]
        results = []
        for t in tenants:
            done = Purged(t)
            started = time.monotonic()
            while True:
                deleted, anonymised, held, more = conn.execute(
                    "SELECT deleted, anonymised, held, more"
                    " FROM cogdb.purge_retention(%s::text, %s::integer)", (t, batch)).fetchone()
                done.batches += 1
                done.deleted += deleted
                done.anonymised += anonymised
                done.held = done.held or held
                if more and echo:
                    echo(f"tenant {t}: {done.deleted} deleted, {done.anonymised} anonymised"
                         f" so far ({done.batches} batches)")
                if not more:
                    break
            done.seconds = round(time.monotonic() - started, 3)
            if done.deleted or done.anonymised or done.held or tenant is not None:
                results.append(done)
                if echo:
                    hold = " (a legal hold kept some back)" if done.held else ""
                    echo(f"tenant {t}: {done.deleted} deleted, {done.anonymised} anonymised"
                         f"{hold}")
    return results
