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
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg_pool import PoolTimeout

from ..config import DEFAULT_POOL_SIZE, POOL_WAIT_TIMEOUT
from ..db import urls
from ..db.errors import IsolationViolation, translated
from ..db.pool import RESET_MESSAGE, check_clean, exhausted, mark_clean, open_pool, reset
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
_COMMIT = f"COMMIT; {RESET_MESSAGE}"


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
    """

    def __init__(self, conninfo: str, *, embedder: Embedder | None = None,
                 pool_size: int = DEFAULT_POOL_SIZE,
                 pool_timeout: float = POOL_WAIT_TIMEOUT) -> None:
        super().__init__(conninfo, embedder)
        self.pool_size, self.pool_timeout = pool_size, pool_timeout
        self.pool = open_pool(conninfo, pool_size, pool_timeout)

    @contextmanager
    def scope(self, tenant: uuid.UUID | str, user: uuid.UUID | str | None = None
              ) -> Iterator[Scope]:
        """One transaction in the context of ``tenant`` (and ``user``).

        Three round trips around the body: ``BEGIN; SELECT cogdb.set_context(…)`` as one
        message, the body's statements, and ``COMMIT`` with the pool's context check and
        reset (cogdb.db.pool.RESET) as another. After an error the transaction is rolled
        back and the connection reset; one that cannot be reset is closed, never reused."""
        tenant_s, user_s, token = self._enter(tenant, user)
        try:
            with _pooled(self) as conn:
                done = False
                try:
                    with translated():
                        conn.execute(_BEGIN.format(sql.Literal(tenant_s), sql.Literal(user_s)),
                                     prepare=False)
                    scope = Scope(conn, tenant_s, user_s, self)  # type: ignore[arg-type]
                    try:
                        with translated():  # psycopg errors of SQL of your own, too
                            yield scope
                    finally:
                        scope.end()
                    with translated(), conn.cursor() as cur:
                        cur.execute(_COMMIT, prepare=False)
                        cur.nextset()  # the first result is COMMIT's; then the check's
                        row = cur.fetchone()
                    if row != ("", ""):  # set at session level by SQL of the body's own
                        conn.close()
                    check_clean(row, committed=True)
                    done = True
                finally:
                    _release(conn, done)
        finally:
            self._active.reset(token)

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
            pool_timeout: float = POOL_WAIT_TIMEOUT) -> Client:
    """A client for scoped work: ``url``, else COGDB_DATABASE_URL, else the embedded
    server's app login. A scope waits up to ``pool_timeout`` seconds for a pooled connection
    when all ``pool_size`` are busy, then raises PoolExhausted."""
    return Client(url if url is not None else urls.app_url(), embedder=embedder,
                  pool_size=pool_size, pool_timeout=pool_timeout)


def connect_auditor(url: str | None = None) -> AuditClient:
    """A client for the audit trail: ``url``, else COGDB_AUDITOR_URL, else the admin URL."""
    return AuditClient(url if url is not None else urls.auditor_url())


def connect_admin(url: str | None = None) -> AdminClient:
    """A client for provisioning: ``url``, else COGDB_ADMIN_URL, else the embedded
    superuser."""
    return AdminClient(url if url is not None else urls.admin_url())
