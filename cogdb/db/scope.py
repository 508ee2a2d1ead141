"""Running statements: the helpers every area uses, and the base of a tenant scope (a
connection inside one transaction, refused once that transaction has ended).

A scope's operations are written once, for the sync and the async client alike, as
*steps*: a generator that yields what it needs done — a :class:`Statement` to run, a
:class:`Compute` (an embedder's CPU work) — and receives the result. :class:`ScopeBase`
drives the steps on a psycopg Connection; ``AsyncScopeBase`` (``cogdb.db.aio``) awaits them
on an AsyncConnection. So the SQL text of each method exists in one place.
"""
from __future__ import annotations

import inspect
import uuid
from collections.abc import AsyncIterator, Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from psycopg import sql
from psycopg.pq import ExecStatus
from psycopg.rows import dict_row

from .errors import ScopeRequired, translated

Query = str | sql.Composable
T = TypeVar("T")


@dataclass(frozen=True)
class Statement:
    """One statement to run in the scope's transaction; its result is the rows as dicts.
    ``prepare=True`` keeps it prepared on the server (cogdb's own calls of its functions; see
    cogdb.db.pool.PREPARE_THRESHOLD)."""

    query: Query
    params: Sequence[Any] = ()
    prepare: bool | None = None


@dataclass(frozen=True)
class Compute:
    """Work outside the database (embedding text); the async client runs it in a thread."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()


#: An operation: yields steps, receives their results, returns the operation's result.
Steps = Generator[Statement | Compute, Any, T]


def fetch_rows(conn: psycopg.Connection, query: Query, params: Sequence[Any] = (), *,
               prepare: bool | None = None) -> list[dict[str, Any]]:
    """The rows of one statement as dicts (none for a statement without a result).
    ``prepare=True`` keeps it prepared on the server (see cogdb.db.pool.PREPARE_THRESHOLD)."""
    with translated(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, params, prepare=prepare)
        return cur.fetchall() if returns_rows(cur) else []


def returns_rows(cur: psycopg.Cursor | psycopg.AsyncCursor) -> bool:
    """Whether the cursor's last statement returned rows (a SELECT, … RETURNING), read from
    the result's status: ``cur.description`` would build a Column object per column on every
    call (a search returns 29), a measurable share of the client's time per request."""
    res = cur.pgresult
    return res is not None and res.status == ExecStatus.TUPLES_OK and res.nfields > 0


def fetch_value(conn: psycopg.Connection, query: Query, params: Sequence[Any] = ()) -> Any:
    """The first column of the first row (None when there is no row)."""
    with translated():
        row = conn.execute(query, params).fetchone()
    return row[0] if row else None


#: What a scope's handles hand out wrapped in turn: a cursor, COPY or transaction taken from
#: the scope's connection would otherwise outlive the scope just as the connection would.
_GUARDED_TYPES = (psycopg.Cursor, psycopg.AsyncCursor, psycopg.Copy, psycopg.AsyncCopy,
                  psycopg.Transaction, psycopg.AsyncTransaction, psycopg.Pipeline,
                  psycopg.AsyncPipeline)
#: What a client-side cursor still answers after its scope: the rows it already received
#: (they were the scope's own), never a new round trip to the server.
_BUFFER_READS = frozenset({"fetchone", "fetchmany", "fetchall", "description", "rowcount",
                           "rownumber", "statusmessage", "close", "closed"})
#: What any handle still answers after its scope: whether the object is closed or broken.
_STATUS_READS = frozenset({"closed", "broken"})


class ScopedHandle:
    """A psycopg connection, cursor, COPY or transaction of one scope, usable while the scope
    is open and refused (ScopeRequired) from the moment it ends. The pool hands the same
    connection to the next request, with that request's context: a handle kept past its scope
    (``h = s.connection``) would run inside another tenant's transaction. Attribute reads,
    calls, ``with``, ``async with`` and iteration are checked; what they return is wrapped in
    turn when it is one of the objects above. A client-side cursor still hands out the rows it
    received inside the scope (``_BUFFER_READS``), which never reach the server."""

    __slots__ = ("_scope", "_target")

    def __init__(self, target: Any, scope: ScopeState) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_scope", scope)

    def _live(self) -> Any:
        self._scope._check_open()
        return self._target

    def _wrap(self, value: Any) -> Any:
        if value is self._target:
            return self
        return ScopedHandle(value, self._scope) if isinstance(value, _GUARDED_TYPES) else value

    def __getattr__(self, name: str) -> Any:
        if name in _STATUS_READS or (name in _BUFFER_READS and self._buffered()):
            return getattr(self._target, name)
        value = getattr(self._live(), name)
        if not callable(value):
            return self._wrap(value)
        if inspect.iscoroutinefunction(value):
            async def checked_async(*args: Any, **kwargs: Any) -> Any:
                self._live()
                return self._wrap(await value(*args, **kwargs))
            return checked_async

        def checked(*args: Any, **kwargs: Any) -> Any:
            self._live()
            return self._wrap(value(*args, **kwargs))
        return checked

    def _buffered(self) -> bool:
        return (isinstance(self._target, (psycopg.Cursor, psycopg.AsyncCursor))
                and not isinstance(self._target, (psycopg.ServerCursor,
                                                  psycopg.AsyncServerCursor)))

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._live(), name, value)

    def __enter__(self) -> Any:
        return self._wrap(self._live().__enter__())

    def __exit__(self, *exc: Any) -> Any:
        return self._target.__exit__(*exc)

    async def __aenter__(self) -> Any:
        return self._wrap(await self._live().__aenter__())

    async def __aexit__(self, *exc: Any) -> Any:
        return await self._target.__aexit__(*exc)

    def __iter__(self) -> Iterator[Any]:
        if self._buffered():
            yield from self._target
            return
        it = iter(self._live())
        while True:
            self._live()
            try:
                yield next(it)
            except StopIteration:
                return

    async def __aiter__(self) -> AsyncIterator[Any]:
        if self._buffered():
            async for row in self._target:
                yield row
            return
        it = self._live().__aiter__()
        while True:
            self._live()
            try:
                yield await it.__anext__()
            except StopAsyncIteration:
                return

    def __repr__(self) -> str:
        state = "open" if self._scope._open else "ended"
        return f"<ScopedHandle ({state} scope) of {self._target!r}>"


class ScopeState:
    """What every scope holds: tenant, user, and whether its transaction is still open."""

    def __init__(self, conn: Any, tenant: str, user: str | None) -> None:
        self._connection = conn
        self.tenant_id = uuid.UUID(tenant)
        self.user_id = uuid.UUID(user) if user else None
        self._open = True
        self._handle = ScopedHandle(conn, self)

    def _check_open(self) -> None:
        if not self._open:
            raise ScopeRequired("this scope has ended; its connection may now serve another "
                                "request", hint="Open a new one with client.scope(...) and use "
                                "its connection inside the with block.")

    def _conn(self) -> Any:
        """The raw connection, for the scope's own statements (checked once per call)."""
        self._check_open()
        return self._connection

    @property
    def connection(self) -> Any:
        """The scope's connection, inside its transaction, for SQL of your own: a
        :class:`ScopedHandle` that stops working when the scope ends (by then the pool may
        have handed the connection to another tenant's request), as do the cursors, COPYs
        and transactions taken from it."""
        self._check_open()
        return self._handle

    def end(self) -> None:
        """Called when the scope's transaction ends; the connection is refused from now on."""
        self._open = False


class ScopeBase(ScopeState):
    """One tenant (and optionally one user) context on one connection, inside one
    transaction. The area mixins of :mod:`cogdb.api` add the operations."""

    connection: psycopg.Connection

    def _execute(self, query: Query, params: Sequence[Any] = (), *,
                 prepare: bool | None = None) -> list[dict[str, Any]]:
        return fetch_rows(self._conn(), query, params, prepare=prepare)

    def _run(self, steps: Steps[T]) -> T:
        """Drive an operation's steps to its result."""
        try:
            step = next(steps)
            while True:
                if isinstance(step, Statement):
                    result = self._execute(step.query, step.params, prepare=step.prepare)
                else:
                    result = step.fn(*step.args)
                step = steps.send(result)
        except StopIteration as done:
            return done.value
