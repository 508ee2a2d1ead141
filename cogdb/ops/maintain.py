"""``cogdb maintain``: carry out the plans that ``cogdb.plan_maintenance()`` (memories) and
``cogdb.plan_store_maintenance()`` (the LangGraph store's vectors) make in SQL, after the
housekeeping: the retention purge (:mod:`.retention`, batches of ``cogdb.purge_retention``),
sweep the expired items of the LangGraph store (``cogdb.store_sweep_all()``),
fold the knowledge layer's access log into memories, compact the tenant statistics.

Index steps are one statement each (CREATE/DROP INDEX CONCURRENTLY), which cannot run inside
a function or a transaction block: they run here, on an owner connection in autocommit, so
searches and writes go on while an index builds. A build that fails or is interrupted leaves
an invalid index; the next run plans ``drop_invalid`` for it first, then builds it again.

A ``promote`` step moves a tenant from ``memories_default`` into a partition of its own, in
three SQL functions (see their files in sql/functions/search/): prepare_partition (an empty
table), fence_default_partition (a NOT VALID constraint that keeps the tenant out of the
DEFAULT partition, added in a transaction of its own because it takes an ACCESS EXCLUSIVE lock
for a moment) and move_to_partition (one transaction: move the rows, build keys and indexes,
attach). Around them this module holds the tenant's gate (cogdb.tenant_gate, which
set_context takes in shared mode), so the tenant's transactions wait for the move instead of
failing or racing it, and the move waits for the open ones; every lock is taken with
``lock_timeout`` and retried, because a waiting ACCESS EXCLUSIVE request would queue every
other tenant's statements behind it. As a superuser login it moves the rows with
``session_replication_role = replica``: foreign keys of other tables that reference memories
do not act on the rows that move (see move_to_partition).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from psycopg import errors

from ..config import MAINTENANCE_WORK_MEM
from ..db.errors import CogdbError, translated
from . import retention

#: How long a promotion waits for each lock before it backs off, and how often it tries.
PROMOTE_LOCK_TIMEOUT_MS = 2000
PROMOTE_LOCK_TIMEOUT = f"{PROMOTE_LOCK_TIMEOUT_MS}ms"
#: How long the tenant's gate is queued for at most (close_tenant_gate's 200 ms, in SQL).
GATE_QUEUE_MS = 200
PROMOTE_ATTEMPTS = 6
#: DEADLOCKS. A promotion's ATTACH holds memories_default exclusively and then needs SHARE ROW
#: EXCLUSIVE on the tables whose foreign keys reference memories (text_index), to give the new
#: partition their triggers. A writer of a tenant in a partition of its own holds text_index
#: (its insert) and then, checking that foreign key through the parent with a generic plan,
#: locks every partition, memories_default included: a cycle, broken by whichever waiter first
#: runs the deadlock check (after deadlock_timeout, 1 s by default). The move checks after
#: this instead, so it is the one rolled back, and retried here; the writer only waits. A
#: superuser setting: as cogdb_owner the move keeps the server's, and either side may be the
#: victim (a writer then gets 40P01 and should retry, as after any deadlock).
MOVE_DEADLOCK_TIMEOUT = "50ms"


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
    """Fold the memory access log into access_count/last_accessed, compact the tenant
    statistics and set the planner's estimate of a tenant's memories in each partition
    (cogdb.set_tenant_estimates: a dump and restore loses it, and search.ann_min_rows may have
    changed); returns (accesses folded, statistics rows compacted)."""
    with _owner_connection(url) as conn, translated():
        folded = conn.execute("SELECT cogdb.fold_memory_accesses()").fetchone()[0]
        compacted = conn.execute("SELECT cogdb.compact_tenant_stats()").fetchone()[0]
        _set_tenant_estimates(conn)
    return int(folded), int(compacted)


def _set_tenant_estimates(conn: psycopg.Connection) -> None:
    """cogdb.set_tenant_estimates(), on a schema that has it (revision 0034 on)."""
    if conn.execute("SELECT to_regprocedure('cogdb.set_tenant_estimates()') IS NOT NULL"
                    ).fetchone()[0]:
        conn.execute("SELECT cogdb.set_tenant_estimates()")


#: How many queued memories one call of cogdb.index_queued_text indexes (one transaction each,
#: so a large queue neither holds its locks for long nor loses all its work to one failure).
TEXT_BATCH = 10_000


def index_queued_text(url: str, echo: Callable[[str], None] = lambda _line: None) -> int:
    """Index the full text of every tenant's memories that bulk inserts queued
    (cogdb.index_queued_text, TEXT_BATCH at a time, until the queue is empty); returns how
    many were indexed. A schema older than the queue has nothing to do."""
    total = 0
    with _owner_connection(url) as conn, translated():
        if conn.execute("SELECT to_regclass('cogdb.text_queue') IS NULL").fetchone()[0]:
            return 0
        while conn.execute("SELECT EXISTS (SELECT FROM cogdb.text_queue)").fetchone()[0]:
            total += int(conn.execute("SELECT cogdb.index_queued_text(NULL, %s)",
                                      (TEXT_BATCH,)).fetchone()[0])
            left = conn.execute("SELECT count(*) FROM cogdb.text_queue").fetchone()[0]
            if left:
                echo(f"text: {total:,} queued memories indexed, {left:,} to go")
    return total


def seal_audit(url: str) -> int:
    """Seal every tenant's audit chain head (cogdb.audit_seal), after the housekeeping wrote
    its own records; returns how many new seals (none before the audit's revision)."""
    with _owner_connection(url) as conn, translated():
        if not conn.execute("SELECT to_regprocedure('cogdb.audit_seal(uuid)') IS NOT NULL"
                            ).fetchone()[0]:
            return 0
        return int(conn.execute("SELECT count(*) FILTER (WHERE sealed)"
                                " FROM cogdb.audit_seal()").fetchone()[0])


def plan(url: str, *, promotions: bool = True) -> list[Step]:
    """Compact the tenant sizes and return the plan, without running it. ``promotions=False``
    leaves out the promotions, and the index steps of the tenants they would have promoted
    (those indexes live on the tenant's own partition): for a Citus cluster, where a
    tenant's rows already share a shard (docs/scale-out.md)."""
    with _owner_connection(url) as conn, translated():
        conn.execute("SELECT cogdb.compact_memory_counts()")
        rows = conn.execute("SELECT step, action, index_name, tenant_id, model, memories,"
                            " statement FROM cogdb.plan_maintenance()").fetchall()
        # the LangGraph store's vectors (model 'store:<dims>', memories = vectors)
        rows += conn.execute("SELECT step, action, index_name, tenant_id, model, memories,"
                             " statement FROM cogdb.plan_store_maintenance()").fetchall()
    if not promotions:
        held = {row[3] for row in rows if row[1] == "promote"}
        rows = [row for row in rows if row[1] != "promote"
                and not (row[3] in held and row[1] in ("create", "drop_legacy"))]
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


def _locked(conn: psycopg.Connection, statement: str, params: tuple, attempts: int) -> None:
    """Run ``statement`` (autocommit) under the promotion's lock_timeout, retrying with a
    growing pause when a lock is not granted in time."""
    for attempt in range(attempts):
        try:
            conn.execute(statement, params)
            return
        except errors.LockNotAvailable:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * 2 ** attempt)


def _take_gate(conn: psycopg.Connection, tenant: object, attempts: int) -> None:
    """The tenant's gate, exclusively, at session level (the move spans transactions), as
    close_tenant_gate takes it in SQL: each attempt tries without queueing for the
    promotion's lock_timeout less 200 ms, then queues for 200 ms at most. A queued request
    holds every later transaction of the tenant, reads included, so one of its transactions
    left open would otherwise stall all its traffic for every attempt's whole timeout."""
    patience = PROMOTE_LOCK_TIMEOUT_MS / 1000 - GATE_QUEUE_MS / 1000
    for attempt in range(attempts):
        until = time.monotonic() + patience
        while time.monotonic() < until:
            if conn.execute("SELECT pg_try_advisory_lock(cogdb.tenant_gate(%s::uuid))",
                            (tenant,)).fetchone()[0]:
                return
            time.sleep(0.01)
        conn.execute("SELECT set_config('lock_timeout', %s, false)", (f"{GATE_QUEUE_MS}ms",))
        try:
            conn.execute("SELECT pg_advisory_lock(cogdb.tenant_gate(%s::uuid))", (tenant,))
            return
        except errors.LockNotAvailable:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * 2 ** attempt)
        finally:
            conn.execute("SELECT set_config('lock_timeout', %s, false)", (PROMOTE_LOCK_TIMEOUT,))


def promote(conn: psycopg.Connection, tenant: object, *,
            attempts: int = PROMOTE_ATTEMPTS) -> int:
    """Move ``tenant`` from memories_default into its own partition; returns the rows
    moved. ``conn``: an owner connection in autocommit (as :func:`run` opens)."""
    superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = session_user"
                             ).fetchone()[0]
    conn.execute("SELECT cogdb.prepare_partition(%s::uuid)", (tenant,))
    conn.execute("SELECT set_config('lock_timeout', %s, false)", (PROMOTE_LOCK_TIMEOUT,))
    try:
        # The tenant's transactions wait from here until the move commits (or fails).
        _take_gate(conn, tenant, attempts)
        try:
            for attempt in range(attempts):
                try:
                    conn.execute("SELECT cogdb.fence_default_partition(%s::uuid, true)", (tenant,))
                    with conn.transaction():
                        if superuser:  # replica: other tables' foreign keys do not act
                            conn.execute("SET LOCAL ROLE NONE")
                            conn.execute("SET LOCAL session_replication_role = replica")
                            # The move, not a writer, is the deadlock victim: see DEADLOCKS.
                            conn.execute("SELECT set_config('deadlock_timeout', %s, true)",
                                         (MOVE_DEADLOCK_TIMEOUT,))
                            conn.execute("SET LOCAL ROLE cogdb_owner")
                        moved = conn.execute("SELECT cogdb.move_to_partition(%s::uuid)",
                                             (tenant,)).fetchone()[0]
                    break
                except (errors.LockNotAvailable, errors.DeadlockDetected):
                    if attempt == attempts - 1:
                        raise
                    time.sleep(0.2 * 2 ** attempt)
        except BaseException:
            # Writes of this tenant into memories_default would fail while the fence stays.
            conn.execute("SELECT set_config('lock_timeout', '30s', false)")
            _locked(conn, "SELECT cogdb.fence_default_partition(%s::uuid, false)", (tenant,),
                    attempts)
            raise
        finally:
            conn.execute("SELECT pg_advisory_unlock(cogdb.tenant_gate(%s::uuid))", (tenant,))
    finally:
        conn.execute("RESET lock_timeout")
    with conn.cursor() as cur:  # statistics for the planner: the partition is new
        cur.execute("SELECT cogdb.partition_name(%s::uuid)", (tenant,))
        name = cur.fetchone()[0]
        cur.execute(f'ANALYZE cogdb."{name}"')
    _set_tenant_estimates(conn)  # the new partition has none yet
    return moved


def run(url: str, *, echo: Callable[[str], None] = print, dry_run: bool = False,
        maintenance_work_mem: str = MAINTENANCE_WORK_MEM,
        progress_every: float = 10.0, promotions: bool = True) -> list[Step]:
    """Plan and carry out the maintenance steps; returns them with timings and errors. The
    housekeeping (:func:`housekeep`) runs first, except in a dry run, which changes
    nothing. ``promotions=False``: no tenant is moved into a partition of its own (see
    :func:`plan`)."""
    if not dry_run:
        folded, compacted = housekeep(url)
        if folded or compacted:
            echo(f"folded {folded} memory access(es) into memories; compacted {compacted} "
                 "statistics row(s)")
        indexed = index_queued_text(url, echo)
        if indexed:
            echo(f"text: indexed {indexed:,} memories queued by bulk inserts")
    steps = plan(url, promotions=promotions)
    if not promotions:
        held = len(plan(url)) - len(steps)
        if held:
            echo(f"promotion off: {held} step(s) of tenants above search.ann_min_rows left out;"
                 " their rows stay in memories_default")
    if not dry_run:
        with _owner_connection(url) as conn:
            # A schema older than the package (migrated later) has no purge yet: skip it.
            if conn.execute("SELECT to_regprocedure('cogdb.purge_retention(text, integer)')"
                            " IS NULL").fetchone()[0]:
                echo("retention: skipped, the schema predates it (run `cogdb migrate`)")
                purged = []
            else:
                purged = retention.purge(conn, echo=lambda line: echo(f"retention: {line}"))
        if purged:
            echo(f"retention: {sum(p.deleted for p in purged)} deleted, "
                 f"{sum(p.anonymised for p in purged)} anonymised")
        swept = sweep_store(url)
        if swept:
            echo(f"swept {swept} expired store items")
        sealed = seal_audit(url)
        if sealed:
            echo(f"sealed the audit chains of {sealed} tenant(s)")
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
        # At least maintenance_work_mem (the server's own setting, when it is larger).
        conn.execute("SELECT set_config('maintenance_work_mem', greatest("
                     "pg_size_bytes(current_setting('maintenance_work_mem')),"
                     " pg_size_bytes(%s)) / 1024 || 'kB', false)", (maintenance_work_mem,))
        pid = conn.info.backend_pid
        failed_promotions: set[object] = set()
        for s in steps:
            if s.action == "promote":
                started = time.perf_counter()
                try:
                    moved = promote(conn, s.tenant_id)
                    detail = f"{moved} memories moved"
                except psycopg.Error as exc:
                    s.error = f"{exc.sqlstate}: {exc.diag.message_primary or exc}"
                    failed_promotions.add(s.tenant_id)
                s.seconds = time.perf_counter() - started
                status = f"failed ({s.error})" if s.error else f"done ({detail})"
                echo(f"{s.step:>3}. promote {s.index_name}: {status} in {s.seconds:.1f} s")
                continue
            if s.tenant_id in failed_promotions and s.action in ("create", "drop_legacy"):
                # The tenant's rows are still in memories_default, where its old index serves.
                s.error = "skipped: the tenant's promotion failed"
                echo(f"{s.step:>3}. {s.action} {s.index_name}: {s.error}")
                continue
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
