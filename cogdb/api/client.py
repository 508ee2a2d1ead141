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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import psycopg
from psycopg import sql

from ..config import DEFAULT_POOL_SIZE
from ..db import urls
from ..db.errors import IsolationViolation, translated
from ..db.pool import RESET_MESSAGE, check_clean, mark_clean, open_pool, reset
from ..db.scope import ScopeBase
from ..db.values import as_uuid
from ..embedders import Embedder, from_spec
from .memories import MemoryMethods
from .provisioning import AdminClient
from .search import SearchMethods

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


class Scope(ScopeBase, MemoryMethods, SearchMethods):
    """Memory operations inside one tenant (and optionally one user) context.

    Created by :meth:`Client.scope`; valid only inside its ``with`` block, which is one
    database transaction. Tenant and user come from the scope, never from arguments.
    """

    def __init__(self, conn: psycopg.Connection, tenant: str, user: str | None,
                 client: Client) -> None:
        super().__init__(conn, tenant, user)
        self._client = client

    def _embed(self, model: str | None, texts: Sequence[str]) -> tuple[str, np.ndarray]:
        """Embed ``texts`` for ``model`` (default: the tenant's): with the client's own
        embedder when it makes that model, else with the one the model registry names."""
        own = self._client.embedder
        if own is not None and model in (None, own.model):
            return own.model, own.embed(texts)
        row = self._execute(
            "SELECT r.name, r.dimensions, m.embedder FROM cogdb.resolve_model(%s::text) r"
            " JOIN cogdb.embedding_models m ON m.name = r.name", (model,))[0]
        embedder = self._client.embedder_for(row["name"], row["dimensions"], row["embedder"])
        return row["name"], embedder.embed(texts)


class Client:
    """Scoped access for an app login (a member of cogdb_app), over a small pool.

    ``with client.scope(tenant=…, user=…) as s:`` opens one transaction whose first statement
    sets the context. Scopes cannot nest or switch; a connection goes back to the pool only
    when it carries no context (the reset's check discards it otherwise).
    """

    def __init__(self, conninfo: str, *, embedder: Embedder | None = None,
                 pool_size: int = DEFAULT_POOL_SIZE) -> None:
        self.conninfo = conninfo
        #: Embeds text for its own model when given; other models use the registry's.
        self.embedder: Embedder | None = embedder
        self._embedders: dict[tuple[str, int, str | None], Embedder] = {}
        self._embedders_lock = threading.Lock()
        self._active: contextvars.ContextVar[bool] = contextvars.ContextVar(
            f"cogdb_scope_{id(self)}", default=False)
        self.pool = open_pool(conninfo, pool_size)

    @contextmanager
    def scope(self, tenant: uuid.UUID | str, user: uuid.UUID | str | None = None
              ) -> Iterator[Scope]:
        """One transaction in the context of ``tenant`` (and ``user``).

        Three round trips around the body: ``BEGIN; SELECT cogdb.set_context(…)`` as one
        message (the ids travel as literals, checked as UUIDs first), the body's statements,
        and ``COMMIT`` with the pool's context check and reset (cogdb.db.pool.RESET) as
        another. After an error the transaction is rolled back and the connection reset; one
        that cannot be reset is closed, never reused."""
        tenant_s = as_uuid(tenant, "tenant")
        user_s = as_uuid(user, "user", required=False)
        if self._active.get():
            raise IsolationViolation("a scope is already open in this context; scopes cannot "
                                     "nest or switch tenants",
                                     hint="Close the outer scope first.")
        token = self._active.set(True)
        try:
            with self.pool.connection() as conn:
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

    def embedder_for(self, model: str, dimensions: int, spec: str | None) -> Embedder:
        """The embedder of a registered model, made once per client (a real model loads
        its weights once)."""
        key = (model, dimensions, spec)
        with self._embedders_lock:
            if key not in self._embedders:
                self._embedders[key] = from_spec(spec, model, dimensions)
            return self._embedders[key]

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(url: str | None = None, *, embedder: Embedder | None = None,
            pool_size: int = DEFAULT_POOL_SIZE) -> Client:
    """A client for scoped work: ``url``, else COGDB_DATABASE_URL, else the embedded
    server's app login."""
    return Client(url if url is not None else urls.app_url(), embedder=embedder,
                  pool_size=pool_size)


def connect_admin(url: str | None = None) -> AdminClient:
    """A client for provisioning: ``url``, else COGDB_ADMIN_URL, else the embedded
    superuser."""
    return AdminClient(url if url is not None else urls.admin_url())
