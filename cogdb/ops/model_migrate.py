"""``cogdb model migrate`` and ``cogdb model cleanup``: re-embed a tenant's memories (and
its entities' embeddings) with another model without stopping it (docs/scale-out.md,
"Re-embedding without downtime").

The database cannot embed, so this module does the embedding between SQL calls, each its
own short transaction on an autocommit connection of a member of cogdb_admin:

1. ``cogdb.start_model_migration`` starts the migration (or returns the one in progress:
   a killed run resumes where its last committed batch left it).
2. Batches: ``cogdb.model_migration_batch`` reads the next keyset page of memories of the old
   model without a vector of the new one; the texts are embedded here; then
   ``cogdb.store_model_vectors`` stores the vectors and moves the keyset position in one
   transaction (ON CONFLICT DO NOTHING: a batch repeated after a crash changes nothing).
   Then the entities with an embedding of the old model: ``cogdb.entity_migration_batch``
   and ``cogdb.store_entity_vectors`` (each vector with the digest of the embedding it
   replaces, so one made before the entity changed is not used).
3. ``cogdb.model_migration_indexed`` moves the migration to phase indexed and names the ANN
   index the cutover will build (a tenant with its own partition and index).
4. Cutover: a final pass embeds whatever is still missing (memories written by a client that
   does not know the migration), then ``cogdb.cut_over_model_migration`` swaps the vectors and
   the tenant's default model, and builds the new index, in one transaction (with
   maintenance_work_mem as `cogdb maintain` sets it). A memory written between the final pass and
   the cutover makes it refuse (CGM01, nothing changed): the pass and the cutover are retried.
5. Settle (revision 0027), for a tenant with its own partition and ANN index when the
   connection's login is a member of cogdb_owner: before the cutover,
   ``cogdb.settle_index_steps`` names two indexes to build CONCURRENTLY (an HNSW index over
   the tenant's side vectors of the new model, and the new model's, empty, on its partition),
   run here one statement each in autocommit as cogdb_owner, as `cogdb maintain` runs its
   plan. With both valid, the cutover only checks and flips the default model (phase
   settling: the tenant's writes wait milliseconds, not the swap) and
   ``cogdb.settle_model_migration`` then moves the memories, then the entities, in short
   transactions of ``settle_batch`` while search and hybrid search read both places; the
   side index is dropped CONCURRENTLY at the end. A killed run resumes settling
   (start_model_migration returns the settling migration). Without cogdb_owner, the cutover
   swaps the rows in its transaction as before.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql
from psycopg.rows import dict_row

from ..config import MAINTENANCE_WORK_MEM
from ..db.errors import CogdbError, InvalidInput, UnknownModel, translated
from ..db.values import as_uuid
from ..embedders import Embedder, from_spec

#: Memories one batch embeds and stores (one transaction).
DEFAULT_BATCH = 500
#: How long the cutover waits for the tenant's open transactions before it retries.
CUTOVER_LOCK_TIMEOUT = "5s"
#: How often the final pass and the cutover are tried before giving up.
CUTOVER_ATTEMPTS = 5
#: Memories (then entities) one settle transaction moves (cogdb.settle_model_migration).
DEFAULT_SETTLE_BATCH = 1000
#: How long one settle transaction waits for a row lock before it is tried again.
SETTLE_LOCK_TIMEOUT = "5s"


@dataclass
class Migrated:
    """What one run of :func:`migrate` did."""

    tenant_id: str
    from_model: str
    to_model: str
    phase: str
    total: int
    embedded: int = 0
    batches: int = 0
    resumed_after: str = ""
    #: The ANN index of the new model the cutover builds (or built), if the tenant needs one.
    new_index: str | None = None
    #: Entities (their optional embedding, for hybrid search) embedded with the new model.
    entities_embedded: int = 0
    embed_seconds: float = 0.0
    cutover_seconds: float | None = None
    #: The indexes built CONCURRENTLY before the cutover so that it only flips the default
    #: model (empty: the cutover swaps the rows itself).
    settle_indexes: list[str] = field(default_factory=list)
    #: Memories and entities moved by the settle's short transactions after such a cutover,
    #: and in how many.
    settled: int = 0
    settle_batches: int = 0
    settle_seconds: float | None = None
    seconds: float = 0.0
    migration: dict[str, Any] = field(default_factory=dict)


def _row(conn: psycopg.Connection, query: str, params: tuple) -> dict[str, Any]:
    with translated(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, params)
        return cur.fetchone()


def embedder_for(conn: psycopg.Connection, model: str) -> Embedder:
    """The embedder the model registry names for ``model`` (InvalidInput when none)."""
    row = _row(conn, "SELECT name, dimensions, embedder FROM cogdb.list_models()"
                     " WHERE name = %s", (model,))
    if row is None:
        raise UnknownModel(f"unknown embedding model {model!r}", field="to_model",
                           hint="List models with `cogdb model list`.")
    return from_spec(row["embedder"], row["name"], row["dimensions"])


def _pass(conn: psycopg.Connection, tenant: str, to_model: str, embedder: Embedder,
          batch: int, done: Migrated, *, after_id: str | None,
          echo: Callable[[str], None] | None,
          after_batch: Callable[[int], None] | None) -> int:
    """Embed and store every missing vector from ``after_id`` on (None: the migration's own
    keyset position); returns how many were stored."""
    stored = 0
    while True:
        with translated():
            rows = conn.execute(
                "SELECT id, content FROM cogdb.model_migration_batch(%s::text, %s::text,"
                " %s::text, %s::integer)", (tenant, to_model, after_id, batch)).fetchall()
        if not rows:
            return stored
        ids = [r[0] for r in rows]
        started = time.perf_counter()
        vectors = list(embedder.embed([r[1] for r in rows]))
        done.embed_seconds += time.perf_counter() - started
        with translated():
            n = conn.execute(
                "SELECT cogdb.store_model_vectors(%s::text, %s::text, %s::text[],"
                " %b::vector[], %s::text)",
                (tenant, to_model, ids, vectors, ids[-1] if after_id is None else None)
            ).fetchone()[0]
        stored += n
        done.embedded += n
        done.batches += 1
        if after_id is not None:
            after_id = ids[-1]
        if echo:
            echo(f"tenant {tenant}: {done.embedded} of {done.total} memories embedded with "
                 f"{to_model} ({done.batches} batches)")
        if after_batch:
            after_batch(done.batches)


def _entity_pass(conn: psycopg.Connection, tenant: str, to_model: str, embedder: Embedder,
                 batch: int, done: Migrated, echo: Callable[[str], None] | None) -> int:
    """Embed and store the vector of every entity of the old model that lacks a current one
    (cogdb.entity_migration_batch: none, or one made before its embedding changed); returns
    how many were stored. No keyset position: what is stored drops out of the next page. A
    page that stores nothing (every entity in it changed meanwhile) ends the pass: the
    cutover counts them and the next pass takes them."""
    stored = 0
    while True:
        with translated():
            rows = conn.execute(
                "SELECT id, content, source_digest FROM cogdb.entity_migration_batch("
                "%s::text, %s::text, %s::integer)", (tenant, to_model, batch)).fetchall()
        if not rows:
            return stored
        started = time.perf_counter()
        vectors = list(embedder.embed([r[1] for r in rows]))
        done.embed_seconds += time.perf_counter() - started
        with translated():
            n = conn.execute(
                "SELECT cogdb.store_entity_vectors(%s::text, %s::text, %s::text[],"
                " %b::vector[], %s::uuid[])",
                (tenant, to_model, [r[0] for r in rows], vectors, [r[2] for r in rows])
            ).fetchone()[0]
        stored += n
        done.entities_embedded += n
        if echo:
            echo(f"tenant {tenant}: {done.entities_embedded} entities embedded with {to_model}")
        if n == 0:
            return stored


def migrate(conn: psycopg.Connection, tenant: object, to_model: str, *,
            batch: int = DEFAULT_BATCH, embedder: Embedder | None = None, cut_over: bool = True,
            echo: Callable[[str], None] | None = None,
            after_batch: Callable[[int], None] | None = None,
            settle_batch: int = DEFAULT_SETTLE_BATCH,
            after_settle: Callable[[int], None] | None = None) -> Migrated:
    """Migrate ``tenant`` to ``to_model`` (or resume its migration) and, with ``cut_over``,
    cut over (and settle). ``conn``: an autocommit connection of a member of cogdb_admin (and
    of cogdb_owner, for a promoted tenant's cutover without the write pause); ``embedder``:
    the new model's (default: the one the registry names); ``after_batch``/``after_settle``:
    hooks called with the count after each committed batch/settle transaction."""
    tenant_s = as_uuid(tenant, "tenant")
    if not 1 <= batch <= 100000:
        raise InvalidInput(f"batch must be between 1 and 100000, got {batch}", field="batch")
    if not 1 <= settle_batch <= 100000:
        raise InvalidInput(f"settle_batch must be between 1 and 100000, got {settle_batch}",
                           field="settle_batch")
    started = time.perf_counter()
    with translated():  # the vectors travel in binary (%b), as remember_many's do
        register_vector(conn)
    row = _row(conn, "SELECT * FROM cogdb.start_model_migration(%s::text, %s::text)",
               (tenant_s, to_model))
    done = Migrated(tenant_s, row["from_model"], to_model, row["phase"], row["total"],
                    resumed_after=row["after_id"])
    if row["phase"] == "settling":   # cut over already: a killed run resumes settling
        if echo:
            echo(f"tenant {tenant_s}: resuming the settle of the migration to {to_model}")
        if cut_over:
            row = {**row, "phase": _settle(conn, tenant_s, to_model, settle_batch, done, echo,
                                           after_settle)}
        done.phase = row["phase"]
        done.migration = row
        done.seconds = round(time.perf_counter() - started, 3)
        return done
    if echo and row["after_id"]:
        echo(f"tenant {tenant_s}: resuming the migration to {to_model} after id "
             f"{row['after_id']!r} ({row['embedded']} embedded before)")
    embedder = embedder or embedder_for(conn, to_model)
    if embedder.model != to_model:
        raise CogdbError(f"the embedder makes vectors of {embedder.model!r}, not {to_model!r}")
    _pass(conn, tenant_s, to_model, embedder, batch, done, after_id=None, echo=echo,
          after_batch=after_batch)
    _entity_pass(conn, tenant_s, to_model, embedder, batch, done, echo)
    indexed = _row(conn, "SELECT * FROM cogdb.model_migration_indexed(%s::text, %s::text)",
                   (tenant_s, to_model))
    done.phase, done.new_index = indexed["phase"], indexed["index_to_build"]
    if echo and indexed["index_to_build"]:
        echo(f"tenant {tenant_s}: the cutover builds the ANN index {indexed['index_to_build']}")
    row = {**row, "phase": indexed["phase"], "embedded": indexed["embedded"]}
    _build_settle_indexes(conn, tenant_s, to_model, done, echo)
    if cut_over:
        row = _cut_over(conn, tenant_s, to_model, embedder, batch, done, echo)
        if row["phase"] == "settling":
            row = {**row, "phase": _settle(conn, tenant_s, to_model, settle_batch, done, echo,
                                           after_settle)}
    done.phase = row["phase"]
    done.migration = row
    done.seconds = round(time.perf_counter() - started, 3)
    return done


def _cut_over(conn: psycopg.Connection, tenant: str, to_model: str, embedder: Embedder,
              batch: int, done: Migrated, echo: Callable[[str], None] | None) -> dict:
    for attempt in range(CUTOVER_ATTEMPTS):
        # The final pass: memories written meanwhile by a client that did not embed them.
        left = _pass(conn, tenant, to_model, embedder, batch, done, after_id="", echo=None,
                     after_batch=None)
        if echo and left:
            echo(f"tenant {tenant}: {left} memories written meanwhile embedded")
        left = _entity_pass(conn, tenant, to_model, embedder, batch, done, None)
        if echo and left:
            echo(f"tenant {tenant}: {left} entities upserted meanwhile embedded")
        started = time.perf_counter()
        try:
            with translated(), conn.transaction():
                conn.execute("SELECT set_config('lock_timeout', %s, true)",
                              (CUTOVER_LOCK_TIMEOUT,))
                # At least maintenance_work_mem for the index build, as `cogdb maintain`.
                conn.execute("SELECT set_config('maintenance_work_mem', greatest("
                             "pg_size_bytes(current_setting('maintenance_work_mem')),"
                             " pg_size_bytes(%s)) / 1024 || 'kB', true)",
                             (MAINTENANCE_WORK_MEM,))
                row = _row(conn, "SELECT * FROM cogdb.cut_over_model_migration(%s::text,"
                                 " %s::text)", (tenant, to_model))
        except CogdbError as exc:
            retry = (exc.sqlstate == "55P03"
                     or (exc.sqlstate == "CGM01" and "no vector" in exc.message))
            if not retry or attempt == CUTOVER_ATTEMPTS - 1:
                raise
            if echo:
                echo(f"tenant {tenant}: cutover not yet ({exc.message}); trying again")
            continue
        done.cutover_seconds = round(time.perf_counter() - started, 3)
        if echo:
            echo(f"tenant {tenant}: cut over to {to_model} in {done.cutover_seconds} s")
        return row
    raise AssertionError("unreachable")


def _is_owner(conn: psycopg.Connection) -> bool:
    with translated():
        return bool(conn.execute("SELECT pg_has_role(current_user, 'cogdb_owner', 'MEMBER')"
                                 ).fetchone()[0])


def _as_owner(conn: psycopg.Connection, statement: str | sql.Composable) -> None:
    """One index statement (CONCURRENTLY: autocommit, no transaction) as cogdb_owner, who
    owns the tables, with maintenance_work_mem as `cogdb maintain` sets it."""
    with translated():
        conn.execute("SET ROLE cogdb_owner")
        try:
            conn.execute("SELECT set_config('maintenance_work_mem', greatest("
                         "pg_size_bytes(current_setting('maintenance_work_mem')),"
                         " pg_size_bytes(%s)) / 1024 || 'kB', false)", (MAINTENANCE_WORK_MEM,))
            conn.execute(statement)
        finally:
            conn.execute("RESET maintenance_work_mem")
            conn.execute("RESET ROLE")


def _build_settle_indexes(conn: psycopg.Connection, tenant: str, to_model: str,
                          done: Migrated, echo: Callable[[str], None] | None) -> None:
    """Build the indexes that let the cutover only flip the default model
    (cogdb.settle_index_steps), where the login may (a member of cogdb_owner)."""
    with translated():
        steps = conn.execute("SELECT index_name, statement FROM cogdb.settle_index_steps("
                             "%s::text, %s::text)", (tenant, to_model)).fetchall()
    if not steps:
        return
    if not _is_owner(conn):
        if echo:
            echo(f"tenant {tenant}: not a member of cogdb_owner, so the cutover swaps every "
                 "memory in its transaction (the tenant's writes wait for it)")
        return
    for name, statement in steps:
        if echo:
            echo(f"tenant {tenant}: {statement.split(' ', 1)[0].lower()} index {name}")
        _as_owner(conn, statement)
        if name not in done.settle_indexes and not statement.startswith("DROP"):
            done.settle_indexes.append(name)


def _settle(conn: psycopg.Connection, tenant: str, to_model: str, settle_batch: int,
            done: Migrated, echo: Callable[[str], None] | None,
            after_settle: Callable[[int], None] | None) -> str:
    """Settle transactions (cogdb.settle_model_migration) until none is left, then drop the
    side index; returns the migration's phase (cut_over)."""
    started = time.perf_counter()
    attempts = 0
    while True:
        try:
            with translated(), conn.transaction():
                conn.execute("SELECT set_config('lock_timeout', %s, true)",
                             (SETTLE_LOCK_TIMEOUT,))
                r = _row(conn, "SELECT * FROM cogdb.settle_model_migration(%s::text, %s::text,"
                               " %s::integer)", (tenant, to_model, settle_batch))
        except CogdbError as exc:
            attempts += 1
            if exc.sqlstate != "55P03" or attempts >= CUTOVER_ATTEMPTS:
                raise
            continue
        attempts = 0
        done.settled += r["settled"]
        done.settle_batches += 1
        if echo and r["settled"]:
            echo(f"tenant {tenant}: {done.settled} memories and entities settled on {to_model}, "
                 f"{r['remaining']} to go")
        if after_settle:
            after_settle(done.settle_batches)
        if r["phase"] != "settling":
            if r["drop_index"] and _is_owner(conn):
                _as_owner(conn, sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS cogdb.{}").format(
                    sql.Identifier(r["drop_index"])))
            done.settle_seconds = round(time.perf_counter() - started, 3)
            return r["phase"]


@dataclass
class Cleaned:
    tenant_id: str
    model: str
    deleted: int = 0
    batches: int = 0
    seconds: float = 0.0


def cleanup(conn: psycopg.Connection, tenant: object, model: str, *, batch: int = 1000,
            echo: Callable[[str], None] | None = None) -> Cleaned:
    """Delete the tenant's kept vectors of ``model`` in batches of ``batch``
    (cogdb.cleanup_model_embeddings), reporting progress between them."""
    tenant_s = as_uuid(tenant, "tenant")
    done = Cleaned(tenant_s, model)
    started = time.perf_counter()
    while True:
        with translated():
            deleted, more = conn.execute(
                "SELECT deleted, more FROM cogdb.cleanup_model_embeddings(%s::text, %s::text,"
                " %s::integer)", (tenant_s, model, batch)).fetchone()
        done.deleted += deleted
        done.batches += 1
        if more and echo:
            echo(f"tenant {tenant_s}: {done.deleted} vectors of {model} deleted so far")
        if not more:
            break
    done.seconds = round(time.perf_counter() - started, 3)
    return done
