"""The client's connection pool: how a connection is prepared, how it must come back, and
opening the pool with a timeout.

Opening first makes one direct connection, so an absent server, a missing database or login
and an unmigrated database fail at once with libpq's reason (the pool would retry in the
background until its timeout and only then say that it gave up).
"""
from __future__ import annotations

import logging
import os
from typing import Any

import psycopg
from pgvector.psycopg import register_vector
from psycopg_pool import ConnectionPool

from ..config import CONNECT_TIMEOUT, POOL_OPEN_TIMEOUT
from .errors import CogdbError, IsolationViolation, NotMigrated, translated

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

#: The context a connection carries: ('', '') when none (set_context's settings are
#: transaction-local, so after COMMIT or ROLLBACK they read as empty).
CONTEXT_QUERY = ("SELECT coalesce(current_setting('app.tenant_id', true), ''),"
                 " coalesce(current_setting('app.user_id', true), '')")


def configure(conn: psycopg.Connection) -> None:
    """Runs once per new connection: autocommit (scopes open their own transactions) and
    pgvector's types."""
    conn.autocommit = True
    try:
        register_vector(conn)
    except psycopg.ProgrammingError as exc:  # vector type missing: database not migrated
        raise NotMigrated("the pgvector extension is not installed in this database",
                          hint="Run `cogdb migrate` against it first.") from exc


def reset(conn: psycopg.Connection) -> None:
    """Runs when a connection returns to the pool. It must carry no tenant context (a
    session-level one would mean code outside cogdb set it: the connection is discarded),
    and DISCARD ALL drops what a scope could leave behind for the next request: WITH HOLD
    cursors and temporary tables filled under the old context, prepared statements, SETs."""
    row = conn.execute(CONTEXT_QUERY).fetchone()
    if row != ("", ""):
        raise IsolationViolation("a pooled connection came back with a tenant context set; "
                                 "it is discarded")
    conn.execute("DISCARD ALL")


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


def open_pool(conninfo: str, max_size: int) -> ConnectionPool:
    """An open pool of up to ``max_size`` connections, or a cogdb error: at once when the
    first connection fails, within POOL_OPEN_TIMEOUT seconds otherwise."""
    check_connection(conninfo)
    # No server-side prepared statements: the reset's DISCARD ALL drops them (psycopg
    # would then reuse dead names), and transaction-mode poolers cannot keep them either.
    pool = ConnectionPool(conninfo, min_size=1, max_size=max_size,
                          kwargs={"prepare_threshold": None, **connect_timeout(conninfo)},
                          configure=configure, reset=reset, open=False, name="cogdb")
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
