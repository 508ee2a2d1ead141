"""The client's connection pool: how a connection is prepared, how it must come back, and
opening the pool with a timeout.

Opening first makes one direct connection, so an absent server, a missing database or login
and an unmigrated database fail at once with libpq's reason (the pool would retry in the
background until its timeout and only then say that it gave up).

A connection goes back clean: no tenant context, and nothing a request could leave for the
next one (see :data:`RESET`). A scope resets its connection itself, in the same message as
its COMMIT (cogdb/api/client.py), and marks it clean; the pool then hands it out again without
another round trip. A connection that comes back any other way is reset when it is next taken
(``check``), so the pool never hands out one it has not seen reset.
"""
from __future__ import annotations

import logging
import os
import weakref
from typing import Any

import psycopg
from pgvector.psycopg import register_vector
from psycopg.types.json import JsonbLoader
from psycopg_pool import ConnectionPool

from ..config import CONNECT_TIMEOUT, POOL_OPEN_TIMEOUT, POOL_WAIT_TIMEOUT
from .errors import CogdbError, IsolationViolation, NotMigrated, PoolExhausted, translated

# psycopg_pool logs each failed background attempt ("error connecting in 'cogdb'") as a
# warning; without a handler of its own, Python prints those on stderr. The cause reaches
# the caller as a cogdb error instead; an application that configures logging still gets
# the records (they propagate to its handlers).
logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())

_HAS_SCHEMA = """
    SELECT EXISTS (SELECT FROM pg_catalog.pg_proc p
                     JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname = 'cogdb' AND p.proname = 'set_context')
"""


class _JsonbLoader(JsonbLoader):
    """jsonb as Python values, without a json.loads call for the empty list and object (most
    memories' tags and metadata; two per row of every search and get)."""

    def load(self, data):  # type: ignore[no-untyped-def]
        if data == b"[]":
            return []
        if data == b"{}":
            return {}
        return super().load(data)


#: Whether the database behind a DSN has model migrations (revision 0019, docs/scale-out.md
#: "Re-embedding without downtime"): probed as each connection is made, so remember asks
#: for the tenant's migration in its own statement only where the schema has it, and a
#: client keeps writing to a database migrated to an earlier revision.
MIGRATION_AWARE: dict[str, bool] = {}
#: Likewise, whether it migrates entities' embeddings too (revision 0024): upsert_entity
#: then stores an entity's second vector (cogdb.remember_entity_embeddings).
ENTITY_MIGRATION_AWARE: dict[str, bool] = {}
MIGRATION_PROBE = ("SELECT to_regprocedure('cogdb.migration_target()') IS NOT NULL,"
                   " to_regprocedure('cogdb.remember_entity_embeddings(text[], text,"
                   " public.vector[])') IS NOT NULL")


def remember_probe(dsn: str, row: tuple) -> None:
    """Keeps what MIGRATION_PROBE found for connections to ``dsn``."""
    MIGRATION_AWARE[dsn], ENTITY_MIGRATION_AWARE[dsn] = bool(row[0]), bool(row[1])


def configure(conn: psycopg.Connection) -> None:
    """Runs once per new connection: autocommit (scopes open their own transactions),
    pgvector's types, and whether the schema has model migrations (MIGRATION_AWARE)."""
    conn.autocommit = True
    conn.adapters.register_loader("jsonb", _JsonbLoader)
    try:
        register_vector(conn)
    except psycopg.ProgrammingError as exc:  # vector type missing: database not migrated
        raise NotMigrated("the pgvector extension is not installed in this database",
                          hint="Run `cogdb migrate` against it first.") from exc
    remember_probe(conn.info.dsn, conn.execute(MIGRATION_PROBE).fetchone())


#: Whether a connection carries a tenant context (at session level: set_context's is gone
#: with its transaction): ('', '') when none. The first result of :data:`RESET_MESSAGE`.
CONTEXT_QUERY = ("SELECT coalesce(current_setting('app.tenant_id', true), ''),"
                 " coalesce(current_setting('app.user_id', true), '')")
#: What a request could leave on its connection for the next one, cleared: WITH HOLD cursors
#: (CLOSE ALL) and temporary tables (DISCARD TEMP) filled under its context, session-level
#: settings (RESET ALL: SET ROLE, app.*, row_security, search_path, hnsw.*), LISTEN channels,
#: session advisory locks and sequence state. It is DISCARD ALL without DEALLOCATE ALL and
#: DISCARD PLANS: prepared statements and cached plans hold query text and plans, never rows,
#: and the policies read the context when a plan runs, not when it is made. Dropping them
#: made every request plan set_context and search again (two thirds of a scope's time).
RESET = ("CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; DISCARD TEMP;"
         " DISCARD SEQUENCES; UNLISTEN *; SELECT pg_advisory_unlock_all()")
#: The check and the reset in one message (one round trip); its first result is the check's.
RESET_MESSAGE = f"{CONTEXT_QUERY}; {RESET}"
#: Statements cogdb prepares itself (``prepare=True``: the API's function calls); psycopg
#: prepares nothing on its own, so SQL of your own on ``scope.connection`` is planned for its
#: parameters each time (a generic plan on the partitioned memories table would cover every
#: partition).
PREPARE_THRESHOLD = 1 << 30

_clean: weakref.WeakSet[psycopg.Connection] = weakref.WeakSet()


def check_clean(row: tuple | None, *, committed: bool = False) -> None:
    """IsolationViolation unless ``row`` (the result of :data:`CONTEXT_QUERY`) is clean."""
    if row != ("", ""):
        raise IsolationViolation(
            ("the scope committed, but its connection then carried a tenant context set at "
             "session level; the connection is closed" if committed else
             "a pooled connection came back with a tenant context set; it is discarded"),
            hint="Set the context with cogdb.set_context (it ends with the transaction), "
                 "never with SET or set_config(..., false).")


def reset(conn: psycopg.Connection) -> None:
    """Check that ``conn`` carries no tenant context (a session-level one would mean code
    outside cogdb set it: IsolationViolation, and the caller discards the connection), and
    clear what a request could leave behind (:data:`RESET`). One round trip."""
    with conn.cursor() as cur:
        cur.execute(RESET_MESSAGE, prepare=False)
        check_clean(cur.fetchone())


def mark_clean(conn: psycopg.Connection) -> None:
    """``conn`` was reset by its user just now (a scope's COMMIT message): the pool may hand it
    out without resetting it again."""
    _clean.add(conn)


def check(conn: psycopg.Connection) -> None:
    """Runs when a connection is taken from the pool: reset it, unless the scope that used it
    last has done so (:func:`mark_clean`). A failure discards the connection."""
    if conn in _clean:
        _clean.discard(conn)
        return
    reset(conn)


def redact(conninfo: str) -> str:
    """The connection string without its password, for error messages."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(conninfo)
    except psycopg.Error:
        return "the database"
    info.pop("password", None)
    return " ".join(f"{k}={v}" for k, v in info.items())


def connect_timeout(conninfo: str) -> dict[str, Any]:
    """``connect_timeout`` for psycopg.connect, unless the URL or PGCONNECT_TIMEOUT sets one."""
    try:
        given = "connect_timeout" in psycopg.conninfo.conninfo_to_dict(conninfo)
    except psycopg.Error:
        given = False  # psycopg.connect reports the bad URL itself
    if given or os.environ.get("PGCONNECT_TIMEOUT"):
        return {}
    return {"connect_timeout": CONNECT_TIMEOUT}


def check_connection(conninfo: str) -> None:
    """Connect once, directly: a cogdb error with libpq's reason when the server, the
    database or the login is missing, NotMigrated when the database has no cogdb schema."""
    with translated():
        conn = psycopg.connect(conninfo, autocommit=True, **connect_timeout(conninfo))
    with conn:
        with translated():
            has_schema = conn.execute(_HAS_SCHEMA).fetchone()
        if not has_schema or not has_schema[0]:
            raise NotMigrated(f"database {conn.info.dbname!r} has no cogdb schema",
                              hint="Run `cogdb migrate` against it (or `cogdb quickstart` for "
                                   "the embedded server).")
        configure(conn)


def exhausted(max_size: int, timeout: float) -> PoolExhausted:
    """The error a scope raises when no pooled connection came free within ``timeout``."""
    return PoolExhausted(
        f"all {max_size} pooled connection(s) stayed busy for {timeout:g} s; the scope did "
        "not start", hint="Keep scopes short (no waiting inside them), raise "
        "connect(pool_size=…), or wait longer with connect(pool_timeout=…).")


def open_pool(conninfo: str, max_size: int,
              timeout: float = POOL_WAIT_TIMEOUT) -> ConnectionPool:
    """An open pool of up to ``max_size`` connections, or a cogdb error: at once when the
    first connection fails, within POOL_OPEN_TIMEOUT seconds otherwise. A scope waits up to
    ``timeout`` seconds for a busy pool (then :func:`exhausted`)."""
    check_connection(conninfo)
    # No reset when a connection returns: psycopg_pool would run it in a worker thread (a
    # thread handoff per request); scopes reset inline and the check catches the rest.
    # Server-side prepared statements for cogdb's own calls only (PREPARE_THRESHOLD); behind
    # PgBouncer in transaction mode that needs its max_prepared_statements > 0.
    pool = ConnectionPool(conninfo, min_size=1, max_size=max_size,
                          kwargs={"prepare_threshold": PREPARE_THRESHOLD,
                                  **connect_timeout(conninfo)},
                          configure=configure, check=check, open=False, name="cogdb",
                          timeout=timeout)
    try:
        with translated():
            pool.open(wait=True, timeout=POOL_OPEN_TIMEOUT)
    except CogdbError:
        pool.close()
        raise
    except Exception as exc:  # PoolTimeout: the server refused or is absent
        pool.close()
        raise CogdbError(f"could not connect to {redact(conninfo)}: {exc}",
                         hint="Check that the server accepts connections and the URL "
                              "(COGDB_DATABASE_URL).") from exc
    return pool
