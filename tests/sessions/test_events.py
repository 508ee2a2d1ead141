"""The event stream: gapless sequence numbers under concurrent appenders, cursor and time
paging, the causal chain, and immutability for every role. Isolation between tenants and
users is in tests/isolation/test_agent_sessions_isolation.py."""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import psycopg
import pytest
from helpers import SET_CONTEXT, assert_rls_applies, sql_error

import cogdb
from cogdb.db.errors import translate

APPENDERS = 8
PER_APPENDER = 30


def _session(client, tenants, **kw) -> uuid.UUID:
    with client.scope(tenants.a, tenants.a1) as s:
        return s.start_session(**kw)


def _seqs(db, session: uuid.UUID) -> list[int]:
    return [r[0] for r in db.super.execute(
        "SELECT seq FROM cogdb.events WHERE session_id = %s ORDER BY seq", (session,))]


def test_appends_are_numbered_from_one(client, tenants):
    sid = _session(client, tenants)
    with client.scope(tenants.a, tenants.a1) as s:
        got = [s.append_event(sid, "step", {"n": i}).seq for i in range(5)]
        assert s.get_session(sid).event_count == 5
    assert got == [1, 2, 3, 4, 5]


def test_eight_concurrent_appenders_leave_no_gap_and_no_duplicate(db, tenants, client):
    """8 connections append to one session at once, each in its own transactions; every
    fifth transaction appends and then rolls back. The committed events are numbered
    1 … N exactly once each, and their times follow their numbers."""
    sid = _session(client, tenants)
    barrier = threading.Barrier(APPENDERS)
    committed: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def appender(n: int) -> None:
        try:
            with psycopg.connect(db.app_url) as conn:
                assert_rls_applies(conn)
                conn.rollback()
                barrier.wait()
                for i in range(PER_APPENDER):
                    with conn.transaction(force_rollback=(i % 5 == 4)):
                        conn.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
                        seq = conn.execute(
                            "SELECT seq FROM cogdb.append_event(%s, 'step',"
                            " jsonb_build_object('writer', %s::int, 'i', %s::int))",
                            (sid, n, i)).fetchone()[0]
                    if i % 5 != 4:
                        with lock:
                            committed.append(seq)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=appender, args=(n,)) for n in range(APPENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    total = APPENDERS * PER_APPENDER * 4 // 5
    assert sorted(committed) == list(range(1, total + 1))
    assert _seqs(db, sid) == list(range(1, total + 1))
    rows = db.super.execute("SELECT created_at FROM cogdb.events WHERE session_id = %s"
                            " ORDER BY seq", (sid,)).fetchall()
    times = [r[0] for r in rows]
    assert times == sorted(times)
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.get_session(sid).event_count == total


def test_appenders_of_different_sessions_do_not_wait_for_each_other(db, tenants, client):
    """A transaction holding session 1's lock does not block an append to session 2."""
    s1, s2 = _session(client, tenants), _session(client, tenants)
    with psycopg.connect(db.app_url) as holder, psycopg.connect(db.app_url) as other:
        holder.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
        holder.execute("SELECT * FROM cogdb.append_event(%s, 'held')", (s1,))
        other.execute("SET lock_timeout = '2s'")
        other.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
        assert other.execute("SELECT seq FROM cogdb.append_event(%s, 'free')",
                             (s2,)).fetchone() == (1,)
        # control: the same session does wait (and times out here)
        with pytest.raises(psycopg.errors.LockNotAvailable):
            other.execute("SELECT seq FROM cogdb.append_event(%s, 'blocked')", (s1,))
        holder.commit()


def test_a_direct_insert_is_appended_the_same_way(app_conn, client, tenants):
    sid = _session(client, tenants)
    with client.scope(tenants.a, tenants.a1) as s:
        s.append_event(sid, "first")
    app_conn.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
    row = app_conn.execute("INSERT INTO cogdb.events (session_id, event_type) VALUES (%s, 'x')"
                           " RETURNING seq, visibility, owner_user_id, appended_by",
                           (sid,)).fetchone()
    app_conn.commit()
    assert row == (2, "private", tenants.a1, tenants.a1)
    err = sql_error(app_conn, "INSERT INTO cogdb.events (session_id, event_type, seq)"
                              " VALUES (%s, 'x', 7)", (sid,), tenant=tenants.a, user=tenants.a1)
    assert (err.sqlstate, err.diag.column_name) == ("CGV01", "seq")


def test_cursor_pages_walk_the_session_in_order(client, tenants):
    sid = _session(client, tenants)
    with client.scope(tenants.a, tenants.a1) as s:
        for i in range(7):
            s.append_event(sid, "note" if i % 2 else "tick", {"i": i})
    with client.scope(tenants.a, tenants.a1) as s:
        pages, after = [], 0
        while page := s.list_events(sid, after, page_size=3):
            pages.append([e.seq for e in page])
            after = page[-1].seq
        assert pages == [[1, 2, 3], [4, 5, 6], [7]]
        assert [e.seq for e in s.list_events(sid, event_type="note")] == [2, 4, 6]
        assert [e.payload["i"] for e in s.list_events(sid, 5)] == [5, 6]


def test_time_range_pages(client, tenants):
    sid = _session(client, tenants)
    with client.scope(tenants.a, tenants.a1) as s:
        for i in range(6):
            s.append_event(sid, "tick", {"i": i})
    with client.scope(tenants.a, tenants.a1) as s:
        events = s.list_events(sid)
        t2, t4 = events[2].created_at, events[4].created_at
        assert [e.seq for e in s.list_events(sid, since=t2)] == [3, 4, 5, 6]
        assert [e.seq for e in s.list_events(sid, since=t2, until=t4)] == [3, 4]
        assert [e.seq for e in s.list_events(sid, since=t2, page_size=2)] == [3, 4]
        assert [e.seq for e in s.list_events(sid, 4, since=t2)] == [5, 6]
        assert s.list_events(sid, since=events[-1].created_at + timedelta(seconds=1)) == []


def test_the_causal_chain_walks_back_to_the_root(client, tenants):
    sid = _session(client, tenants)
    with client.scope(tenants.a, tenants.a1) as s:
        root = s.append_event(sid, "user_message", {"text": "plan a trip"}, source="user",
                              target="planner")
        plan = s.append_event(sid, "plan", {"steps": 2}, source="planner",
                              target="booker", parent=root.id)
        s.append_event(sid, "unrelated")
        book = s.append_event(sid, "booked", {"ok": True}, source="booker", parent=plan.id)
        chain = s.event_chain(book.id)
        assert [e.id for e in chain] == [book.id, plan.id, root.id]
        assert [e.source_agent for e in chain] == ["booker", "planner", "user"]
        assert [e.id for e in s.event_chain(book.id, max_depth=1)] == [book.id, plan.id]
        assert s.event_chain(uuid.uuid4()) == []


def test_a_later_session_continues_a_chain(client, tenants):
    first = _session(client, tenants)
    with client.scope(tenants.a, tenants.a1) as s:
        question = s.append_event(first, "user_message")
        s.end_session(first)
        second = s.start_session(parent=first)
        answer = s.append_event(second, "agent.reply", parent=question.id)
        assert [e.session_id for e in s.event_chain(answer.id)] == [second, first]
        assert s.get_session(second).parent_session_id == first


def test_a_parent_must_be_visible_to_every_reader_of_the_child(client, tenants):
    private = _session(client, tenants)
    with client.scope(tenants.a, tenants.a1) as s:
        secret = s.append_event(private, "thought").id
        shared = s.start_session(visibility="tenant")
    with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a, tenants.a1) as s:
        s.append_event(shared, "reply", parent=secret)
    assert info.value.field == "parent_event_id"
    with client.scope(tenants.a, tenants.a1) as s:  # control: a private child may
        s.append_event(s.start_session(), "reply", parent=secret)
    with pytest.raises(cogdb.NotFound), client.scope(tenants.a, tenants.a1) as s:
        s.append_event(private, "reply", parent=uuid.uuid4())


def test_an_ended_session_takes_no_more_events(client, tenants):
    sid = _session(client, tenants)
    with client.scope(tenants.a, tenants.a1) as s:
        s.append_event(sid, "last")
        ended = s.end_session(sid)
        assert s.end_session(sid) == ended  # idempotent
        assert s.get_session(sid).ended_at == ended
    with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a, tenants.a1) as s:
        s.append_event(sid, "too_late")
    assert info.value.field == "session_id" and "ended" in info.value.message
    with client.scope(tenants.a, tenants.a1) as s:
        assert [e.seq for e in s.list_events(sid)] == [1]


def test_a_retried_append_with_the_same_id_is_refused_not_doubled(client, tenants):
    sid = _session(client, tenants)
    eid = uuid.uuid4()
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.append_event(sid, "once", event_id=eid).id == eid
    with pytest.raises(cogdb.Conflict), client.scope(tenants.a, tenants.a1) as s:
        s.append_event(sid, "once", event_id=eid)
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.get_session(sid).event_count == 1


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"event_type": "has space"}, "event_type"),
    ({"event_type": "x" * 65}, "event_type"),
    ({"event_type": "ok", "source": ""}, "source_agent"),
    ({"event_type": "ok", "payload": {"blob": "x" * 300_000}}, "payload"),
])
def test_bad_events_name_their_field(client, tenants, kwargs, field):
    sid = _session(client, tenants)
    event_type = kwargs.pop("event_type")
    with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a, tenants.a1) as s:
        s.append_event(sid, event_type, **kwargs)
    assert info.value.field == field


# --------------------------------------------------------------------------- immutability

@pytest.fixture
def stream(client, tenants) -> tuple[uuid.UUID, uuid.UUID]:
    sid = _session(client, tenants, visibility="tenant")
    with client.scope(tenants.a, tenants.a1) as s:
        return sid, s.append_event(sid, "fact", {"v": 1}).id


@pytest.mark.parametrize("statement", [
    "UPDATE cogdb.events SET payload = '{\"v\": 2}'",
    "DELETE FROM cogdb.events",
    "TRUNCATE cogdb.events",
])
def test_no_role_changes_an_event(db, app_conn, tenants, stream, statement):
    """The app lacks the privilege; the owner and a superuser hit the trigger (CGA04)."""
    assert sql_error(app_conn, statement, tenant=tenants.a, user=tenants.a1).sqlstate == "42501"
    for role in ("cogdb_owner", None):
        with db.super.transaction(force_rollback=True):
            db.super.execute("SELECT set_config('app.tenant_id', %s, true),"
                             " set_config('app.context_xact', cogdb.context_stamp(), true)",
                             (str(tenants.a),))
            if role:
                db.super.execute(f"SET LOCAL ROLE {role}")
            with pytest.raises(psycopg.Error) as info:
                db.super.execute(statement)
            assert info.value.sqlstate == "CGA04", role
    assert db.super.execute("SELECT payload FROM cogdb.events WHERE id = %s",
                            (stream[1],)).fetchone() == ({"v": 1},)


def test_the_refusal_maps_to_append_only(db, tenants, stream):
    with pytest.raises(psycopg.Error) as info:
        db.super.execute("DELETE FROM cogdb.events")
    err = translate(info.value)
    assert isinstance(err, cogdb.AppendOnly) and "append-only" in err.message and err.hint


def test_deleting_the_tenant_is_what_removes_its_events(db, tenants, stream):
    db.super.execute("DELETE FROM cogdb.tenants WHERE id = %s", (tenants.a,))
    assert db.super.execute("SELECT count(*) FROM cogdb.events WHERE tenant_id = %s",
                            (tenants.a,)).fetchone() == (0,)


@pytest.mark.parametrize("isolation", ["REPEATABLE READ", "SERIALIZABLE"])
def test_an_append_racing_under_snapshot_isolation_fails_instead_of_duplicating(
        db, client, tenants, isolation):
    """Under REPEATABLE READ or SERIALIZABLE, max(seq) reads the transaction's snapshot: an
    append committed after it was taken makes the next number a duplicate, which the key
    refuses (the caller retries). READ COMMITTED, the default, never gets here."""
    sid = _session(client, tenants)
    with psycopg.connect(db.app_url) as late, psycopg.connect(db.app_url) as early:
        late.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
        late.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))  # its snapshot
        early.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
        early.execute("SELECT * FROM cogdb.append_event(%s, 'first')", (sid,))
        early.commit()
        with pytest.raises(psycopg.Error) as info:
            late.execute("SELECT * FROM cogdb.append_event(%s, 'second')", (sid,))
        assert info.value.sqlstate == "23505"  # unique_violation: cogdb.Conflict
        late.rollback()
    assert _seqs(db, sid) == [1]
