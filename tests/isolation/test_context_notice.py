"""`SELECT cogdb.set_context(…)` outside a transaction sets a context that ends with that very
statement; set_context says so with a NOTICE (revision 0005), so a psql user who forgot
BEGIN learns why the next query sees nothing. Inside BEGIN … COMMIT there is no NOTICE.

As the app login, in autocommit, with the notices captured.
"""
from __future__ import annotations

import psycopg
import pytest
from helpers import assert_rls_applies
from psycopg import sql

NOTICE = "cogdb: the tenant context ends with this statement (no transaction is open)"


@pytest.fixture
def app(db):
    """An autocommit connection as the app login, and the notices it receives."""
    with psycopg.connect(db.app_url, autocommit=True) as conn:
        assert_rls_applies(conn)
        notices: list[tuple[str | None, str | None, str | None]] = []
        # a Diagnostic is valid only inside the handler: keep its fields
        conn.add_notice_handler(lambda d: notices.append(
            (d.severity_nonlocalized, d.message_primary, d.message_hint)))
        yield conn, notices


def _literal_call(tenant, user) -> str:
    """The call as psql sends it: literals, the simple query protocol."""
    return sql.SQL("SELECT cogdb.set_context({}, {})").format(
        sql.Literal(str(tenant)), sql.Literal(str(user))).as_string(None)


def _ours(notices) -> list[tuple[str | None, str | None, str | None]]:
    return [n for n in notices if n[1] == NOTICE]


def test_notice_in_autocommit_as_psql_sends_it(app, tenants):
    conn, notices = app
    conn.execute(_literal_call(tenants.a, tenants.a1))
    [(severity, _, hint)] = _ours(notices)
    assert severity == "NOTICE" and "BEGIN" in (hint or "")
    # and indeed the context is gone by the next statement: nothing is visible
    assert conn.execute("SELECT count(*) FROM cogdb.tenants").fetchone()[0] == 0


def test_no_notice_inside_begin_commit(app, tenants):
    conn, notices = app
    conn.execute("BEGIN")
    conn.execute(_literal_call(tenants.a, tenants.a1))
    assert conn.execute("SELECT count(*) FROM cogdb.tenants").fetchone()[0] == 1
    conn.execute("COMMIT")
    with conn.transaction():  # psycopg's own BEGIN, the call with bound parameters
        conn.execute("SELECT cogdb.set_context(%s::text, %s::text)",
                     (str(tenants.a), str(tenants.a1)))
    conn.execute(f"BEGIN; {_literal_call(tenants.a, tenants.a1)}; COMMIT")  # one message
    assert _ours(notices) == []
    # positive control: the same connection and handler do report it outside a transaction
    conn.execute(_literal_call(tenants.a, tenants.a1))
    assert len(_ours(notices)) == 1


@pytest.mark.xfail(strict=True, reason=(
    "set_context detects autocommit as statement_timestamp() = transaction_timestamp(); with "
    "the extended query protocol (bound parameters: psycopg, JDBC, pgx, asyncpg) Parse starts "
    "the transaction and Bind/Execute reset the statement time, so they differ and no NOTICE "
    "is raised. A known limit (docs/trust-model.md): the NOTICE is for psql."))
def test_notice_in_autocommit_with_bound_parameters(app, tenants):
    conn, notices = app
    conn.execute("SELECT cogdb.set_context(%s::text, %s::text)",
                 (str(tenants.a), str(tenants.a1)))
    assert len(_ours(notices)) == 1
