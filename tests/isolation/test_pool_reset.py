"""A pooled connection reused by another tenant sees nothing of the previous one.

The pool's reset (cogdb.db.pool.RESET, sent with each scope's COMMIT) is DISCARD ALL without
DEALLOCATE ALL and DISCARD PLANS. Each test leaves one kind of session state behind in tenant
A's scope, then opens tenant B's scope on the same server session (a pool of one connection;
the backend pid proves it is the same session) and checks that B sees none of it: WITH HOLD
cursors, temporary tables, session-level settings (app.* included), LISTEN channels, session
advisory locks, prepared statements and cogdb's cached plans. Every check has a positive
control in A: the state was really there before the reset.
"""
from __future__ import annotations

import psycopg
import pytest
from helpers import assert_rls_applies, unit_vector

import cogdb


@pytest.fixture
def one(db):
    """A client whose pool holds one connection: every scope reuses the same session."""
    c = cogdb.connect(db.app_url, pool_size=1)
    yield c
    c.close()


@pytest.fixture
def written(one, tenants):
    """One tenant-visible memory in each of A and B."""
    ids = {}
    for tenant, user, hot in ((tenants.a, tenants.a1, 1), (tenants.b, tenants.b1, 2)):
        with one.scope(tenant, user) as s:
            ids[tenant] = s.remember(f"secret of {tenant}", "x", unit_vector(hot=hot))
    return ids


def _pid(scope) -> int:
    return scope.connection.execute("SELECT pg_backend_pid()").fetchone()[0]


def _in_b(one, tenants, query: str, params=()):
    with one.scope(tenants.b, tenants.b1) as s:
        assert_rls_applies(s.connection)
        return _pid(s), s.connection.execute(query, params)


def test_with_hold_cursor_is_closed(one, tenants, written):
    with one.scope(tenants.a, tenants.a1) as s:
        pid = _pid(s)
        s.connection.execute("DECLARE leak CURSOR WITH HOLD FOR"
                             " SELECT id, human_content FROM cogdb.memories")
        # control: the cursor holds A's row
        assert s.connection.execute("FETCH 1 FROM leak").fetchone()[0] == written[tenants.a]
    with pytest.raises(cogdb.CogdbError) as info, one.scope(tenants.b, tenants.b1) as s:
        assert _pid(s) == pid
        s.connection.execute("FETCH ALL FROM leak")
    assert isinstance(info.value.__cause__, psycopg.errors.InvalidCursorName)


def test_temp_table_is_dropped(one, tenants, written):
    with one.scope(tenants.a, tenants.a1) as s:
        pid = _pid(s)
        s.connection.execute("CREATE TEMP TABLE leak AS SELECT id, human_content"
                             " FROM cogdb.memories")
        assert s.connection.execute("SELECT count(*) FROM leak").fetchone() == (1,)  # control
    with pytest.raises(cogdb.CogdbError) as info, one.scope(tenants.b, tenants.b1) as s:
        assert _pid(s) == pid
        s.connection.execute("SELECT * FROM pg_temp.leak")
    assert isinstance(info.value.__cause__, psycopg.errors.UndefinedTable)


def test_session_settings_are_reset(one, tenants, written):
    with one.scope(tenants.a, tenants.a1) as s:
        pid = _pid(s)
        s.connection.execute(f"SET app.note = 'secret of {tenants.a}'")
        s.connection.execute("SET statement_timeout = '4321s'")
        s.connection.execute("SET search_path = public")
        s.connection.execute("SET ROLE cogdb_app")
        assert s.connection.execute("SELECT current_setting('app.note'), current_user"
                                    ).fetchone() == (f"secret of {tenants.a}", "cogdb_app")
    b_pid, cur = _in_b(one, tenants, "SELECT coalesce(current_setting('app.note', true), ''),"
                       " current_setting('statement_timeout'), current_setting('search_path'),"
                       " current_user = session_user")
    assert b_pid == pid
    assert cur.fetchone() == ("", "0", '"$user", public', True)


def test_session_level_tenant_context_closes_the_connection(one, tenants, written):
    with pytest.raises(cogdb.IsolationViolation), one.scope(tenants.a, tenants.a1) as s:
        pid = _pid(s)
        s.connection.execute("SELECT set_config('app.tenant_id', %s, false),"
                             " set_config('app.user_id', %s, false)",
                             (str(tenants.a), str(tenants.a1)))
    b_pid, cur = _in_b(one, tenants, "SELECT current_setting('app.tenant_id')")
    assert b_pid != pid, "the connection that carried A's context was handed out again"
    assert cur.fetchone() == (str(tenants.b),)


def test_listen_channels_are_dropped(one, app_conn, tenants, written):
    with one.scope(tenants.a, tenants.a1) as s:
        pid = _pid(s)
        s.connection.execute("LISTEN tenant_a_events")
    with one.scope(tenants.b, tenants.b1) as s:
        assert _pid(s) == pid
        assert s.connection.execute("SELECT count(*) FROM pg_listening_channels()"
                                    ).fetchone() == (0,)
    # control: without the reset, a LISTEN in a transaction outlives it (from its COMMIT on)
    app_conn.execute("LISTEN tenant_a_events")
    app_conn.commit()
    assert app_conn.execute("SELECT array_agg(c) FROM pg_listening_channels() c"
                            ).fetchone() == (["tenant_a_events"],)


def test_session_advisory_locks_are_released(one, db, tenants, written):
    held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND pid = %s"
    with one.scope(tenants.a, tenants.a1) as s:
        pid = _pid(s)
        s.connection.execute("SELECT pg_advisory_lock(4242)")
    with one.scope(tenants.b, tenants.b1) as s:
        assert _pid(s) == pid
        assert db.super.execute(held, (pid,)).fetchone() == (0,)
        s.connection.execute("SELECT pg_advisory_lock(4242)")
        assert db.super.execute(held, (pid,)).fetchone() == (1,)  # control


def test_prepared_statements_and_cached_plans_hold_no_rows(one, tenants, written):
    q = unit_vector(hot=1)
    with one.scope(tenants.a, tenants.a1) as s:
        pid = _pid(s)
        s.connection.execute("PREPARE leak AS SELECT id FROM cogdb.memories")
        assert s.connection.execute("EXECUTE leak").fetchall() == [(written[tenants.a],)]
        for _ in range(6):  # past plpgsql's and psycopg's thresholds: plans are cached
            assert [h.id for h in s.search(q, k=5)] == [written[tenants.a]]
    with one.scope(tenants.b, tenants.b1) as s:
        assert _pid(s) == pid
        # The statement and the plans survive the reset; they return B's rows only.
        assert s.connection.execute("SELECT count(*) FROM pg_prepared_statements"
                                    " WHERE name = 'leak'").fetchone() == (1,)
        assert s.connection.execute("EXECUTE leak").fetchall() == [(written[tenants.b],)]
        for _ in range(3):
            assert [h.id for h in s.search(q, k=5)] == [written[tenants.b]]


def test_a_connection_returned_without_a_scope_is_reset_when_taken(one, tenants, written):
    with one.pool.connection() as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        conn.execute("DECLARE leak CURSOR WITH HOLD FOR SELECT 1")
        conn.execute("SET app.note = 'left behind'")
    with one.scope(tenants.b, tenants.b1) as s:
        assert _pid(s) == pid
        assert s.connection.execute("SELECT coalesce(current_setting('app.note', true), ''),"
                                    " (SELECT count(*) FROM pg_cursors)").fetchone() == ("", 0)
