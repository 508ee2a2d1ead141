"""Running statements: the helpers every area uses, and the base of a tenant scope (a
connection inside one transaction, refused once that transaction has ended)."""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from .errors import CogdbError, translated

Query = str | sql.Composable


def fetch_rows(conn: psycopg.Connection, query: Query, params: Sequence[Any] = (), *,
               prepare: bool | None = None) -> list[dict[str, Any]]:
    """The rows of one statement as dicts (none for a statement without a result).
    ``prepare=True`` keeps it prepared on the server (cogdb's own calls; see
    cogdb.db.pool.PREPARE_THRESHOLD)."""
    with translated(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, params, prepare=prepare)
        return cur.fetchall() if cur.description else []


def fetch_value(conn: psycopg.Connection, query: Query, params: Sequence[Any] = ()) -> Any:
    """The first column of the first row (None when there is no row)."""
    with translated():
        row = conn.execute(query, params).fetchone()
    return row[0] if row else None


class ScopeBase:
    """One tenant (and optionally one user) context on one connection, inside one
    transaction. The area mixins of :mod:`cogdb.api` add the operations."""

    def __init__(self, conn: psycopg.Connection, tenant: str, user: str | None) -> None:
        self._connection = conn
        self.tenant_id = uuid.UUID(tenant)
        self.user_id = uuid.UUID(user) if user else None
        self._open = True

    @property
    def connection(self) -> psycopg.Connection:
        """The scope's connection, inside its transaction, for SQL of your own. Refused once
        the scope has ended: by then the connection may serve another tenant."""
        if not self._open:
            raise CogdbError("this scope has ended; open a new one with client.scope(...)")
        return self._connection

    def end(self) -> None:
        """Called when the scope's transaction ends; the connection is refused from now on."""
        self._open = False

    def _execute(self, query: Query, params: Sequence[Any] = (), *,
                 prepare: bool | None = None) -> list[dict[str, Any]]:
        return fetch_rows(self.connection, query, params, prepare=prepare)
