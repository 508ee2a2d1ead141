"""Writing encoded memories into cogdb, under row-level security, as the app login: shared by
the node-store and the chat-export imports.

A batch is one scope (one transaction, the context set first): ``COPY`` into a temporary
staging table (COPY into an RLS table is refused for the app role), then one statement that
inserts with ``ON CONFLICT DO NOTHING`` into cogdb.memories (so the check_memory_row trigger
and every policy apply) and compares the rows it did not insert with what is stored.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from ..api.fields import ENUM_FIELDS, FIELD_NAMES, MEMORY_FIELDS, columns
from ..db.errors import UnknownModel
from .records import Context

#: Called with (done, total) as an import goes on.
Progress = Callable[[int, int], None]

COLUMNS = columns()
_STAGE_COLUMNS = sql.SQL(", ").join(
    sql.SQL("{} {}").format(sql.Identifier(f.name), sql.SQL(f.pgtype)) for f in MEMORY_FIELDS)
CREATE_STAGE = sql.SQL(
    "CREATE TEMP TABLE cogdb_import_stage ({}, embedding public.vector STORAGE PLAIN NOT NULL)"
    " WITH (toast_tuple_target = 8160) ON COMMIT DROP").format(_STAGE_COLUMNS)
COPY_TO_STAGE = sql.SQL("COPY pg_temp.cogdb_import_stage ({}, embedding) FROM STDIN"
                        " (FORMAT BINARY)").format(COLUMNS)
_CONTENT = FIELD_NAMES[1:]  # every field but the id
_SAME = sql.SQL("({}) IS NOT DISTINCT FROM ({})").format(columns(_CONTENT, "s"),
                                                        columns(_CONTENT, "m"))
# One statement: insert what is new (tenant and owner are the context's, read once by
# InitPlans instead of once per row by the columns' defaults); compare the rows that were
# not inserted with what was there before (the CTE's insert is invisible to the rest of the
# statement). Each compared row is one probe of the primary key: ORDER BY its columns +
# LIMIT 1 keeps the planner on it even when a tenant is too new for statistics (another
# index would then look as cheap and turn every probe into a scan of the tenant). A first
# import probes nothing. The scope's tenant is named (a parameter, planned with its value):
# the planner then reads the tenant's partition of memories, not all of them.
MERGE = sql.SQL("""
    WITH ins AS (
        INSERT INTO cogdb.memories AS m ({cols}, tenant_id, owner_user_id, model, embedding)
        SELECT {cols}, (SELECT cogdb.current_tenant_id()), (SELECT cogdb.current_user_id()),
               %(model)s::text, s.embedding FROM pg_temp.cogdb_import_stage s
        ON CONFLICT (tenant_id, id) DO NOTHING
        RETURNING m.id),
    cmp AS (
        SELECT s.id, o.same
          FROM pg_temp.cogdb_import_stage s
          LEFT JOIN LATERAL (
              SELECT {same} AND m.model = %(model)s::text
                     AND m.embedding OPERATOR(public.=) s.embedding AS same
                FROM cogdb.memories m WHERE m.tenant_id = %(tenant)s::uuid AND m.id = s.id
               ORDER BY m.tenant_id, m.id LIMIT 1) o ON true
         WHERE NOT EXISTS (SELECT FROM ins WHERE ins.id = s.id))
    SELECT (SELECT count(*) FROM ins),
           count(*) FILTER (WHERE cmp.same),
           coalesce(array_agg(cmp.id ORDER BY cmp.id) FILTER (WHERE NOT cmp.same), '{{}}'),
           coalesce(array_agg(cmp.id ORDER BY cmp.id) FILTER (WHERE cmp.same IS NULL), '{{}}')
      FROM cmp
""").format(cols=COLUMNS, same=_SAME)
# For ids inserted by a concurrent transaction after the statement above took its snapshot,
# or taken by a memory this scope cannot see: compare again with a fresh snapshot.
_RECHECK = sql.SQL("""
    SELECT s.id, {same} AND m.model = %(model)s::text
                 AND m.embedding OPERATOR(public.=) s.embedding
      FROM pg_temp.cogdb_import_stage s JOIN cogdb.memories m
        ON m.tenant_id = %(tenant)s::uuid AND m.id = s.id
     WHERE s.id = ANY(%(ids)s::text[])
""").format(same=_SAME)
_UPDATE = sql.SQL("""
    UPDATE cogdb.memories AS m SET ({cols}, model, embedding)
         = ({scols}, %(model)s::text, s.embedding)
      FROM pg_temp.cogdb_import_stage s
     WHERE m.tenant_id = %(tenant)s::uuid AND m.id = s.id AND s.id = ANY(%(ids)s::text[])
    RETURNING m.id
""").format(cols=columns(_CONTENT), scols=columns(_CONTENT, "s"))
_PREFLIGHT = """
    SELECT r.name, r.dimensions, m.embedder,
           (cogdb.effective_settings(t.mode, t.settings) #>> '{features,chat_import}')::boolean,
           (SELECT jsonb_object_agg(f, cogdb.allowed_values(f)) FROM unnest(%(fields)s::text[]) f)
      FROM cogdb.tenants t, cogdb.resolve_model(%(model)s::text) r
      JOIN cogdb.embedding_models m ON m.name = r.name
     WHERE t.id = cogdb.current_tenant_id()
"""
# Per batch: asynchronous commit (see write_batch), and room in memory for the AFTER
# trigger's transition table of a batch (it holds whole rows; the default 4MB spills).
_BATCH_SETTINGS = ("SELECT set_config('synchronous_commit', 'off', true),"
                   " set_config('work_mem', '64MB', true)")


def preflight(client: Any, tenant: Any, user: Any, model: str | None) -> tuple[str, int, Context]:
    """Model name and dimensions, allowed values and the chat toggle, read in the scope (so
    an unknown tenant or a user of another tenant fails here, before any file is read)."""
    try:
        with client.scope(tenant, user) as s:
            name, dims, spec, chat, allowed = s.connection.execute(
                _PREFLIGHT, {"model": model, "fields": list(ENUM_FIELDS)}).fetchone()
    except UnknownModel as exc:
        raise UnknownModel(exc.message, field="model", hint=(
            "List models with `cogdb model list`; register one with `cogdb model register "
            "NAME --dimensions N`, or pass --model NAME.")) from exc
    ctx = Context({k: tuple(v) for k, v in allowed.items()}, bool(chat), user is not None,
                  embedder=spec)
    return name, int(dims), ctx


@dataclass
class BatchResult:
    rows: int
    inserted: int
    same: int
    conflicts: list[str]
    updated: list[str]
    timings: dict[str, float]


#: Queued memories indexed per transaction at the end of an import.
TEXT_BATCH = 10_000


def flush_wal(client: Any, tenant: Any, user: Any, workers: int = 1) -> None:
    """Ends an import: indexes the text of the memories its batches queued (a batch is a bulk
    insert, whose full-text indexing the database defers; an imported memory is then found by
    hybrid search's text half as soon as the import returns), and waits until everything
    committed so far is on disk: a transaction that gets an id commits synchronously, and its
    commit record comes after every earlier commit's.

    The indexing runs on up to ``workers`` connections at once (the import's writers): each
    takes TEXT_BATCH queued memories per transaction, and index_pending_text skips the entries
    another call is indexing (SKIP LOCKED), so they share the queue; each stops when a call
    finds less than a batch left."""
    def index_text() -> None:
        while True:  # TEXT_BATCH memories per transaction
            with client.scope(tenant, user) as s:
                if s.connection.execute(  # a schema from before deferred text indexing: none
                        "SELECT to_regprocedure('cogdb.index_pending_text(integer)') IS NULL"
                        ).fetchone()[0]:
                    return
                s.connection.execute(_BATCH_SETTINGS)
                if s.index_pending_text(TEXT_BATCH) < TEXT_BATCH:
                    return

    if workers <= 1:  # the import's writer count, already bounded by the pool's size
        index_text()
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cogdb-text") as pool:
            for future in [pool.submit(index_text) for _ in range(workers)]:
                future.result()
    with client.scope(tenant, user) as s:
        s.connection.execute("SELECT set_config('synchronous_commit', 'on', true),"
                             " pg_catalog.pg_current_xact_id()")


def write_batch(client: Any, tenant: Any, user: Any, model: str, payload: bytes, rows: int,
                update: bool) -> BatchResult:
    """One batch, one scope (one transaction): COPY to the stage, merge, commit.

    ``payload`` is a binary COPY stream of ``rows`` rows (:func:`records.copy_payload`)."""
    t1 = time.perf_counter()
    updated: list[str] = []
    with client.scope(tenant, user) as s:
        conn = s.connection
        # Batches commit without waiting for their WAL to reach disk; the import ends with
        # flush_wal(), which does wait, so a finished import is durable. A server crash
        # midway can lose the last batches' commits, which a rerun then adds (idempotent).
        conn.execute(_BATCH_SETTINGS)
        conn.execute(CREATE_STAGE)
        with conn.cursor().copy(COPY_TO_STAGE) as copy:
            copy.write(payload)
        t2 = time.perf_counter()
        key = {"model": model, "tenant": s.tenant_id}
        inserted, same, conflicts, missing = conn.execute(MERGE, key).fetchone()
        t3 = time.perf_counter()
        if missing:
            for rid, equal in conn.execute(_RECHECK, {**key, "ids": missing}):
                if equal:
                    same += 1
                else:
                    conflicts.append(rid)
                missing.remove(rid)
            conflicts.extend(missing)  # taken by a memory this scope cannot see
        if update and conflicts:
            updated = sorted(r[0] for r in conn.execute(_UPDATE, {**key, "ids": conflicts}))
    return BatchResult(rows, inserted, same, sorted(conflicts), updated,
                       {"copy": t2 - t1, "insert": t3 - t2,
                        "commit+rest": time.perf_counter() - t3})
