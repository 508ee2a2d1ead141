"""The async client: :func:`connect_async` → :class:`AsyncClient`, whose
``async with client.scope(tenant=…, user=…) as s:`` gives an :class:`AsyncScope` with the
same methods as the sync :class:`cogdb.Scope`, awaitable. The methods are the same code
(:mod:`cogdb.api.operation`): only the driver that runs their statements differs.

Pool hygiene is the sync pool's: a connection that comes back carrying a tenant context is
discarded, every other one is cleared (cogdb.db.pool.RESET); a scope whose task is cancelled
rolls back (psycopg cancels the running statement on the server first) and its connection
comes back without a context.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from ..config import DEFAULT_POOL_SIZE, POOL_WAIT_TIMEOUT, REPLICA_POOL_TIMEOUT, REPLICA_WAIT
from ..db import urls
from ..db.aio import AsyncScopeBase, fetch_rows_async, open_async_pool
from ..db.errors import CogdbError, translated
from ..db.pool import check_connection, exhausted
from ..db.replicas import POLL_EVERY, REPLAYED, ReplicaRouter
from ..embedders import Embedder
from .client import (
    SET_CONTEXT,
    ClientBase,
    _replica_list,
    _replica_wait,
)
from .federated import FederatedMethods
from .knowledge import KnowledgeMethods
from .memories import EmbeddingSteps, MemoryMethods
from .search import SearchMethods
from .sessions import SessionMethods

#: The primary's WAL position, read after a scope's COMMIT when the client has replicas.
_WAL_LSN = "SELECT pg_catalog.pg_current_wal_lsn()::text"
#: A read-only scope's first message inside its transaction (ids checked, sent as literals).
_READ_ONLY_CONTEXT = sql.SQL("SET TRANSACTION READ ONLY; SELECT cogdb.set_context({}, {})")


class AsyncScope(AsyncScopeBase, EmbeddingSteps, MemoryMethods, SearchMethods,
                 KnowledgeMethods, SessionMethods, FederatedMethods):
    """:class:`cogdb.Scope`'s operations, awaitable (``await s.remember(…)``), inside one
    transaction in one tenant (and optionally one user) context."""

    def __init__(self, conn: psycopg.AsyncConnection, tenant: str, user: str | None,
                 client: AsyncClient) -> None:
        super().__init__(conn, tenant, user)
        self._client = client


class AsyncClient(ClientBase):
    """Scoped access for an app login over psycopg's AsyncConnectionPool. Make one with
    ``await cogdb.connect_async()`` inside the event loop that will use it. ``replicas``,
    ``read_your_writes`` and ``replica_wait`` work as :class:`cogdb.Client`'s."""

    def __init__(self, conninfo: str, *, embedder: Embedder | None = None,
                 pool_size: int = DEFAULT_POOL_SIZE,
                 pool_timeout: float = POOL_WAIT_TIMEOUT,
                 replicas: Sequence[str] | None = None, read_your_writes: bool = False,
                 replica_wait: float = REPLICA_WAIT) -> None:
        super().__init__(conninfo, embedder)
        self.pool_size, self.pool_timeout = pool_size, pool_timeout
        self.pool = None
        self.replicas = ReplicaRouter(_replica_list(replicas), read_your_writes=read_your_writes,
                                      wait=_replica_wait(replica_wait))
        self._replica_pools: dict[str, AsyncConnectionPool] = {}

    async def open(self) -> AsyncClient:
        if self.pool is None:
            self.pool = await open_async_pool(self.conninfo, self.pool_size, self.pool_timeout)
        return self

    @asynccontextmanager
    async def scope(self, tenant: uuid.UUID | str, user: uuid.UUID | str | None = None, *,
                    read_only: bool = False, read_your_writes: bool | None = None
                    ) -> AsyncIterator[AsyncScope]:
        """One transaction in the context of ``tenant`` (and ``user``); ``read_only`` and
        ``read_your_writes`` as :meth:`cogdb.Client.scope`'s."""
        tenant_s, user_s, token = self._enter(tenant, user)
        read_only_context = _READ_ONLY_CONTEXT.format(sql.Literal(tenant_s),
                                                      sql.Literal(user_s))
        try:
            await self.open()
            replica = (await self._replica_connection(read_your_writes)
                       if read_only and self.replicas else None)
            if replica is not None:
                pool, conn = replica
                try:
                    with translated():
                        async with conn.transaction():
                            await conn.execute(read_only_context)
                            scope = AsyncScope(conn, tenant_s, user_s,
                                               self)  # type: ignore[arg-type]
                            try:
                                yield scope
                            finally:
                                scope.end()
                finally:
                    await pool.putconn(conn)
                return
            track = bool(self.replicas) and not read_only
            try:
                async with self.pool.connection() as conn:  # type: ignore[union-attr]
                    with translated():
                        async with conn.transaction():
                            if read_only:
                                await conn.execute(read_only_context)
                            else:
                                await conn.execute(SET_CONTEXT, (tenant_s, user_s))
                            scope = AsyncScope(conn, tenant_s, user_s,
                                               self)  # type: ignore[arg-type]
                            try:
                                yield scope
                            finally:
                                scope.end()
                        if track:  # after the COMMIT: the primary's WAL position
                            cur = await conn.execute(_WAL_LSN)
                            row = await cur.fetchone()
                            self.replicas.wrote(row[0] if row else None)
            except PoolTimeout as exc:  # every connection busy for pool_timeout
                raise exhausted(self.pool_size, self.pool_timeout) from exc
        finally:
            self._active.reset(token)

    async def _replica_pool(self, url: str) -> AsyncConnectionPool:
        pool = self._replica_pools.get(url)
        if pool is None:
            # One direct (blocking) connection first: a replica that refuses or is absent
            # fails at once with libpq's reason, not after the pool's open timeout.
            check_connection(url)
            pool = await open_async_pool(url, self.pool_size,
                                         min(self.pool_timeout, REPLICA_POOL_TIMEOUT))
            if url in self._replica_pools:  # another task opened it meanwhile
                await pool.close()
            else:
                self._replica_pools[url] = pool
            pool = self._replica_pools[url]
        return pool

    async def _replica_connection(self, read_your_writes: bool | None
                                  ) -> tuple[AsyncConnectionPool, psycopg.AsyncConnection] | None:
        """A replica connection, checked live (and, for read-your-writes, caught up), or
        None: the scope runs on the primary (cogdb.db.replicas)."""
        target = self.replicas.target(read_your_writes)
        for url in self.replicas.candidates():
            try:
                pool = await self._replica_pool(url)
                conn = await pool.getconn()
            except (CogdbError, PoolTimeout, psycopg.Error) as exc:
                self.replicas.failed(url, exc)
                continue
            try:
                deadline = time.monotonic() + self.replicas.wait
                while True:  # one round trip without a target: is the replica alive
                    cur = await conn.execute(REPLAYED, (target or "0/0",))
                    row = await cur.fetchone()
                    if target is None or (row is not None and row[0]):
                        break
                    if row is None or row[0] is None or time.monotonic() >= deadline:
                        self.replicas.lagging(url, target)
                        await pool.putconn(conn)
                        return None
                    await asyncio.sleep(POLL_EVERY)
            except psycopg.OperationalError as exc:
                await conn.close()
                await pool.putconn(conn)
                self.replicas.failed(url, exc)
                continue
            except BaseException:
                await pool.putconn(conn)
                raise
            return pool, conn
        return None

    async def resolve_identity(self, auth_provider: str, external_id: str
                               ) -> tuple[uuid.UUID, uuid.UUID] | None:
        """(tenant_id, user_id) of an authenticated identity, or None
        (cogdb.resolve_identity, which runs before any context)."""
        await self.open()
        async with self.pool.connection() as conn:  # type: ignore[union-attr]
            rows = await fetch_rows_async(
                conn, "SELECT tenant_id, user_id FROM cogdb.resolve_identity(%s::text, %s::text)",
                (auth_provider, external_id))
        return (rows[0]["tenant_id"], rows[0]["user_id"]) if rows else None

    async def close(self) -> None:
        for pool in self._replica_pools.values():
            await pool.close()
        if self.pool is not None:
            await self.pool.close()

    async def __aenter__(self) -> AsyncClient:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def connect_async(url: str | None = None, *, embedder: Embedder | None = None,
                        pool_size: int = DEFAULT_POOL_SIZE,
                        pool_timeout: float = POOL_WAIT_TIMEOUT,
                        replicas: Sequence[str] | None = None, read_your_writes: bool = False,
                        replica_wait: float = REPLICA_WAIT) -> AsyncClient:
    """An open async client for scoped work: ``url``, else COGDB_DATABASE_URL, else the
    embedded server's app login. Call it in the event loop that will use the client.
    ``replicas`` (else COGDB_REPLICA_URLS) as :func:`cogdb.connect`'s."""
    client = AsyncClient(url if url is not None else urls.app_url(), embedder=embedder,
                         pool_size=pool_size, pool_timeout=pool_timeout, replicas=replicas,
                         read_your_writes=read_your_writes, replica_wait=replica_wait)
    return await client.open()
