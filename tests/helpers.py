"""Helpers shared by the tests; the fixtures live in conftest.py.

Ground truth (``count``) is read by the superuser and is never an isolation check. Every
refusal is asserted by its SQLSTATE on a connection where row-level security applies
(``sql_error``, ``refused``): a bare ``pytest.raises(Exception)`` would pass on any bug.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import psycopg
import pytest
from click.testing import CliRunner, Result
from psycopg import sql

from cogdb.cli import main

DIMS = 384
#: The logins conftest creates: the app role's, the admin role's and the auditor role's.
APP_LOGIN = "cogdb_test_app"
ADMIN_LOGIN = "cogdb_test_admin"
AUDITOR_LOGIN = "cogdb_test_auditor"
#: COGDB_TEST_MUTATE_POLICY=<policy> makes conftest loosen that policy in its template; a
#: name of FENCE_HELPERS makes it loosen that function (LOOSENING_EDITS, else one that always
#: says true).
MUTATE_ENV = "COGDB_TEST_MUTATE_POLICY"
#: The functions whose verdict a tenant fence takes on trust (whether live grants cover
#: another tenant's row, and which grants are live), with the table whose fence calls them:
#: the policy text stays the same when one is loosened, so the policy-mutation run loosens
#: them too (from revision 0035's reviews). readable_tenants is not among them: it takes its
#: sources from live_grants, which checks the same request flag itself, so loosening it
#: alone changes nothing a test could see.
FENCE_HELPERS = {"grant_covers": "memories", "entity_grant_covers": "entities",
                 "live_grants": "memories"}
#: How a helper is loosened when "always true" is not its kind of answer: an edit of its
#: definition (pg_get_functiondef), a regular expression and its replacement. live_grants:
#: revoked and expired grants count as live.
LOOSENING_EDITS = {
    "live_grants": (r"s\.revoked_at IS NULL\s+AND \(s\.expires_at IS NULL OR "
                    r"s\.expires_at > clock_timestamp\(\)\)", "true"),
}
#: COGDB_TEST_CLONE_FROM=<database> makes conftest copy that migrated template instead of
#: migrating its own (the mutation runs copy their parent session's).
CLONE_ENV = "COGDB_TEST_CLONE_FROM"
SET_CONTEXT = "SELECT cogdb.set_context(%s::text, %s::text)"


def unit_vector(dims: int = DIMS, hot: int = 0, second: int | None = None) -> list[float]:
    """A non-zero test vector: 1.0 at ``hot`` (and 0.5 at ``second``)."""
    v = [0.0] * dims
    v[hot] = 1.0
    if second is not None:
        v[second] = 0.5
    return v


def vec(hot: int = 0, dims: int = DIMS, second: int | None = None) -> np.ndarray:
    """:func:`unit_vector` as a float32 array."""
    return np.asarray(unit_vector(dims, hot=hot, second=second), dtype=np.float32)


def count(db, tenant: Any = None, *, table: str = "memories") -> int:
    """Rows of cogdb.<table>, of one tenant or of all (superuser: setup and checks only)."""
    query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("cogdb", table))
    if tenant is None:
        return db.super.execute(query).fetchone()[0]
    return db.super.execute(query + sql.SQL(" WHERE tenant_id = %s"), (tenant,)).fetchone()[0]


def assert_rls_applies(conn: psycopg.Connection) -> None:
    """Fail unless RLS really applies on this connection (not superuser, not BYPASSRLS)."""
    row = conn.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles"
                       " WHERE rolname = current_user").fetchone()
    assert row is not None
    name, is_super, bypass = row
    assert not is_super and not bypass, f"{name} bypasses RLS: this test would prove nothing"


def _context(tenant: Any, user: Any) -> tuple[str, str | None]:
    return str(tenant), None if user is None else str(user)


@contextmanager
def in_context(conn: psycopg.Connection, tenant, user=None) -> Iterator[psycopg.Connection]:
    """One real transaction on the app login with the context set first."""
    conn.autocommit = True
    with conn.transaction():
        conn.execute(SET_CONTEXT, _context(tenant, user))
        yield conn


def sql_error(conn: psycopg.Connection, query: str | sql.Composable, params: Any = (), *,
              tenant: Any = None, user: Any = None) -> psycopg.Error:
    """Run ``query`` in a transaction of its own (a savepoint inside an open one), after
    ``cogdb.set_context(tenant, user)`` when a tenant is given; it must raise. Returns the
    error; everything is rolled back. The context itself must be accepted."""
    assert_rls_applies(conn)
    if not conn.autocommit:
        conn.rollback()
    with conn.transaction():
        if tenant is not None:
            conn.execute(SET_CONTEXT, _context(tenant, user))
        with pytest.raises(psycopg.Error) as info:
            conn.execute(query, params)
        raise psycopg.Rollback()
    return info.value


def rows_in_context(conn: psycopg.Connection, query: str | sql.Composable, params: Any = (), *,
                    tenant: Any = None, user: Any = None) -> list[tuple]:
    """Rows of ``query`` after ``cogdb.set_context(tenant, user)`` (when a tenant is given), in
    a transaction that is rolled back; ``conn`` must be subject to row-level security."""
    assert_rls_applies(conn)
    if not conn.autocommit:
        conn.rollback()
        conn.autocommit = True
    with conn.transaction():
        if tenant is not None:
            conn.execute("SELECT cogdb.set_context(%s::text, %s::text)",
                         (str(tenant), None if user is None else str(user)))
        rows = conn.execute(query, params).fetchall()
        raise psycopg.Rollback()
    return rows


def explained(conn: psycopg.Connection, query: str, params: Any = (), *, tenant: Any = None,
              user: Any = None) -> Iterator[dict]:
    """Every node of EXPLAIN (ANALYZE, FORMAT JSON) of ``query``, run as rows_in_context runs
    it (row-level security applies, rolled back): the root first, then its children."""
    yield from plan_nodes(rows_in_context(conn, "EXPLAIN (ANALYZE, FORMAT JSON) " + query,
                                          params, tenant=tenant, user=user)[0][0][0]["Plan"])


def plan_nodes(plan: dict) -> Iterator[dict]:
    """Every node of one plan of EXPLAIN (FORMAT JSON): the root first, then its children."""
    nodes = [plan]
    while nodes:
        node = nodes.pop()
        yield node
        nodes.extend(node.get("Plans", []))


def refused(conn: psycopg.Connection, query: str | sql.Composable, params: Any = (), *,
            tenant: Any = None, user: Any = None) -> str | None:
    """The SQLSTATE of :func:`sql_error`."""
    return sql_error(conn, query, params, tenant=tenant, user=user).sqlstate


def flush_pool_stats(client: Any) -> None:
    """Make every pooled session of ``client`` report its pending statistics now (pg_stat
    counters of what earlier scopes did), so that a test's before/after counts see only its
    own reads. Takes every connection of the pool at once, so each one is reached."""
    conns = [client.pool.getconn() for _ in range(client.pool.max_size)]
    try:
        for conn in conns:
            conn.execute("SELECT pg_stat_force_next_flush()")
            conn.commit()
    finally:
        for conn in conns:
            client.pool.putconn(conn)

def cli(db, *args: str, app_url: str | None = None, admin_url: str | None = None,
        auditor_url: str | None = None, input: str | None = None) -> Result:
    """Run the ``cogdb`` CLI in-process as the test logins (or the URLs given), with
    ``input`` on its stdin. An exception other than the CLI's own exit propagates, so a crash
    never passes for an exit code."""
    env = {"COGDB_DATABASE_URL": app_url or db.app_url,
           "COGDB_ADMIN_URL": admin_url or db.admin_url,
           "COGDB_AUDITOR_URL": auditor_url or db.auditor_url}
    return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)


def one_error(result: Result, text: str, code: int = 1) -> tuple[str, str]:
    """Assert the CLI failed with exit ``code``, printing exactly one ``error:`` line (holding
    ``text``) and one ``hint:`` line on stderr, and no traceback; returns both lines."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    errors = [ln for ln in lines if ln.startswith("error: ")]
    hints = [ln for ln in lines if ln.startswith("hint: ")]
    assert len(errors) == 1 and text in errors[0], result.stderr
    assert len(hints) == 1 and len(hints[0]) > len("hint: "), result.stderr
    return errors[0], hints[0]
