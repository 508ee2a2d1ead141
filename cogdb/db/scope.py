"""Running statements: the helpers every area uses, and the base of a tenant scope (a
connection inside one transaction, refused once that transaction has ended).

A scope's operations are written once, for the sync and the async client alike, as
*steps*: a generator that yields what it needs done — a :class:`Statement` to run, a
:class:`Compute` (an embedder's CPU work) — and receives the result. :class:`ScopeBase`
drives the steps on a psycopg Connection; ``AsyncScopeBase`` (``cogdb.db.aio``) awaits them
on an AsyncConnection. So the SQL text of each method exists in one place.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from .errors import CogdbError, translated

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
        return cur.fetchall() if cur.description else []


def fetch_value(conn: psycopg.Connection, query: Query, params: Sequence[Any] = ()) -> Any:
    """The first column of the first row (None when there is no row)."""
    with translated():
        row = conn.execute(query, params).fetchone()
    return row[0] if row else None


class ScopeState:
    """What every scope holds: tenant, user, and whether its transaction is still open."""

    def __init__(self, conn: Any, tenant: str, user: str | None) -> None:
        self._connection = conn
        self.tenant_id = uuid.UUID(tenant)
        self.user_id = uuid.UUID(user) if user else None
        self._open = True

    @property
    def connection(self) -> Any:
        """The scope's connection, inside its transaction, for SQL of your own. Refused once
        the scope has ended: by then the connection may serve another tenant."""
        if not self._open:
            raise CogdbError("this scope has ended; open a new one with client.scope(...)")
        return self._connection

    def end(self) -> None:
        """Called when the scope's transaction ends; the connection is refused from now on."""
        self._open = False


class ScopeBase(ScopeState):
    """One tenant (and optionally one user) context on one connection, inside one
    transaction. The area mixins of :mod:`cogdb.api` add the operations."""

    connection: psycopg.Connection

    def _execute(self, query: Query, params: Sequence[Any] = (), *,
                 prepare: bool | None = None) -> list[dict[str, Any]]:
        return fetch_rows(self.connection, query, params, prepare=prepare)

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
