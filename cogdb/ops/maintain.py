"""``cogdb maintain``: carry out the plans that ``cogdb.plan_maintenance()`` (memories) and
``cogdb.plan_store_maintenance()`` (the LangGraph store's vectors) make in SQL, after the
housekeeping: sweep the expired items of the LangGraph store (``cogdb.store_sweep_all()``),
fold the knowledge layer's access log into memories, compact the tenant statistics.

Each step is one statement (CREATE/DROP INDEX CONCURRENTLY), which cannot run inside a
function or a transaction block: it runs here, on an owner connection in autocommit, so
searches and writes go on while an index builds. A build that fails or is interrupted leaves
an invalid index; the next run plans ``drop_invalid`` for it first, then builds it again.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from ..config import MAINTENANCE_WORK_MEM
from ..db.errors import CogdbError, translated


@dataclass
class Step:
    step: int
    action: str
    index_name: str
    tenant_id: object
    model: str | None
    memories: int | None
    statement: str
    seconds: float | None = None
    error: str | None = None


def _owner_connection(url: str) -> psycopg.Connection:
    with translated():
        conn = psycopg.connect(url, autocommit=True)
    ok = conn.execute("SELECT pg_has_role(current_user, 'cogdb_owner', 'MEMBER')").fetchone()
    if not ok or not ok[0]:
        conn.close()
        raise CogdbError("maintenance needs a member of cogdb_owner (the migrating login)",
                         hint="Run it with COGDB_ADMIN_URL set to the login that migrates.")
    conn.execute("SET ROLE cogdb_owner")
    return conn


def housekeep(url: str) -> tuple[int, int]:
    """Fold the memory access log into access_count/last_accessed and compact the tenant
    statistics; returns (accesses folded, statistics rows compacted)."""
    with _owner_connection(url) as conn, translated():
        folded = conn.execute("SELECT cogdb.fold_memory_accesses()").fetchone()[0]
        compacted = conn.execute("SELECT cogdb.compact_tenant_stats()").fetchone()[0]
    return int(folded), int(compacted)


def plan(url: str) -> list[Step]:
    """Compact the tenant sizes and return the plan, without running it."""
    with _owner_connection(url) as conn, translated():
        conn.execute("SELECT cogdb.compact_memory_counts()")
        rows = conn.execute("SELECT step, action, index_name, tenant_id, model, memories,"
                            " statement FROM cogdb.plan_maintenance()").fetchall()
        # the LangGraph store's vectors (model 'store:<dims>', memories = vectors)
        rows += conn.execute("SELECT step, action, index_name, tenant_id, model, memories,"
                             " statement FROM cogdb.plan_store_maintenance()").fetchall()
    return [Step(n, *row[1:]) for n, row in enumerate(rows, start=1)]


def sweep_store(url: str) -> int:
    """Delete the expired LangGraph store items of every tenant (cogdb.store_sweep_all);
    returns how many."""
    with _owner_connection(url) as conn, translated():
        return int(conn.execute("SELECT cogdb.store_sweep_all()").fetchone()[0])


def _watch_progress(url: str, pid: int, echo: Callable[[str], None],
                    stop: threading.Event, every: float) -> None:
    """Print pg_stat_progress_create_index for the building backend now and then."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            while not stop.wait(every):
                row = conn.execute(
                    "SELECT phase, tuples_done, tuples_total, blocks_done, blocks_total"
                    " FROM pg_stat_progress_create_index WHERE pid = %s", (pid,)).fetchone()
                if row:
                    phase, tdone, ttotal, bdone, btotal = row
                    detail = (f"{tdone}/{ttotal} tuples" if ttotal
                              else f"{bdone}/{btotal} blocks" if btotal else "")
                    echo(f"      … {phase} {detail}".rstrip())
    except psycopg.Error:
        return


def run(url: str, *, echo: Callable[[str], None] = print, dry_run: bool = False,
        maintenance_work_mem: str = MAINTENANCE_WORK_MEM,
        progress_every: float = 10.0) -> list[Step]:
    """Plan and carry out the maintenance steps; returns them with timings and errors. The
    housekeeping (:func:`housekeep`) runs first, except in a dry run, which changes
    nothing."""
    if not dry_run:
        folded, compacted = housekeep(url)
        if folded or compacted:
            echo(f"folded {folded} memory access(es) into memories; compacted {compacted} "
                 "statistics row(s)")
    steps = plan(url)
    if not dry_run:
        swept = sweep_store(url)
        if swept:
            echo(f"swept {swept} expired store items")
    if not steps:
        echo("nothing to do: every tenant is on the right search path")
        return steps
    for s in steps:
        what = "vectors" if (s.model or "").startswith("store:") else "memories"
        size = f"{s.memories} {what}" if s.memories is not None else f"no {what}"
        echo(f"{s.step:>3}. {s.action:<13} {s.index_name}  tenant {s.tenant_id} "
             f"model {s.model} ({size})")
        if dry_run:
            echo(f"     {s.statement}")
    if dry_run:
        return steps
    with _owner_connection(url) as conn:
        conn.execute("SELECT set_config('maintenance_work_mem', %s, false)",
                     (maintenance_work_mem,))
        pid = conn.info.backend_pid
        for s in steps:
            stop = threading.Event()
            watcher = threading.Thread(target=_watch_progress,
                                       args=(url, pid, echo, stop, progress_every), daemon=True)
            watcher.start()
            started = time.perf_counter()
            try:
                conn.execute(s.statement)
            except psycopg.Error as exc:
                s.error = f"{exc.sqlstate}: {exc.diag.message_primary or exc}"
            finally:
                stop.set()
                watcher.join()
            s.seconds = time.perf_counter() - started
            status = f"failed ({s.error})" if s.error else "done"
            echo(f"{s.step:>3}. {s.action} {s.index_name}: {status} in {s.seconds:.1f} s")
    return steps
