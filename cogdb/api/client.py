"""Connections and the tenant scope: :class:`Client` for scoped work, :func:`connect` and
:func:`connect_admin` to get one.

Every scoped method runs inside the transaction opened by :meth:`Client.scope`, whose first
statement is ``cogdb.set_context``. Nothing here filters by tenant: row-level security and
the SQL functions do. Python only validates what cannot travel to the server intact (NUL
bytes, lone surrogates, non-finite floats), sets the context, calls functions, maps rows.
"""
from __future__ import annotations

import contextvars
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolTimeout

from ..config import (
    DEFAULT_POOL_SIZE,
    POOL_WAIT_TIMEOUT,
    REPLICA_POOL_TIMEOUT,
    REPLICA_WAIT,
    replica_urls_from_env,
)
from ..db import urls
from ..db.errors import CogdbError, InvalidInput, IsolationViolation, translated
from ..db.pool import (
    RESET_MESSAGE,
    check_clean,
    exhausted,
    mark_clean,
    open_pool,
    redact,
    reset,
)
from ..db.replicas import POLL_EVERY, REPLAYED, ReplicaRouter
from ..db.scope import ScopeBase
from ..db.values import as_uuid
from ..embedders import Embedder, from_spec
from .audit import AuditClient
from .federated import FederatedMethods
from .knowledge import KnowledgeMethods
from .memories import EmbeddingSteps, MemoryMethods
from .provisioning import AdminClient
from .search import SearchMethods
from .sessions import SessionMethods

#: The first statement of every scope's transaction (the async client sends it alone).
SET_CONTEXT = "SELECT cogdb.set_context(%s::text, %s::text)"
#: The sync client's first message: BEGIN and set_context in one round trip (the ids travel
#: as literals, checked as UUIDs first), and its last: COMMIT with the pool's check and reset.
_BEGIN = sql.SQL("BEGIN; SELECT cogdb.set_context({}, {})")
_BEGIN_READ_ONLY = sql.SQL("BEGIN READ ONLY; SELECT cogdb.set_context({}, {})")
_COMMIT = f"COMMIT; {RESET_MESSAGE}"
#: With replicas: the primary's WAL position after the COMMIT, for read-your-writes.
_COMMIT_TRACKED = f"COMMIT; SELECT pg_catalog.pg_current_wal_lsn()::text; {RESET_MESSAGE}"


def _release(conn: psycopg.Connection, reset_done: bool) -> None:
    """Before a scope's connection goes back to the pool: roll back what is open and reset
    it, unless the COMMIT message did; a connection that cannot be made clean is closed (the
    pool replaces it)."""
    if reset_done:
        mark_clean(conn)
        return
    if conn.closed:
        return
    try:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.rollback()
        reset(conn)
        mark_clean(conn)
    except Exception:
        conn.close()
        raise


class Scope(ScopeBase, EmbeddingSteps, MemoryMethods, SearchMethods, KnowledgeMethods,
            SessionMethods, FederatedMethods):
    """Memory, knowledge, session, event, working-context and federated operations inside one tenant
    (and optionally one user) context.

    Created by :meth:`Client.scope`; valid only inside its ``with`` block, which is one
    database transaction. Tenant and user come from the scope, never from arguments.
    """

    def __init__(self, conn: psycopg.Connection, tenant: str, user: str | None,
                 client: Client) -> None:
        super().__init__(conn, tenant, user)
        self._client = client


class ClientBase:
    """What the sync and the async client share: the embedders, and the flag that refuses
    a scope inside a scope (a context variable: per thread, and per asyncio task)."""

    def __init__(self, conninfo: str, embedder: Embedder | None) -> None:
        self.conninfo = conninfo
        #: Embeds text for its own model when given; other models use the registry's.
        self.embedder: Embedder | None = embedder
        self._embedders: dict[tuple[str, int, str | None], Embedder] = {}
        self._embedders_lock = threading.Lock()
        self._active: contextvars.ContextVar[bool] = contextvars.ContextVar(
            f"cogdb_scope_{id(self)}", default=False)

    def _enter(self, tenant: uuid.UUID | str, user: uuid.UUID | str | None
               ) -> tuple[str, str | None, contextvars.Token[bool]]:
        """Check the ids and that no scope is open here; mark one open."""
        tenant_s = as_uuid(tenant, "tenant")
        user_s = as_uuid(user, "user", required=False)
        if self._active.get():
            raise IsolationViolation("a scope is already open in this context; scopes cannot "
                                     "nest or switch tenants",
                                     hint="Close the outer scope first.")
        return tenant_s, user_s, self._active.set(True)  # type: ignore[return-value]

    def embedder_for(self, model: str, dimensions: int, spec: str | None) -> Embedder:
        """The embedder of a registered model, made once per client (a real model loads
        its weights once)."""
        key = (model, dimensions, spec)
        with self._embedders_lock:
            if key not in self._embedders:
                self._embedders[key] = from_spec(spec, model, dimensions)
            return self._embedders[key]


class Client(ClientBase):
    """Scoped access for an app login (a member of cogdb_app), over a small pool.

    ``with client.scope(tenant=…, user=…) as s:`` opens one transaction whose first statement
    sets the context. Scopes cannot nest or switch; a connection goes back to the pool only
    when it carries no context (the reset's check closes it otherwise).

    With ``replicas=[url, …]`` (hot standbys of the primary, the same app login), a scope
    opened with ``read_only=True`` runs on a replica; every other scope on the primary. See
    :mod:`cogdb.db.replicas` for the routing, the fallback and read-your-writes.
    """

    def __init__(self, conninfo: str, *, embedder: Embedder | None = None,
                 pool_size: int = DEFAULT_POOL_SIZE,
                 pool_timeout: float = POOL_WAIT_TIMEOUT,
                 replicas: Sequence[str] | None = None, read_your_writes: bool = False,
                 replica_wait: float = REPLICA_WAIT) -> None:
        super().__init__(conninfo, embedder)
        self.pool_size, self.pool_timeout = pool_size, pool_timeout
        self.replicas = ReplicaRouter(_replica_list(replicas), read_your_writes=read_your_writes,
                                      wait=_replica_wait(replica_wait))
        self._replica_pools: dict[str, ConnectionPool] = {}
        self._replica_lock = threading.Lock()
        self.pool = open_pool(conninfo, pool_size, pool_timeout)

    @contextmanager
    def scope(self, tenant: uuid.UUID | str, user: uuid.UUID | str | None = None, *,
              read_only: bool = False, read_your_writes: bool | None = None
              ) -> Iterator[Scope]:
        """One transaction in the context of ``tenant`` (and ``user``).

        Three round trips around the body: ``BEGIN; SELECT cogdb.set_context(…)`` as one
        message, the body's statements, and ``COMMIT`` with the pool's context check and
        reset (cogdb.db.pool.RESET) as another. After an error the transaction is rolled
        back and the connection reset; one that cannot be reset is closed, never reused.

        ``read_only=True``: a READ ONLY transaction (a write in it fails with SQLSTATE
        25006), on a replica when the client has some. ``read_your_writes`` (default: the
        client's) makes such a scope wait for the replica to replay this client's last
        committed primary scope, up to ``replica_wait`` seconds, else run on the primary."""
        tenant_s, user_s, token = self._enter(tenant, user)
        try:
            begin = _BEGIN_READ_ONLY if read_only else _BEGIN
            begin_sql = begin.format(sql.Literal(tenant_s), sql.Literal(user_s))
            replica = (self._replica_begin(begin_sql, read_your_writes)
                       if read_only and self.replicas else None)
            if replica is not None:
                pool, conn = replica
                try:
                    yield from _scoped_body(self, conn, tenant_s, user_s, track=False)
                finally:
                    pool.putconn(conn)
                return
            with _pooled(self) as conn:
                with translated():
                    try:
                        conn.execute(begin_sql, prepare=False)
                    except BaseException:
                        _release(conn, False)
                        raise
                yield from _scoped_body(self, conn, tenant_s, user_s,
                                        track=bool(self.replicas) and not read_only)
        finally:
            self._active.reset(token)

    def _replica_pool(self, url: str) -> ConnectionPool:
        """The pool of one replica, opened at its first use (a replica that is down when the
        client starts does not stop the client)."""
        with self._replica_lock:
            pool = self._replica_pools.get(url)
            if pool is None:
                if self.replicas.is_down(url):  # a scope that waited here saw it fail
                    raise CogdbError(f"replica {redact(url)} is left out for now")
                pool = open_pool(url, self.pool_size, min(self.pool_timeout,
                                                          REPLICA_POOL_TIMEOUT))
                self._replica_pools[url] = pool
            return pool

    def _replica_begin(self, begin_sql: sql.Composed, read_your_writes: bool | None
                       ) -> tuple[ConnectionPool, psycopg.Connection] | None:
        """A replica connection inside the scope's transaction (BEGIN and set_context sent),
        or None: no replica is healthy, or none has replayed the client's last write within
        replica_wait seconds (the caller reads on the primary)."""
        target = self.replicas.target(read_your_writes)
        for url in self.replicas.candidates():
            try:
                pool = self._replica_pool(url)
                conn = pool.getconn()
            except (CogdbError, PoolTimeout, psycopg.Error) as exc:
                self.replicas.failed(url, exc)
                continue
            try:
                if target is not None and not _replayed(conn, target, self.replicas.wait):
                    self.replicas.lagging(url, target)
                    pool.putconn(conn)
                    return None
                conn.execute(begin_sql, prepare=False)
            except psycopg.OperationalError as exc:  # lost: the server went away
                conn.close()
                pool.putconn(conn)
                self.replicas.failed(url, exc)
                continue
            except BaseException:
                _release(conn, False)
                pool.putconn(conn)
                raise
            return pool, conn
        return None

    def close(self) -> None:
        for pool in self._replica_pools.values():
            pool.close()
        self.pool.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _replica_list(replicas: Sequence[str] | None) -> list[str]:
    """The replica URLs given, else COGDB_REPLICA_URLS's."""
    if replicas is None:
        return replica_urls_from_env()
    if isinstance(replicas, str):
        raise InvalidInput("replicas must be a list of URLs, not one string",
                           field="replicas", hint="connect(url, replicas=[replica_url])")
    return list(replicas)


def _replica_wait(seconds: float) -> float:
    if not isinstance(seconds, (int, float)) or not 0 <= seconds <= 60:
        raise InvalidInput(f"replica_wait must be seconds between 0 and 60, got {seconds!r}",
                           field="replica_wait", hint="e.g. connect(replica_wait=0.5)")
    return float(seconds)


def _replayed(conn: psycopg.Connection, target: str, wait: float) -> bool:
    """Whether the replica behind ``conn`` has replayed the WAL up to ``target``, polling for
    at most ``wait`` seconds (outside any transaction: each poll sees the replay so far)."""
    deadline = time.monotonic() + wait
    while True:
        row = conn.execute(REPLAYED, (target,), prepare=False).fetchone()
        if row is not None and row[0]:
            return True
        if row is None or row[0] is None or time.monotonic() >= deadline:
            return False
        time.sleep(POLL_EVERY)


def _scoped_body(client: Client, conn: psycopg.Connection, tenant_s: str, user_s: str | None,
                 *, track: bool) -> Iterator[Scope]:
    """The scope on ``conn`` (its BEGIN and set_context sent): the body, then COMMIT with the
    pool's check and reset in one message, or the rollback and reset after an error.
    ``track``: also keep the primary's WAL position after the COMMIT (read-your-writes)."""
    done = False
    try:
        scope = Scope(conn, tenant_s, user_s, client)
        try:
            with translated():  # psycopg errors of SQL of your own, too
                yield scope
        finally:
            scope.end()
        with translated(), conn.cursor() as cur:
            cur.execute(_COMMIT_TRACKED if track else _COMMIT, prepare=False)
            cur.nextset()  # the first result is COMMIT's; then the LSN's, then the check's
            if track:
                lsn = cur.fetchone()
                cur.nextset()
            row = cur.fetchone()
        if row != ("", ""):  # set at session level by SQL of the body's own
            conn.close()
        check_clean(row, committed=True)
        if track:
            client.replicas.wrote(lsn[0] if lsn else None)
        done = True
    finally:
        _release(conn, done)


@contextmanager
def _pooled(client: Client) -> Iterator[psycopg.Connection]:
    """``client.pool.connection()``, whose wait for a free connection ends in PoolExhausted
    (a scope's body never raises PoolTimeout: scopes do not nest)."""
    try:
        with client.pool.connection() as conn:
            yield conn
    except PoolTimeout as exc:
        raise exhausted(client.pool_size, client.pool_timeout) from exc


def connect(url: str | None = None, *, embedder: Embedder | None = None,
            pool_size: int = DEFAULT_POOL_SIZE,
            pool_timeout: float = POOL_WAIT_TIMEOUT, replicas: Sequence[str] | None = None,
            read_your_writes: bool = False, replica_wait: float = REPLICA_WAIT) -> Client:
    """A client for scoped work: ``url``, else COGDB_DATABASE_URL, else the embedded
    server's app login. A scope waits up to ``pool_timeout`` seconds for a pooled connection
    when all ``pool_size`` are busy, then raises PoolExhausted. ``replicas`` (else
    COGDB_REPLICA_URLS): hot standbys for ``scope(…, read_only=True)``; see
    :mod:`cogdb.db.replicas`."""
    return Client(url if url is not None else urls.app_url(), embedder=embedder,
                  pool_size=pool_size, pool_timeout=pool_timeout, replicas=replicas,
                  read_your_writes=read_your_writes, replica_wait=replica_wait)


def connect_auditor(url: str | None = None) -> AuditClient:
    """A client for the audit trail: ``url``, else COGDB_AUDITOR_URL, else the admin URL."""
    return AuditClient(url if url is not None else urls.auditor_url())


def connect_admin(url: str | None = None) -> AdminClient:
    """A client for provisioning: ``url``, else COGDB_ADMIN_URL, else the embedded
    superuser."""
    return AdminClient(url if url is not None else urls.admin_url())
