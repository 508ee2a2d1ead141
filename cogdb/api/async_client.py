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

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from psycopg_pool import PoolTimeout

from ..config import DEFAULT_POOL_SIZE, POOL_WAIT_TIMEOUT
from ..db import urls
from ..db.aio import AsyncScopeBase, fetch_rows_async, open_async_pool
from ..db.errors import translated
from ..db.pool import exhausted
from ..embedders import Embedder
from .client import SET_CONTEXT, ClientBase
from .federated import FederatedMethods
from .knowledge import KnowledgeMethods
from .memories import EmbeddingSteps, MemoryMethods
from .search import SearchMethods
from .sessions import SessionMethods


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
    ``await cogdb.connect_async()`` inside the event loop that will use it."""

    def __init__(self, conninfo: str, *, embedder: Embedder | None = None,
                 pool_size: int = DEFAULT_POOL_SIZE,
                 pool_timeout: float = POOL_WAIT_TIMEOUT) -> None:
        super().__init__(conninfo, embedder)
        self.pool_size, self.pool_timeout = pool_size, pool_timeout
        self.pool = None

    async def open(self) -> AsyncClient:
        if self.pool is None:
            self.pool = await open_async_pool(self.conninfo, self.pool_size, self.pool_timeout)
        return self

    @asynccontextmanager
    async def scope(self, tenant: uuid.UUID | str, user: uuid.UUID | str | None = None
                    ) -> AsyncIterator[AsyncScope]:
        """One transaction in the context of ``tenant`` (and ``user``)."""
        tenant_s, user_s, token = self._enter(tenant, user)
        try:
            await self.open()
            try:
                async with self.pool.connection() as conn:  # type: ignore[union-attr]
                    with translated():
                        async with conn.transaction():
                            await conn.execute(SET_CONTEXT, (tenant_s, user_s))
                            scope = AsyncScope(conn, tenant_s, user_s,
                                               self)  # type: ignore[arg-type]
                            try:
                                yield scope
                            finally:
                                scope.end()
            except PoolTimeout as exc:  # every connection busy for pool_timeout
                raise exhausted(self.pool_size, self.pool_timeout) from exc
        finally:
            self._active.reset(token)

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
        if self.pool is not None:
            await self.pool.close()

    async def __aenter__(self) -> AsyncClient:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def connect_async(url: str | None = None, *, embedder: Embedder | None = None,
                        pool_size: int = DEFAULT_POOL_SIZE,
                        pool_timeout: float = POOL_WAIT_TIMEOUT) -> AsyncClient:
    """An open async client for scoped work: ``url``, else COGDB_DATABASE_URL, else the
    embedded server's app login. Call it in the event loop that will use the client."""
    client = AsyncClient(url if url is not None else urls.app_url(), embedder=embedder,
                         pool_size=pool_size, pool_timeout=pool_timeout)
    return await client.open()
