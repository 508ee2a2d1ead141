"""The thin Python layer: connections, the tenant scope, and one method per SQL function.

Every scoped method runs inside the transaction opened by :meth:`Client.scope`, whose first
statement is ``cogdb.set_context``. Nothing here filters by tenant: row-level security and
the SQL functions do. Python only validates what cannot travel to the server intact (NUL
bytes, lone surrogates, non-finite floats), sets the context, calls functions, maps rows.
"""
from __future__ import annotations

import contextvars
import math
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from . import config
from .embedder import Embedder, HashEmbedder
from .errors import CogdbError, InvalidInput, IsolationViolation, NotFound, translate

#: The keys remember()/remember_many() accept; tenant and owner come from the context.
MEMORY_FIELDS = (
    "id", "conversation_id", "sequence_index", "human_content", "assistant_content", "summary",
    "context_type", "source", "created_at", "expires_at", "visibility", "intent_type",
    "complexity", "technical_depth", "emotional_valence", "urgency", "conversation_mode",
    "action_required", "has_code", "has_error", "tags", "cluster_id", "cluster_label",
    "cluster_confidence", "access_count", "last_accessed",
)
_ALIASES = {"human": "human_content", "assistant": "assistant_content"}


@dataclass(frozen=True)
class Memory:
    """A stored memory as ``get`` returns it (``embedding`` included)."""

    id: str
    tenant_id: uuid.UUID | None = None
    owner_user_id: uuid.UUID | None = None
    visibility: str | None = None
    conversation_id: str | None = None
    sequence_index: int | None = None
    human_content: str | None = None
    assistant_content: str | None = None
    summary: str | None = None
    context_type: str | None = None
    source: str | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None
    intent_type: str | None = None
    complexity: str | None = None
    technical_depth: int | None = None
    emotional_valence: str | None = None
    urgency: str | None = None
    conversation_mode: str | None = None
    action_required: bool | None = None
    has_code: bool | None = None
    has_error: bool | None = None
    tags: list[str] | None = None
    cluster_id: int | None = None
    cluster_label: str | None = None
    cluster_confidence: float | None = None
    access_count: int | None = None
    last_accessed: datetime | None = None
    model: str | None = None
    embedding: np.ndarray | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Memory:
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in row.items() if k in names}
        if values.get("embedding") is not None and not isinstance(values["embedding"], np.ndarray):
            values["embedding"] = values["embedding"].to_numpy()
        return cls(**values)


@dataclass(frozen=True)
class SearchHit(Memory):
    """A search result: the memory's fields and its cosine similarity to the query
    (1 - cosine distance; 1.0 means the same direction). ``plan`` is the path the search
    took: ``exact``, or ``ann:<index>`` for the tenant's own ANN index."""

    similarity: float = 0.0
    plan: str | None = None


@dataclass(frozen=True)
class Tenant:
    id: uuid.UUID
    name: str
    mode: str
    external_id: str | None = None


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str


def _as_uuid(value: uuid.UUID | str | None, field: str, *, required: bool = True) -> str | None:
    if value is None:
        if required:
            raise InvalidInput(f"{field} is required", field=field)
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise InvalidInput(f"{field} must be a UUID, got {str(value)[:60]!r}",
                           field=field) from None


def _check_text(value: Any, field: str, where: str = "") -> None:
    if not isinstance(value, str):
        return
    if "\x00" in value:
        raise InvalidInput(f"{field}{where} contains a NUL byte, which PostgreSQL text cannot hold",
                           field=field, hint="Strip \\x00 characters before storing.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{field}{where} contains a lone surrogate (not valid Unicode)",
                           field=field, hint="Decode the source text with errors='replace'.") \
            from None


def _as_vector(value: Any, field: str, where: str = "") -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field}{where} must be a sequence of numbers", field=field) from None
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidInput(f"{field}{where} must be a non-empty 1-D vector, got shape {arr.shape}",
                           field=field)
    if not np.all(np.isfinite(arr)):
        raise InvalidInput(f"{field}{where} contains NaN or infinity", field=field,
                           hint="Check the embedder output; vectors must be finite.")
    return arr


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (tuple, set)):
        return list(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # let the server name the field
    return value


def _configure(conn: psycopg.Connection) -> None:
    conn.autocommit = True
    try:
        register_vector(conn)
    except psycopg.ProgrammingError as exc:  # vector type missing: database not migrated
        raise CogdbError("the pgvector extension is not installed in this database",
                         hint="Run `cogdb migrate` against it first.") from exc


def _reset(conn: psycopg.Connection) -> None:
    """Runs when a connection returns to the pool. It must carry no tenant context (a
    session-level one would mean code outside cogdb set it: the connection is discarded),
    and DISCARD ALL drops what a scope could leave behind for the next request: WITH HOLD
    cursors and temporary tables filled under the old context, prepared statements, SETs."""
    row = conn.execute("SELECT coalesce(current_setting('app.tenant_id', true), ''),"
                       " coalesce(current_setting('app.user_id', true), '')").fetchone()
    if row != ("", ""):
        raise IsolationViolation("a pooled connection came back with a tenant context set; "
                                 "it is discarded")
    conn.execute("DISCARD ALL")


class Scope:
    """Memory operations inside one tenant (and optionally one user) context.

    Created by :meth:`Client.scope`; valid only inside its ``with`` block, which is one
    database transaction. Tenant and user come from the scope, never from arguments.
    """

    def __init__(self, conn: psycopg.Connection, tenant: str, user: str | None,
                 embedder: Embedder) -> None:
        self._connection = conn
        self.tenant_id = uuid.UUID(tenant)
        self.user_id = uuid.UUID(user) if user else None
        self._embedder = embedder
        self._open = True

    @property
    def connection(self) -> psycopg.Connection:
        """The scope's connection, inside its transaction, for SQL of your own. Refused once
        the scope has ended: by then the connection may serve another tenant."""
        if not self._open:
            raise CogdbError("this scope has ended; open a new one with client.scope(...)")
        return self._connection

    def _execute(self, query: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            with self.connection.cursor(row_factory=dict_row) as cur:
                cur.execute(query, params)
                return cur.fetchall() if cur.description else []
        except psycopg.Error as exc:
            raise translate(exc) from exc

    def _prepare(self, items: Sequence[Mapping[str, Any]],
                 embeddings: Sequence[Any] | np.ndarray | None) -> tuple[list[dict], list]:
        payload: list[dict[str, Any]] = []
        for i, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise InvalidInput(f"memory #{i} must be a mapping of field names to values",
                                   field="memories")
            record = {_ALIASES.get(k, k): v for k, v in item.items()}
            for key, value in record.items():
                where = f" (memory #{i})" if len(items) > 1 else ""
                _check_text(value, key, where)
                if key == "tags" and value is not None:
                    for tag in value:
                        _check_text(tag, "tags", where)
            payload.append({k: _jsonable(v) for k, v in record.items() if v is not None})
        if embeddings is None:
            texts = [f"{p.get('human_content', '')}\n{p.get('assistant_content', '')}"
                     for p in payload]
            vectors = list(self._embedder.embed(texts))
        else:
            if len(embeddings) != len(payload):
                raise InvalidInput(f"{len(payload)} memories but {len(embeddings)} embeddings",
                                   field="embeddings")
            vectors = [_as_vector(e, "embedding", f" (memory #{i})" if len(payload) > 1 else "")
                       for i, e in enumerate(embeddings)]
        return payload, vectors

    def remember(self, human: str = "", assistant: str = "", embedding: Any = None, *,
                 model: str | None = None, private: bool = False, **fields: Any) -> str:
        """Store one memory; returns its id. Without ``embedding`` the client's embedder
        embeds ``human`` and ``assistant``. ``private=True`` makes it visible to the scope's
        user only. Other keyword arguments are memory fields (tags, source, expires_at, …)."""
        if private:
            fields["visibility"] = "private"
        item = {"human_content": human, "assistant_content": assistant, **fields}
        return self.remember_many([item], None if embedding is None else [embedding],
                                  model=model)[0]

    def remember_many(self, memories: Sequence[Mapping[str, Any]],
                      embeddings: Sequence[Any] | np.ndarray | None = None, *,
                      model: str | None = None) -> list[str]:
        """Store several memories in one statement; ids come back in input order. All or
        nothing: one invalid memory refuses the batch and nothing is written."""
        if not memories:
            return []
        payload, vectors = self._prepare(memories, embeddings)
        if embeddings is None and model is None:
            model = self._embedder.model
        # %b: vectors travel in binary; as text, 5,000 of 384-d took 1.9 s to send, 27x more.
        rows = self._execute(
            "SELECT r.id FROM cogdb.remember_many(%s::jsonb, %b::vector[], %s::text) AS r"
            " ORDER BY r.ordinality",
            (Jsonb(payload), vectors, model))
        return [r["id"] for r in rows]

    def get(self, memory_id: str) -> Memory | None:
        """The memory, or None when it is missing, expired or not visible to this scope."""
        _check_text(memory_id, "id")
        rows = self._execute("SELECT * FROM cogdb.get(%s::text)", (memory_id,))
        return Memory.from_row(rows[0]) if rows else None

    def forget(self, memory_id: str) -> bool:
        """Delete the memory; False when it is missing or not visible to this scope."""
        _check_text(memory_id, "id")
        rows = self._execute("SELECT cogdb.forget(%s::text) AS deleted", (memory_id,))
        return bool(rows[0]["deleted"])

    def search(self, query: str | Sequence[float] | np.ndarray, k: int = 10, *,
               model: str | None = None, conversation: str | None = None,
               source: str | None = None, context_type: str | None = None,
               tags_any: Sequence[str] | None = None, created_after: datetime | None = None,
               created_before: datetime | None = None, owner: uuid.UUID | str | None = None,
               visibility: str | None = None, ef_search: int | None = None
               ) -> list[SearchHit]:
        """The k nearest memories this scope may see, nearest first (ties by id).
        A text query is embedded with the client's embedder (and searches its model).
        Filters (conversation, source, context_type, tags_any, created_after/before, owner,
        visibility) narrow the candidates before ranking; ``ef_search`` tunes the ANN path."""
        if isinstance(query, str):
            _check_text(query, "query")
            vector = self._embedder.embed([query])[0]
            model = model or self._embedder.model
        else:
            vector = _as_vector(query, "query")
        for name, value in (("conversation", conversation), ("source", source),
                            ("context_type", context_type)):
            _check_text(value, name)
        owner_s = _as_uuid(owner, "owner", required=False)
        rows = self._execute(
            "SELECT * FROM cogdb.search(query => %b::vector, k => %s::integer,"
            " model => %s::text, only_conversation => %s::text, only_source => %s::text,"
            " only_context_type => %s::text, tags_any => %s::text[],"
            " created_after => %s::timestamptz, created_before => %s::timestamptz,"
            " only_owner => %s::uuid, only_visibility => %s::text, ef_search => %s::integer)",
            (vector, k, model, conversation, source, context_type,
             list(tags_any) if tags_any is not None else None, created_after, created_before,
             owner_s, visibility, ef_search))
        return [SearchHit.from_row(r) for r in rows]


class Client:
    """Scoped access for an app login (a member of cogdb_app), over a small pool.

    ``with client.scope(tenant=…, user=…) as s:`` opens one transaction whose first statement
    sets the context. Scopes cannot nest or switch; a connection goes back to the pool only
    when it carries no context (the pool's reset check discards it otherwise).
    """

    def __init__(self, conninfo: str, *, embedder: Embedder | None = None,
                 pool_size: int = 4) -> None:
        self.conninfo = conninfo
        self.embedder: Embedder = embedder or HashEmbedder()
        self._active: contextvars.ContextVar[bool] = contextvars.ContextVar(
            f"cogdb_scope_{id(self)}", default=False)
        # No server-side prepared statements: the reset's DISCARD ALL drops them (psycopg
        # would then reuse dead names), and transaction-mode poolers cannot keep them either.
        self.pool = ConnectionPool(conninfo, min_size=1, max_size=pool_size,
                                   kwargs={"prepare_threshold": None},
                                   configure=_configure, reset=_reset, open=False,
                                   name="cogdb")
        try:
            self.pool.open(wait=True, timeout=15)
        except psycopg.Error as exc:
            self.pool.close()
            raise translate(exc) from exc
        except Exception as exc:  # PoolTimeout: the server refused or is absent
            self.pool.close()
            raise CogdbError(f"could not connect to {_redact(conninfo)}: {exc}",
                             hint="Check COGDB_DATABASE_URL, or run `cogdb db start`.") from exc

    @contextmanager
    def scope(self, tenant: uuid.UUID | str, user: uuid.UUID | str | None = None
              ) -> Iterator[Scope]:
        """One transaction in the context of ``tenant`` (and ``user``)."""
        tenant_s = _as_uuid(tenant, "tenant")
        user_s = _as_uuid(user, "user", required=False)
        if self._active.get():
            raise IsolationViolation("a scope is already open in this context; scopes cannot "
                                     "nest or switch tenants",
                                     hint="Close the outer scope first.")
        token = self._active.set(True)
        try:
            with self.pool.connection() as conn:
                try:
                    with conn.transaction():
                        conn.execute("SELECT cogdb.set_context(%s::text, %s::text)",
                                     (tenant_s, user_s))
                        scope = Scope(conn, tenant_s, user_s, self.embedder)  # type: ignore[arg-type]
                        try:
                            yield scope
                        finally:
                            scope._open = False
                except psycopg.Error as exc:
                    raise translate(exc) from exc
        finally:
            self._active.reset(token)

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AdminClient:
    """Provisioning through cogdb's definer functions (needs a member of cogdb_admin, or the
    embedded superuser). Each call is its own transaction."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        try:
            self.connection = psycopg.connect(conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise translate(exc) from exc

    def _one(self, query: str | sql.Composable, params: Sequence[Any] = ()) -> Any:
        try:
            row = self.connection.execute(query, params).fetchone()
        except psycopg.Error as exc:
            raise translate(exc) from exc
        return row[0] if row else None

    def create_tenant(self, name: str, *, mode: str = "personal",
                      external_id: str | None = None, isolation_level: str = "strict",
                      default_model: str | None = None) -> Tenant:
        """Create a tenant (idempotent for the same external_id, name and mode)."""
        for field, value in (("name", name), ("external_id", external_id)):
            _check_text(value, field)
        tenant_id = self._one(
            "SELECT cogdb.create_tenant(name => %s::text, mode => %s::text,"
            " external_id => %s::text, isolation_level => %s::text, default_model => %s::text)",
            (name, mode, external_id, isolation_level, default_model))
        return Tenant(tenant_id, name.strip(), mode, external_id)

    def create_user(self, tenant: uuid.UUID | str, *, email: str,
                    auth_provider: str | None = None, external_id: str | None = None) -> User:
        """Create a user in ``tenant`` (idempotent on tenant and email)."""
        tenant_s = _as_uuid(tenant, "tenant")
        for field, value in (("email", email), ("auth_provider", auth_provider),
                             ("external_id", external_id)):
            _check_text(value, field)
        user_id = self._one(
            "SELECT cogdb.create_user(%s::text, %s::text, %s::text, %s::text)",
            (tenant_s, email, auth_provider, external_id))
        return User(user_id, uuid.UUID(tenant_s), email.strip().lower())

    def delete_user(self, tenant: uuid.UUID | str, user: uuid.UUID | str) -> bool:
        """Delete a user with their private memories; their shared memories stay, ownerless."""
        return bool(self._one("SELECT cogdb.delete_user(%s::text, %s::text)",
                              (_as_uuid(tenant, "tenant"), _as_uuid(user, "user"))))

    def register_model(self, name: str, dimensions: int, metric: str = "cosine",
                       description: str | None = None) -> str:
        """Register an embedding model (idempotent for the same definition)."""
        return self._one("SELECT cogdb.register_model(%s::text, %s::integer, %s::text, %s::text)",
                         (name, dimensions, metric, description))

    def resolve_identity(self, auth_provider: str, external_id: str
                         ) -> tuple[uuid.UUID, uuid.UUID] | None:
        """(tenant_id, user_id) of an authenticated identity, or None."""
        try:
            row = self.connection.execute(
                "SELECT tenant_id, user_id FROM cogdb.resolve_identity(%s::text, %s::text)",
                (auth_provider, external_id)).fetchone()
        except psycopg.Error as exc:
            raise translate(exc) from exc
        return (row[0], row[1]) if row else None

    def _rows(self, query: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            with self.connection.cursor(row_factory=dict_row) as cur:
                return cur.execute(query, params).fetchall()
        except psycopg.Error as exc:
            raise translate(exc) from exc

    def list_tenants(self) -> list[dict[str, Any]]:
        """Every tenant with its stored and effective settings (cogdb.list_tenants)."""
        return self._rows("SELECT * FROM cogdb.list_tenants()")

    def get_tenant(self, tenant: uuid.UUID | str) -> dict[str, Any]:
        """One tenant as list_tenants shows it; NotFound when there is none."""
        tenant_s = _as_uuid(tenant, "tenant")
        rows = self._rows("SELECT * FROM cogdb.list_tenants() WHERE id = %s::uuid", (tenant_s,))
        if not rows:
            raise NotFound(f"no tenant with id {tenant_s}", field="tenant_id",
                           hint="List tenants with `cogdb tenant list`.")
        return rows[0]

    def list_users(self, tenant: uuid.UUID | str) -> list[dict[str, Any]]:
        """The users of ``tenant`` with their identities (cogdb.list_users)."""
        return self._rows("SELECT * FROM cogdb.list_users(%s::text)",
                          (_as_uuid(tenant, "tenant"),))

    def set_tenant_setting(self, tenant: uuid.UUID | str, key: str, value: Any) -> dict:
        """Set one whitelisted setting (``None`` restores the mode's default); returns the
        tenant's effective settings."""
        return self._one("SELECT cogdb.set_tenant_setting(%s::text, %s::text, %s::jsonb)",
                         (_as_uuid(tenant, "tenant"), key,
                          None if value is None else Jsonb(value)))

    @staticmethod
    def set_tenant_setting_sql(tenant: uuid.UUID | str, key: str, value: Any) -> str:
        """The SQL :meth:`set_tenant_setting` runs, with literals, for a DBA to review."""
        import json

        return sql.SQL("SELECT cogdb.set_tenant_setting({}, {}, {});").format(
            sql.Literal(_as_uuid(tenant, "tenant")), sql.Literal(key),
            sql.SQL("NULL") if value is None
            else sql.SQL("{}::jsonb").format(sql.Literal(json.dumps(value)))).as_string(None)

    @staticmethod
    def create_tenant_sql(name: str, *, mode: str = "personal", external_id: str | None = None,
                          isolation_level: str = "strict",
                          default_model: str | None = None) -> str:
        """The SQL :meth:`create_tenant` runs, with literals, for a DBA to review."""
        return sql.SQL("SELECT cogdb.create_tenant(name => {}, mode => {}, external_id => {},"
                       " isolation_level => {}, default_model => {});").format(
            *(sql.Literal(v) for v in (name, mode, external_id, isolation_level,
                                       default_model))).as_string(None)

    @staticmethod
    def create_user_sql(tenant: uuid.UUID | str, *, email: str,
                        auth_provider: str | None = None, external_id: str | None = None) -> str:
        """The SQL :meth:`create_user` runs, with literals, for a DBA to review."""
        return sql.SQL("SELECT cogdb.create_user({}, {}, {}, {});").format(
            *(sql.Literal(v) for v in (_as_uuid(tenant, "tenant"), email, auth_provider,
                                       external_id))).as_string(None)

    def ensure_app_login(self, name: str, password: str | None = None) -> None:
        """Create (or keep) a LOGIN role that is a member of cogdb_app. Needs CREATEROLE."""
        exists = self._one("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
        if not exists:
            stmt = sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT").format(
                sql.Identifier(name))
            if password is not None:
                stmt = stmt + sql.SQL(" PASSWORD {}").format(sql.Literal(password))
            with suppress(psycopg.errors.DuplicateObject):
                self.connection.execute(stmt)
        try:
            self.connection.execute(
                sql.SQL("GRANT cogdb_app TO {} WITH INHERIT TRUE").format(sql.Identifier(name)))
        except psycopg.Error as exc:
            raise translate(exc) from exc

    def secure_database(self) -> None:
        """Revoke the PUBLIC defaults on the current database (CONNECT, TEMPORARY) and grant
        CONNECT to the cogdb roles only (TEMPORARY to cogdb_app, for staging tables)."""
        dbname = self._one("SELECT current_database()")
        ident = sql.Identifier(dbname)
        try:
            self.connection.execute(
                sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(ident))
            self.connection.execute(sql.SQL(
                "GRANT CONNECT ON DATABASE {} TO cogdb_app, cogdb_admin, cogdb_auditor"
            ).format(ident))
            self.connection.execute(
                sql.SQL("GRANT TEMPORARY ON DATABASE {} TO cogdb_app").format(ident))
        except psycopg.Error as exc:
            raise translate(exc) from exc

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _redact(conninfo: str) -> str:
    try:
        info = psycopg.conninfo.conninfo_to_dict(conninfo)
    except psycopg.Error:
        return "the database"
    info.pop("password", None)
    return " ".join(f"{k}={v}" for k, v in info.items())


def connect(url: str | None = None, *, embedder: Embedder | None = None,
            pool_size: int = 4) -> Client:
    """A client for scoped work: ``url``, else COGDB_DATABASE_URL, else the embedded
    server's app login."""
    if url is None:
        url = config.database_url_from_env()
    if url is None:
        if config.admin_url_from_env():
            raise CogdbError("COGDB_ADMIN_URL is set but COGDB_DATABASE_URL is not",
                             hint="Set COGDB_DATABASE_URL to the app login's URL.")
        from . import embedded

        url = embedded.app_url()
    return Client(url, embedder=embedder, pool_size=pool_size)


def connect_admin(url: str | None = None) -> AdminClient:
    """A client for provisioning: ``url``, else COGDB_ADMIN_URL, else the embedded
    superuser."""
    if url is None:
        from .migrations import admin_url

        url = admin_url()
    return AdminClient(url)
