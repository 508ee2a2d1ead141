"""The client's connection pool: how a connection is prepared, how it must come back, and
opening the pool with a timeout.
"""
from __future__ import annotations

import psycopg
from pgvector.psycopg import register_vector
from psycopg_pool import ConnectionPool

from ..config import POOL_OPEN_TIMEOUT
from .errors import CogdbError, IsolationViolation, translated

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
        raise CogdbError("the pgvector extension is not installed in this database",
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


def open_pool(conninfo: str, max_size: int) -> ConnectionPool:
    """An open pool of up to ``max_size`` connections, or a cogdb error within
    POOL_OPEN_TIMEOUT seconds."""
    # No server-side prepared statements: the reset's DISCARD ALL drops them (psycopg
    # would then reuse dead names), and transaction-mode poolers cannot keep them either.
    pool = ConnectionPool(conninfo, min_size=1, max_size=max_size,
                          kwargs={"prepare_threshold": None},
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
                         hint="Check COGDB_DATABASE_URL, or run `cogdb db start`.") from exc
    return pool
