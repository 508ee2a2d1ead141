"""The async side of :mod:`cogdb.db`: psycopg's AsyncConnectionPool with the same hygiene as
the sync pool (:mod:`cogdb.db.pool`), and the async scope base that awaits the steps the API
mixins yield (:mod:`cogdb.db.scope`)."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import psycopg
from pgvector.psycopg import register_vector_async
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from ..config import POOL_OPEN_TIMEOUT, POOL_WAIT_TIMEOUT
from .errors import CogdbError, translated
from .pool import MIGRATION_PROBE, RESET_MESSAGE, check_clean, redact, remember_probe
from .scope import Query, ScopeState, Statement, Steps, T, returns_rows


async def configure(conn: psycopg.AsyncConnection) -> None:
    """As :func:`cogdb.db.pool.configure`: autocommit, pgvector's types, MIGRATION_AWARE."""
    await conn.set_autocommit(True)
    try:
        await register_vector_async(conn)
    except psycopg.ProgrammingError as exc:
        raise CogdbError("the pgvector extension is not installed in this database",
                         hint="Run `cogdb migrate` against it first.") from exc
    cur = await conn.execute(MIGRATION_PROBE)
    remember_probe(conn.info.dsn, await cur.fetchone())


async def reset(conn: psycopg.AsyncConnection) -> None:
    """As :func:`cogdb.db.pool.reset`, in one round trip: a connection that comes back with a
    tenant context is discarded; every other one is cleared (cogdb.db.pool.RESET)."""
    async with conn.cursor() as cur:
        await cur.execute(RESET_MESSAGE, prepare=False)
        check_clean(await cur.fetchone())


async def open_async_pool(conninfo: str, max_size: int,
                          timeout: float = POOL_WAIT_TIMEOUT) -> AsyncConnectionPool:
    """An open async pool of up to ``max_size`` connections, or a cogdb error within
    POOL_OPEN_TIMEOUT seconds. It belongs to the running event loop."""
    pool = AsyncConnectionPool(conninfo, min_size=1, max_size=max_size,
                               kwargs={"prepare_threshold": None},
                               configure=configure, reset=reset, open=False,
                               name="cogdb-async", timeout=timeout)
    try:
        with translated():
            await pool.open(wait=True, timeout=POOL_OPEN_TIMEOUT)
    except CogdbError:
        await pool.close()
        raise
    except Exception as exc:  # PoolTimeout: the server refused or is absent
        await pool.close()
        raise CogdbError(f"could not connect to {redact(conninfo)}: {exc}",
                         hint="Check COGDB_DATABASE_URL, or run `cogdb db start`.") from exc
    return pool


async def fetch_rows_async(conn: psycopg.AsyncConnection, query: Query,
                           params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """The rows of one statement as dicts (none for a statement without a result)."""
    with translated():
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params)
            return await cur.fetchall() if returns_rows(cur) else []


class AsyncScopeBase(ScopeState):
    """The async scope: the same operations as :class:`cogdb.db.scope.ScopeBase`, awaitable.
    Embedding (CPU work) runs in a worker thread so the event loop stays responsive."""

    connection: psycopg.AsyncConnection

    async def _execute(self, query: Query, params: Sequence[Any] = ()
                       ) -> list[dict[str, Any]]:
        return await fetch_rows_async(self._conn(), query, params)

    async def _run(self, steps: Steps[T]) -> T:
        try:
            step = next(steps)
            while True:
                if isinstance(step, Statement):
                    result = await self._execute(step.query, step.params)
                else:
                    result = await asyncio.to_thread(step.fn, *step.args)
                step = steps.send(result)
        except StopIteration as done:
            return done.value
