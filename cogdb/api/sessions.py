"""Sessions, the event stream, working context and offloaded contexts, in a scope.

One method per SQL function of ``sql/functions/sessions/``, each one call; tenant, user and
visibility come from the scope's context and the database decides everything else (the
sequence numbers, compare-and-set, expiry, what the scope may see).
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import numpy as np
from psycopg.types.json import Jsonb

from ..db.errors import InvalidInput
from ..db.scope import Statement, Steps
from ..db.values import as_uuid, as_vector, check_json, check_text, jsonable
from .memories import Memory
from .operation import operation

#: Sessions, events and entries a page holds unless told.
DEFAULT_PAGE = 100


def _from_row(cls: type, row: Mapping[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in row.items() if k in names})


@dataclass(frozen=True)
class Session:
    """A session as ``get_session`` returns it. ``event_count`` is how many events it has:
    they are numbered 1 … event_count without gaps."""

    id: uuid.UUID
    owner_user_id: uuid.UUID | None = None
    visibility: str | None = None
    mode: str | None = None
    agent: str | None = None
    parent_session_id: uuid.UUID | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    metadata: dict[str, Any] | None = None
    event_count: int = 0

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Session:
        return _from_row(cls, row)


@dataclass(frozen=True)
class SessionHit:
    """A session found by ``search_sessions``: the best similarity of its memories among the
    candidates, how many of them it had, and the nearest one."""

    session_id: uuid.UUID
    similarity: float
    matches: int
    best_memory_id: str
    owner_user_id: uuid.UUID | None = None
    visibility: str | None = None
    mode: str | None = None
    agent: str | None = None
    parent_session_id: uuid.UUID | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    plan: str | None = None


@dataclass(frozen=True)
class AppendedEvent:
    """What ``append_event`` returns: the event's id, its seq in the session and its time."""

    id: uuid.UUID
    seq: int
    created_at: datetime


@dataclass(frozen=True)
class Event:
    """An event of the stream (immutable)."""

    id: uuid.UUID
    session_id: uuid.UUID
    seq: int
    event_type: str
    source_agent: str | None = None
    target_agent: str | None = None
    payload: Any = None
    parent_event_id: uuid.UUID | None = None
    created_at: datetime | None = None
    appended_by: uuid.UUID | None = None
    owner_user_id: uuid.UUID | None = None
    visibility: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Event:
        return _from_row(cls, row)


@dataclass(frozen=True)
class WorkingEntry:
    """A working-context entry: ``version`` is what the next write names."""

    key: str
    value: Any
    version: int
    tier: str
    session_id: uuid.UUID | None = None
    agent: str | None = None
    owner_user_id: uuid.UUID | None = None
    expires_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: uuid.UUID | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> WorkingEntry:
        return _from_row(cls, row)


@dataclass(frozen=True)
class Offloaded:
    """An offloaded context: the whole text, its size before and after compression."""

    id: str
    content: str
    original_bytes: int
    stored_bytes: int
    compression_ratio: float
    summary: str | None = None
    session_id: uuid.UUID | None = None
    owner_user_id: uuid.UUID | None = None
    visibility: str | None = None
    tags: Any = None
    metadata: dict[str, Any] | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None
    model: str | None = None


@dataclass(frozen=True)
class OffloadHit:
    """An offloaded context found by ``search_offloaded`` (without its text)."""

    id: str
    similarity: float
    original_bytes: int
    stored_bytes: int
    compression_ratio: float
    summary: str | None = None
    preview: str | None = None
    session_id: uuid.UUID | None = None
    created_at: datetime | None = None
    plan: str | None = None


def _opt_uuid(value: Any, field: str) -> str | None:
    return as_uuid(value, field, required=False)


class SessionMethods:
    """Sessions, events, working context and offloaded contexts; mixed into
    :class:`cogdb.Scope`."""

    _embed: Callable[[str | None, Sequence[str]], Steps[tuple[str, np.ndarray]]]

    # ------------------------------------------------------------------ sessions

    @operation
    def start_session(self, *, mode: str | None = None, agent: str | None = None,
                      parent: uuid.UUID | str | None = None,
                      metadata: Mapping[str, Any] | None = None,
                      visibility: str | None = None) -> Steps[uuid.UUID]:
        """Start a session; returns its id. Private to the scope's user unless
        ``visibility="tenant"`` (a scope without a user starts tenant sessions). ``mode`` is
        a conversation_mode value; ``parent`` the session it continues."""
        for name, value in (("mode", mode), ("agent", agent), ("visibility", visibility),
                            ("metadata", metadata)):
            check_json(value, name)
        rows = yield Statement(
            "SELECT cogdb.start_session(mode => %s::text, agent => %s::text,"
            " parent_session_id => %s::uuid, metadata => %s::jsonb, visibility => %s::text) AS id",
            (mode, agent, _opt_uuid(parent, "parent"), Jsonb(dict(metadata or {})), visibility))
        return rows[0]["id"]

    @operation
    def end_session(self, session_id: uuid.UUID | str) -> Steps[datetime]:
        """End a session (it takes no more events); returns when it ended."""
        rows = yield Statement("SELECT cogdb.end_session(%s::uuid) AS ended_at",
                             (as_uuid(session_id, "session_id"),))
        return rows[0]["ended_at"]

    @operation
    def get_session(self, session_id: uuid.UUID | str) -> Steps[Session | None]:
        """The session, or None when it is missing or not visible to this scope."""
        rows = yield Statement("SELECT * FROM cogdb.get_session(%s::uuid)",
                             (as_uuid(session_id, "session_id"),))
        return Session.from_row(rows[0]) if rows else None

    @operation
    def list_sessions(self, page_size: int = 20, *,
                      before: tuple[datetime, uuid.UUID | str] | None = None,
                      owner: uuid.UUID | str | None = None, mode: str | None = None,
                      agent: str | None = None, parent: uuid.UUID | str | None = None,
                      only_open: bool = False) -> Steps[list[Session]]:
        """The sessions this scope may see, newest first. Next page:
        ``before=(last.started_at, last.id)``."""
        check_json([mode, agent], "filters")
        before_at, before_id = before if before is not None else (None, None)
        rows = yield Statement(
            "SELECT * FROM cogdb.list_sessions(page_size => %s::integer,"
            " before_started_at => %s::timestamptz, before_id => %s::uuid,"
            " only_owner => %s::uuid, only_mode => %s::text, only_agent => %s::text,"
            " only_parent => %s::uuid, only_open => %s::boolean)",
            (page_size, before_at, _opt_uuid(before_id, "before"), _opt_uuid(owner, "owner"),
             mode, agent, _opt_uuid(parent, "parent"), only_open))
        return [Session.from_row(r) for r in rows]

    @operation
    def session_memories(self, session_id: uuid.UUID | str, page_size: int = DEFAULT_PAGE, *,
                         after: tuple[datetime, str] | None = None) -> Steps[list[Memory]]:
        """The memories of a session, oldest first. Next page:
        ``after=(last.created_at, last.id)``."""
        after_at, after_id = after if after is not None else (None, None)
        check_json(after_id, "after")
        rows = yield Statement(
            "SELECT * FROM cogdb.session_memories(%s::uuid, %s::integer, %s::timestamptz,"
            " %s::text)", (as_uuid(session_id, "session_id"), page_size, after_at, after_id))
        return [Memory.from_row(r) for r in rows]

    @operation
    def search_sessions(self, query: str | Sequence[float] | np.ndarray, k: int = 10, *,
                        model: str | None = None, candidates: int = 200) -> Steps[list[SessionHit]]:
        """The sessions where ``query`` came up: cogdb.search's ``candidates`` nearest
        memories, grouped by session, best first."""
        if isinstance(query, str):
            check_json(query, "query")
            model, matrix = yield from self._embed(model, [query])
            vector = matrix[0]
        else:
            vector = as_vector(query, "query")
        rows = yield Statement(
            "SELECT * FROM cogdb.search_sessions(%b::vector, %s::integer, %s::text,"
            " %s::integer)", (vector, k, model, candidates))
        return [_from_row(SessionHit, r) for r in rows]

    # ------------------------------------------------------------------ events

    @operation
    def append_event(self, session_id: uuid.UUID | str, event_type: str,
                     payload: Any = None, *, source: str | None = None,
                     target: str | None = None, parent: uuid.UUID | str | None = None,
                     event_id: uuid.UUID | str | None = None) -> Steps[AppendedEvent]:
        """Append an event; returns its id, seq (the session's next number) and time.
        Pass ``event_id`` to make a retried append idempotent (the second is refused)."""
        for name, value in (("event_type", event_type), ("payload", payload),
                            ("source", source), ("target", target)):
            check_json(value, name)
        rows = yield Statement(
            "SELECT * FROM cogdb.append_event(%s::uuid, %s::text, %s::jsonb, %s::text,"
            " %s::text, %s::uuid, %s::uuid)",
            (as_uuid(session_id, "session_id"), event_type,
             Jsonb(jsonable(payload) if payload is not None else {}), source, target,
             _opt_uuid(parent, "parent"), _opt_uuid(event_id, "event_id")))
        return _from_row(AppendedEvent, rows[0])

    @operation
    def list_events(self, session_id: uuid.UUID | str, after_seq: int = 0,
                    page_size: int = DEFAULT_PAGE, *, since: datetime | None = None,
                    until: datetime | None = None,
                    event_type: str | None = None) -> Steps[list[Event]]:
        """A session's events in seq order after ``after_seq`` (the last seq seen), at most
        ``page_size``, optionally at or after ``since``, before ``until``, of one type."""
        check_json(event_type, "event_type")
        rows = yield Statement(
            "SELECT * FROM cogdb.list_events(%s::uuid, %s::bigint, %s::integer,"
            " %s::timestamptz, %s::timestamptz, %s::text)",
            (as_uuid(session_id, "session_id"), after_seq, page_size, since, until, event_type))
        return [Event.from_row(r) for r in rows]

    @operation
    def event_chain(self, event_id: uuid.UUID | str, max_depth: int = 1000) -> Steps[list[Event]]:
        """The event and its causes: parent, grandparent, … back to the root."""
        rows = yield Statement("SELECT * FROM cogdb.event_chain(%s::uuid, %s::integer)",
                             (as_uuid(event_id, "event_id"), max_depth))
        return [Event.from_row(r) for r in rows]

    # ------------------------------------------------------------------ working context

    @operation
    def get_working_entry(self, key: str, *, session: uuid.UUID | str | None = None,
                          agent: str | None = None, tier: str = "shared"
                          ) -> Steps[WorkingEntry | None]:
        """The live entry ``key`` of the namespace (session, agent, tier), or None."""
        check_json([key, agent, tier], "key")
        rows = yield Statement(
            "SELECT * FROM cogdb.get_working_entry(%s::text, %s::uuid, %s::text, %s::text)",
            (key, _opt_uuid(session, "session"), agent, tier))
        return WorkingEntry.from_row(rows[0]) if rows else None

    @operation
    def set_working_entry(self, key: str, value: Any, expected_version: int, *,
                          session: uuid.UUID | str | None = None, agent: str | None = None,
                          tier: str = "shared", expires_at: datetime | None = None) -> Steps[int]:
        """Write ``key`` by compare-and-set: ``expected_version`` is the version read (0 to
        create). Returns the new version; raises :class:`cogdb.StaleVersion` (with
        ``current_version``) when another write came first."""
        check_json([key, agent, tier, value], "value")
        rows = yield Statement(
            "SELECT cogdb.set_working_entry(%s::text, %s::jsonb, %s::bigint, %s::uuid,"
            " %s::text, %s::text, %s::timestamptz) AS version",
            (key, Jsonb(jsonable(value)), expected_version, _opt_uuid(session, "session"),
             agent, tier, expires_at))
        return rows[0]["version"]

    @operation
    def delete_working_entry(self, key: str, expected_version: int, *,
                             session: uuid.UUID | str | None = None, agent: str | None = None,
                             tier: str = "shared") -> Steps[bool]:
        """Delete ``key`` by compare-and-set; :class:`cogdb.StaleVersion` when stale."""
        check_json([key, agent, tier], "key")
        rows = yield Statement(
            "SELECT cogdb.delete_working_entry(%s::text, %s::bigint, %s::uuid, %s::text,"
            " %s::text) AS deleted",
            (key, expected_version, _opt_uuid(session, "session"), agent, tier))
        return bool(rows[0]["deleted"])

    @operation
    def list_working_entries(self, *, session: uuid.UUID | str | None = None,
                             agent: str | None = None, tier: str | None = None,
                             key_prefix: str | None = None, page_size: int = DEFAULT_PAGE,
                             after: tuple[str, str] | None = None) -> Steps[list[WorkingEntry]]:
        """The live entries of one namespace (session and agent, None included), by key.
        Next page: ``after=(last.key, last.tier)``."""
        after_key, after_tier = after if after is not None else (None, None)
        check_json([agent, tier, key_prefix, after_key, after_tier], "key")
        rows = yield Statement(
            "SELECT * FROM cogdb.list_working_entries(%s::uuid, %s::text, %s::text, %s::text,"
            " %s::integer, %s::text, %s::text)",
            (_opt_uuid(session, "session"), agent, tier, key_prefix, page_size, after_key,
             after_tier))
        return [WorkingEntry.from_row(r) for r in rows]

    # ------------------------------------------------------------------ offloaded contexts

    @operation
    def offload_context(self, content: str, embedding: Any = None, *,
                        summary: str | None = None, session: uuid.UUID | str | None = None,
                        model: str | None = None, private: bool = False,
                        **fields: Any) -> Steps[str]:
        """Offload a large text: the database keeps it whole and compressed beside a
        searchable memory (context type ``offload``); returns their id. Without
        ``embedding``, the summary (else the text) is embedded by the model's embedder.
        Other keyword arguments are memory fields (tags, metadata, expires_at, …)."""
        check_text(content, "content")
        if not isinstance(content, str) or not content:
            raise InvalidInput("content must be a non-empty string", field="content")
        record = {k: v for k, v in fields.items() if v is not None}
        if summary is not None:
            record["summary"] = summary
        if session is not None:
            record["session_id"] = _opt_uuid(session, "session")
        if private:
            record["visibility"] = "private"
        check_json(record, "fields")
        if embedding is None:
            model, matrix = yield from self._embed(model, [summary or content])
            vector = matrix[0]
        else:
            vector = as_vector(embedding, "embedding")
        rows = yield Statement(
            "SELECT cogdb.offload_context(%s::text, %b::vector, %s::jsonb, %s::text) AS id",
            (content, vector, Jsonb({k: jsonable(v) for k, v in record.items()}), model))
        return rows[0]["id"]

    @operation
    def get_offloaded(self, offload_id: str) -> Steps[Offloaded | None]:
        """The offloaded context (whole text and sizes), or None when missing, expired or
        not visible to this scope."""
        check_json(offload_id, "id")
        rows = yield Statement("SELECT * FROM cogdb.get_offloaded(%s::text)", (offload_id,))
        return _from_row(Offloaded, rows[0]) if rows else None

    @operation
    def search_offloaded(self, query: str | Sequence[float] | np.ndarray, k: int = 10, *,
                         model: str | None = None) -> Steps[list[OffloadHit]]:
        """The k offloaded contexts nearest to ``query`` (cogdb.search over context type
        ``offload``), without their text: fetch it with :meth:`get_offloaded`."""
        if isinstance(query, str):
            check_json(query, "query")
            model, matrix = yield from self._embed(model, [query])
            vector = matrix[0]
        else:
            vector = as_vector(query, "query")
        rows = yield Statement("SELECT * FROM cogdb.search_offloaded(%b::vector, %s::integer,"
                             " %s::text)", (vector, k, model))
        return [_from_row(OffloadHit, r) for r in rows]
