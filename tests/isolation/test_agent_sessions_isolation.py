"""Isolation of sessions, the event stream, working context and offloaded contexts (revision
0006), exercised as the non-superuser app login: every table through plain SQL, every
function through its call, each negative beside its positive control (the same query in the
right context returns the row).

The first test reads every new table from every context, so a loosened policy on any of
them fails within seconds of the policy-mutation run's start (this file sorts first in
tests/isolation/). Data is seeded through the API as the app login; the superuser only
expires one entry and counts ground truth.

SQLSTATEs: CGA01 scope required, CGA02 isolation violation, CGN01 not found (another
tenant's or user's row looks exactly like a missing one), 42501 privileges.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
from helpers import SET_CONTEXT, assert_rls_applies, refused, vec
from psycopg import sql

REMEMBER_IN_SESSION = ("SELECT cogdb.remember('h', '', %(vector)s,"
                       " jsonb_build_object('session_id', %(session)s::text))")
#: The id column of each new table, as the matrix reads it.
TABLES = {"sessions": "id", "events": "id", "working_context": "key",
          "offloaded_contexts": "memory_id"}


def run(conn: psycopg.Connection, query: str | sql.Composable, params: Any = (), *,
        tenant: Any = None, user: Any = None) -> list[tuple]:
    """``query`` in a transaction of its own (context first when given), rolled back."""
    assert_rls_applies(conn)
    conn.rollback()
    try:
        if tenant is not None:
            conn.execute(SET_CONTEXT, (str(tenant), None if user is None else str(user)))
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []
    finally:
        conn.rollback()


def visible(conn: psycopg.Connection, table: str, *, tenant: Any = None,
            user: Any = None) -> set:
    query = sql.SQL("SELECT {} FROM {}").format(sql.Identifier(TABLES[table]),
                                               sql.Identifier("cogdb", table))
    return {r[0] for r in run(conn, query, tenant=tenant, user=user)}


@pytest.fixture
def world(client, tenants, db) -> SimpleNamespace:
    """Tenant A: a1's private session (two events, the second following the first), a
    tenant session started without a user (one event), a2's private session (one event);
    tenant B: b1's tenant session (one event). Working context: A's shared entry, a1's
    private entry, a shared entry on a1's private session, an expired shared entry of A, B's
    shared entry. Offloads: a1's private one, A's tenant one, B's. Memories: one of A in
    the tenant session, one of B in B's."""
    w = SimpleNamespace()
    with client.scope(tenants.a, tenants.a1) as s:
        w.s_a1 = s.start_session(mode="chat", agent="planner")
        w.e_a1 = s.append_event(w.s_a1, "user_message", {"text": "a1 secret"}).id
        w.e_a1b = s.append_event(w.s_a1, "agent.reply", {"text": "ok"}, parent=w.e_a1).id
        s.set_working_entry("a_shared", {"v": 1}, 0)
        s.set_working_entry("a1_private", {"v": 1}, 0, tier="private")
        s.set_working_entry("a1_session", {"v": 1}, 0, session=w.s_a1)
        s.set_working_entry("a_expired", {"v": 1}, 0)
        w.o_a1 = s.offload_context("a1 private context " * 200, vec(1), private=True)
        w.o_a = s.offload_context("A team context " * 200, vec(2))
    with client.scope(tenants.a) as s:
        w.s_a = s.start_session(agent="scheduler")
        w.e_a = s.append_event(w.s_a, "tick", {"n": 1}).id
        w.m_a = s.remember("A deploys on Fridays", "", vec(3), session_id=w.s_a)
    with client.scope(tenants.a, tenants.a2) as s:
        w.s_a2 = s.start_session()
        w.e_a2 = s.append_event(w.s_a2, "user_message", {"text": "a2 secret"}).id
    with client.scope(tenants.b, tenants.b1) as s:
        w.s_b = s.start_session(visibility="tenant")
        w.e_b = s.append_event(w.s_b, "user_message", {"text": "b secret"}).id
        s.set_working_entry("b_shared", {"v": 1}, 0)
        w.o_b = s.offload_context("B context " * 200, vec(4))
        w.m_b = s.remember("B deploys on Mondays", "", vec(3), session_id=w.s_b)
    # Ground truth, and one entry of A that expired a second ago.
    db.super.execute("UPDATE cogdb.working_context SET expires_at = now() - interval '1 second'"
                     " WHERE key = 'a_expired'")
    assert db.super.execute("SELECT count(*) FROM cogdb.events").fetchone() == (5,)
    assert db.super.execute("SELECT count(*) FROM cogdb.working_context").fetchone() == (5,)
    return w


# --------------------------------------------------------------------------- the matrix

def test_every_context_sees_exactly_its_rows_of_every_new_table(app_conn, tenants, world):
    """Each context against every row of the four tables, by plain SELECT. The expected
    sets are non-empty wherever access is right: each line is its own positive control.
    The expired entry is in no context's set (working_context__not_expired)."""
    w = world
    expected = {
        "none": (None, None, {}),
        "A": (tenants.a, None, {
            "sessions": {w.s_a}, "events": {w.e_a},
            "working_context": {"a_shared"}, "offloaded_contexts": {w.o_a}}),
        "A/a1": (tenants.a, tenants.a1, {
            "sessions": {w.s_a1, w.s_a}, "events": {w.e_a1, w.e_a1b, w.e_a},
            "working_context": {"a_shared", "a1_private", "a1_session"},
            "offloaded_contexts": {w.o_a1, w.o_a}}),
        "A/a2": (tenants.a, tenants.a2, {
            "sessions": {w.s_a2, w.s_a}, "events": {w.e_a2, w.e_a},
            "working_context": {"a_shared"}, "offloaded_contexts": {w.o_a}}),
        "B": (tenants.b, None, {
            "sessions": {w.s_b}, "events": {w.e_b},
            "working_context": {"b_shared"}, "offloaded_contexts": {w.o_b}}),
        "B/b1": (tenants.b, tenants.b1, {
            "sessions": {w.s_b}, "events": {w.e_b},
            "working_context": {"b_shared"}, "offloaded_contexts": {w.o_b}}),
    }
    for name, (tenant, user, sets) in expected.items():
        for table in TABLES:
            assert visible(app_conn, table, tenant=tenant, user=user) == sets.get(table, set()), (
                f"{name}: {table}")


def test_an_expired_entry_is_invisible_to_plain_reads_and_functions(app_conn, db, tenants,
                                                                     world):
    assert db.super.execute("SELECT count(*) FROM cogdb.working_context"
                            " WHERE key = 'a_expired'").fetchone() == (1,)
    assert "a_expired" not in visible(app_conn, "working_context", tenant=tenants.a)
    assert run(app_conn, "SELECT * FROM cogdb.get_working_entry('a_expired')",
               tenant=tenants.a) == []
    # control: the live entry beside it is read both ways
    assert "a_shared" in visible(app_conn, "working_context", tenant=tenants.a)
    assert len(run(app_conn, "SELECT * FROM cogdb.get_working_entry('a_shared')",
                   tenant=tenants.a)) == 1


# --------------------------------------------------------------------------- no context

@pytest.mark.parametrize("call", [
    "SELECT cogdb.start_session()",
    "SELECT * FROM cogdb.append_event(%(session)s, 'x')",
    "SELECT cogdb.end_session(%(session)s)",
    "SELECT cogdb.set_working_entry('k', '1', 0)",
    "SELECT cogdb.delete_working_entry('a_shared', 1)",
    "SELECT cogdb.offload_context('text', %(vector)s)",
    "INSERT INTO cogdb.events (session_id, event_type) VALUES (%(session)s, 'x')",
], ids=["start_session", "append_event", "end_session", "set_working_entry",
        "delete_working_entry", "offload_context", "insert-event"])
def test_no_context_writes_are_refused(app_conn, tenants, world, call):
    params = {"session": world.s_a, "vector": vec(5)}
    assert refused(app_conn, call, params) == "CGA01"
    # control: the same call in A's context is accepted (run raises otherwise)
    run(app_conn, call, params, tenant=tenants.a)


@pytest.mark.parametrize("call", [
    "SELECT * FROM cogdb.get_session(%(session)s)",
    "SELECT * FROM cogdb.list_sessions()",
    "SELECT * FROM cogdb.list_events(%(session)s)",
    "SELECT * FROM cogdb.event_chain(%(event)s)",
    "SELECT * FROM cogdb.session_memories(%(session)s)",
    "SELECT * FROM cogdb.search_sessions(%(vector)s)",
    "SELECT * FROM cogdb.get_working_entry('a_shared')",
    "SELECT * FROM cogdb.list_working_entries()",
    "SELECT * FROM cogdb.get_offloaded(%(offload)s)",
    "SELECT * FROM cogdb.search_offloaded(%(vector)s)",
], ids=["get_session", "list_sessions", "list_events", "event_chain", "session_memories",
        "search_sessions", "get_working_entry", "list_working_entries", "get_offloaded",
        "search_offloaded"])
def test_no_context_reads_return_nothing(app_conn, tenants, world, call):
    params = {"session": world.s_a, "event": world.e_a, "offload": world.o_a,
              "vector": vec(3) if "sessions(" in call else vec(2)}
    assert run(app_conn, call, params) == []
    # control: A's context reads the row
    assert run(app_conn, call, params, tenant=tenants.a) != []


# --------------------------------------------------------------------------- other tenant

@pytest.mark.parametrize(("call", "key"), [
    ("SELECT * FROM cogdb.get_session(%(session)s)", "s_b"),
    ("SELECT * FROM cogdb.list_events(%(session)s)", "s_b"),
    ("SELECT * FROM cogdb.session_memories(%(session)s)", "s_b"),
    ("SELECT * FROM cogdb.event_chain(%(event)s)", "e_b"),
    ("SELECT * FROM cogdb.get_offloaded(%(offload)s)", "o_b"),
], ids=["get_session", "list_events", "session_memories", "event_chain", "get_offloaded"])
def test_another_tenants_rows_read_like_missing_ones(app_conn, tenants, world, call, key):
    w = world
    params = {"session": w.s_b, "event": w.e_b, "offload": w.o_b}
    assert run(app_conn, call, params, tenant=tenants.a, user=tenants.a1) == []
    # control: B reads it
    assert run(app_conn, call, params, tenant=tenants.b, user=tenants.b1) != []


def test_searches_and_listings_stay_inside_the_tenant(app_conn, tenants, world):
    w = world
    # vec(3): A's and B's session memories are equally near
    found = {r[0] for r in run(app_conn, "SELECT session_id FROM cogdb.search_sessions(%s)",
                               (vec(3),), tenant=tenants.a, user=tenants.a1)}
    assert found == {w.s_a}
    assert {r[0] for r in run(app_conn, "SELECT session_id FROM cogdb.search_sessions(%s)",
                              (vec(3),), tenant=tenants.b)} == {w.s_b}
    offloads = {r[0] for r in run(app_conn, "SELECT id FROM cogdb.search_offloaded(%s, 100)",
                                  (vec(4),), tenant=tenants.a, user=tenants.a1)}
    assert offloads == {w.o_a1, w.o_a}
    assert {r[0] for r in run(app_conn, "SELECT id FROM cogdb.list_sessions(1000)",
                              tenant=tenants.a, user=tenants.a1)} == {w.s_a1, w.s_a}
    assert {r[0] for r in run(app_conn, "SELECT key FROM cogdb.list_working_entries()",
                              tenant=tenants.b)} == {"b_shared"}


@pytest.mark.parametrize("call", [
    "SELECT * FROM cogdb.append_event(%(session)s, 'x')",
    "SELECT cogdb.end_session(%(session)s)",
    "SELECT cogdb.start_session(parent_session_id => %(session)s, visibility => 'tenant')",
    "SELECT cogdb.set_working_entry('k', '1', 0, session_id => %(session)s)",
    REMEMBER_IN_SESSION,
    "INSERT INTO cogdb.events (session_id, event_type) VALUES (%(session)s, 'x')",
], ids=["append_event", "end_session", "start_session-parent", "set_working_entry",
        "remember-session", "insert-event"])
def test_another_tenants_session_cannot_be_written_to(app_conn, db, tenants, world, call):
    state = ("SELECT (SELECT count(*) FROM cogdb.events WHERE session_id = s.id), s.ended_at"
             " FROM cogdb.sessions s WHERE s.id = %s")
    before = db.super.execute(state, (world.s_b,)).fetchone()
    params = {"vector": vec(5), "session": world.s_b}
    assert refused(app_conn, call, params, tenant=tenants.a, user=tenants.a1) == "CGN01"
    assert db.super.execute(state, (world.s_b,)).fetchone() == before
    # control: B may (run raises otherwise)
    run(app_conn, call, params, tenant=tenants.b, user=tenants.b1)


def test_naming_another_tenant_is_refused(app_conn, tenants, world):
    w = world
    insert = ("INSERT INTO cogdb.events (tenant_id, session_id, event_type)"
              " VALUES (%s, %s, 'x')")
    assert refused(app_conn, insert, (tenants.b, w.s_b), tenant=tenants.a) == "CGA02"
    parent = "SELECT * FROM cogdb.append_event(%s, 'x', parent_event_id => %s)"
    assert refused(app_conn, parent, (w.s_a, w.e_b), tenant=tenants.a) == "CGN01"
    offload = "INSERT INTO cogdb.offloaded_contexts (memory_id, content) VALUES (%s, 'x')"
    assert refused(app_conn, offload, (w.m_b,), tenant=tenants.a) == "CGN01"
    # controls
    assert run(app_conn, insert, (tenants.a, w.s_a), tenant=tenants.a) == []
    assert len(run(app_conn, parent, (w.s_a, w.e_a), tenant=tenants.a)) == 1


# --------------------------------------------------------------------------- other user

def test_another_users_private_session_reads_like_a_missing_one(app_conn, tenants, world):
    w = world
    for call, params in (("SELECT * FROM cogdb.get_session(%s)", (w.s_a1,)),
                         ("SELECT * FROM cogdb.list_events(%s)", (w.s_a1,)),
                         ("SELECT * FROM cogdb.event_chain(%s)", (w.e_a1b,)),
                         ("SELECT * FROM cogdb.get_offloaded(%s)", (w.o_a1,)),
                         ("SELECT * FROM cogdb.get_working_entry('a1_session', %s)", (w.s_a1,)),
                         ("SELECT * FROM cogdb.list_working_entries(%s)", (w.s_a1,))):
        assert run(app_conn, call, params, tenant=tenants.a, user=tenants.a2) == [], call
        assert run(app_conn, call, params, tenant=tenants.a) == [], call  # no user
        assert run(app_conn, call, params, tenant=tenants.a, user=tenants.a1) != [], call
    private = "SELECT * FROM cogdb.get_working_entry('a1_private', tier => 'private')"
    assert run(app_conn, private, tenant=tenants.a, user=tenants.a2) == []
    assert len(run(app_conn, private, tenant=tenants.a, user=tenants.a1)) == 1


@pytest.mark.parametrize("call", [
    "SELECT * FROM cogdb.append_event(%(session)s, 'x')",
    "SELECT cogdb.end_session(%(session)s)",
    "SELECT cogdb.start_session(parent_session_id => %(session)s)",
    "SELECT cogdb.set_working_entry('k', '1', 0, session_id => %(session)s)",
    REMEMBER_IN_SESSION,
], ids=["append_event", "end_session", "start_session-parent", "set_working_entry",
        "remember-session"])
def test_another_users_private_session_cannot_be_written_to(app_conn, tenants, world, call):
    params = {"vector": vec(5), "session": world.s_a1}
    assert refused(app_conn, call, params, tenant=tenants.a, user=tenants.a2) == "CGN01"
    # control: its owner may (run raises otherwise)
    run(app_conn, call, params, tenant=tenants.a, user=tenants.a1)


def test_another_users_entries_cannot_be_changed(app_conn, tenants, world):
    # a2's private tier is a namespace of its own: a1's entry is not there
    stale = "SELECT cogdb.set_working_entry('a1_private', '2', 1, tier => 'private')"
    assert refused(app_conn, stale, tenant=tenants.a, user=tenants.a2) == "CGC02"
    delete = "SELECT cogdb.delete_working_entry('a1_private', 1, tier => 'private')"
    assert refused(app_conn, delete, tenant=tenants.a, user=tenants.a2) == "CGC02"
    # control: a1 may
    assert run(app_conn, stale, tenant=tenants.a, user=tenants.a1) == [(2,)]
    assert run(app_conn, delete, tenant=tenants.a, user=tenants.a1) == [(True,)]


# --------------------------------------------------------------------------- privileges

@pytest.mark.parametrize("statement", [
    "INSERT INTO cogdb.sessions (id) VALUES (gen_random_uuid())",
    "UPDATE cogdb.sessions SET ended_at = now()",
    "DELETE FROM cogdb.sessions",
    "UPDATE cogdb.events SET payload = '{}'",
    "DELETE FROM cogdb.events",
    "TRUNCATE cogdb.events",
    "INSERT INTO cogdb.working_context (key, tier, value) VALUES ('k', 'shared', '1')",
    "UPDATE cogdb.working_context SET version = 1",
    "DELETE FROM cogdb.working_context",
    "UPDATE cogdb.offloaded_contexts SET content = 'x'",
    "DELETE FROM cogdb.offloaded_contexts",
], ids=["insert-sessions", "update-sessions", "delete-sessions", "update-events",
        "delete-events", "truncate-events", "insert-working", "update-working",
        "delete-working", "update-offloads", "delete-offloads"])
def test_the_app_writes_only_through_the_functions(app_conn, db, tenants, world, statement):
    totals = ("SELECT (SELECT count(*) FROM cogdb.sessions), (SELECT count(*) FROM cogdb.events),"
              " (SELECT sum(version) FROM cogdb.working_context)")
    before = db.super.execute(totals).fetchone()
    assert refused(app_conn, statement, tenant=tenants.a, user=tenants.a1) == "42501"
    assert db.super.execute(totals).fetchone() == before
    # control: the app reads the same tables in context
    assert visible(app_conn, "sessions", tenant=tenants.a, user=tenants.a1) == {world.s_a1,
                                                                                world.s_a}
