"""Relationships: typed, weighted, time-bounded, superseded and never silently deleted.
Recording the same fact again replaces its record; a new target of an exclusive type
closes the old fact's validity at the new one's start; reads show current facts by default
and the state as of any time (as_of, known_at) on request; deleting a node removes its
edges (foreign keys). All as the app login through the Python client."""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from helpers import SET_CONTEXT, count, in_context, vec

import cogdb

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _current(s, node, **kw) -> set[tuple[str, str, str]]:
    return {(r.type, r.other, r.edge_direction) for r in s.relationships(node, **kw)}


def test_all_kinds_of_nodes_relate(client, tenants):
    with client.scope(tenants.a) as s:
        m1 = s.remember("deploy notes", embedding=vec(1))
        m2 = s.remember("incident report", embedding=vec(2))
        e = s.upsert_entity("Pipeline", type="system")
        f = s.upsert_entity("Runner", type="system")
        s.relate(f"memory:{m1}", f"memory:{m2}", "led_to")
        s.relate(f"memory:{m2}", e, "relates_to", strength=0.4, confidence=0.9,
                 metadata={"by": "triage"})
        s.relate(e, f, "depends_on")
        s.relate(f, f"memory:{m1}", "produces")
        assert _current(s, e) == {("relates_to", f"memory:{m2}", "in"),
                                  ("depends_on", f.ref, "out")}
        rel = s.relationships(f"memory:{m2}", direction="out")[0]
        assert (rel.strength, rel.confidence, rel.metadata) == (
            pytest.approx(0.4), pytest.approx(0.9), {"by": "triage"})
        assert rel.from_node == f"memory:{m2}" and rel.to_node == e.ref
        assert rel.superseded_at is None and rel.valid_to is None


def test_recording_the_same_fact_twice_writes_nothing(client, tenants, db):
    with client.scope(tenants.a) as s:
        a, b = s.upsert_entity("A"), s.upsert_entity("B")
        first = s.relate(a, b, "relates_to", strength=0.5)
        again = s.relate(a, b, "relates_to", strength=0.5)
        same = s.relate(a, b, "relates_to")          # attributes left out: kept as they are
    assert first.created and not again.created and not same.created
    assert first.id == again.id == same.id and again.superseded == []
    assert count(db, tenants.a, table="relationships") == 1


def test_a_changed_attribute_supersedes_the_record(client, tenants):
    with client.scope(tenants.a) as s:
        a, b = s.upsert_entity("A"), s.upsert_entity("B")
        old = s.relate(a, b, "relates_to", strength=0.5, valid_from=T0)
    with client.scope(tenants.a) as s:
        new = s.relate(a, b, "relates_to", strength=0.9)
        assert new.created and new.superseded == [old.id]
        [current] = s.relationships(a)
        assert current.id == new.id and current.strength == pytest.approx(0.9)
        assert current.valid_from == T0                   # the fact still holds since T0
        history = s.relationships(a, history=True)
        assert [(r.id, r.superseded_by) for r in history] == [(old.id, new.id), (new.id, None)]
        assert history[0].superseded_at is not None and history[0].strength == pytest.approx(0.5)


def test_valid_to_ends_a_fact_and_as_of_still_sees_it(client, tenants):
    end = datetime.now(UTC) - timedelta(days=1)
    with client.scope(tenants.a) as s:
        a, b = s.upsert_entity("A"), s.upsert_entity("B")
        s.relate(a, b, "relates_to", valid_from=T0)
    with client.scope(tenants.a) as s:
        ended = s.relate(a, b, "relates_to", valid_to=end)
        assert ended.created and len(ended.superseded) == 1
        assert s.relationships(a) == []                          # not a current fact
        assert s.neighbors(a) == []
        [then] = s.relationships(a, as_of=end - timedelta(days=30))
        assert (then.id, then.valid_from, then.valid_to) == (ended.id, T0, end)
        assert [n.node for n in s.neighbors(a, as_of=end - timedelta(days=30))] == [b.ref]


def test_an_exclusive_type_supersedes_the_contradicted_fact(client, tenants):
    switch = datetime.now(UTC) - timedelta(days=10)
    with client.scope(tenants.a, tenants.a1) as s:
        s.register_relationship_type("works_at", "employment", exclusive=True)
        bob, acme, globex = (s.upsert_entity(n) for n in ("Bob", "Acme", "Globex"))
        old = s.relate(bob, acme, "works_at", valid_from=T0)
        recorded_before = s.relationships(bob)[0].recorded_at
    with client.scope(tenants.a, tenants.a2) as s:
        new = s.relate(bob, globex, "works_at", valid_from=switch)
        assert new.superseded == [old.id]
        # current facts: Globex only
        assert _current(s, bob) == {("works_at", globex.ref, "out")}
        # as of a time before the switch: Acme, closed at the switch (never deleted)
        [then] = s.relationships(bob, as_of=switch - timedelta(days=1))
        assert (then.other, then.valid_from, then.valid_to) == (acme.ref, T0, switch)
        assert then.superseded_at is None
        # as cogdb knew it before the new fact: Acme, open-ended
        [known] = s.relationships(bob, known_at=recorded_before + timedelta(microseconds=1))
        assert (known.id, known.other, known.valid_to) == (old.id, acme.ref, None)
        history = s.relationships(bob, history=True)
        assert len(history) == 3 and sum(r.superseded_at is None for r in history) == 2
        # a non-exclusive built-in type never contradicts
        s.relate(bob, acme, "relates_to")
        s.relate(bob, globex, "relates_to")
        assert len(s.relationships(bob, types=["relates_to"])) == 2


def test_new_fact_starting_before_the_old_one_replaces_it_whole(client, tenants):
    with client.scope(tenants.a) as s:
        s.register_relationship_type("reports_to", exclusive=True)
        ann, x, y = (s.upsert_entity(n) for n in ("Ann", "X", "Y"))
        old = s.relate(ann, x, "reports_to", valid_from=T0 + timedelta(days=30))
        new = s.relate(ann, y, "reports_to", valid_from=T0)
        assert new.superseded == [old.id]
        history = s.relationships(ann, history=True)
        assert len(history) == 2                   # no closed copy: it never held
        assert s.relationships(ann, as_of=T0 + timedelta(days=40))[0].other == y.ref


def test_private_records_are_a_layer_of_their_own(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        a, b = s.upsert_entity("A"), s.upsert_entity("B")
        shared = s.relate(a, b, "relates_to", strength=0.3)
        mine = s.relate(a, b, "relates_to", strength=0.8, visibility="private")
        assert mine.created and mine.superseded == []          # the shared one stays
        assert sorted(r.strength for r in s.relationships(a)) == pytest.approx([0.3, 0.8])
    with client.scope(tenants.a, tenants.a2) as s:
        assert [r.id for r in s.relationships("A")] == [shared.id]


def test_relate_refuses_bad_input_with_the_field(client, tenants):
    with client.scope(tenants.a) as s:
        s.upsert_entity("A")
        s.upsert_entity("B")
    cases = [
        (dict(type="no such type"), cogdb.InvalidInput, "type"),
        (dict(type="unregistered"), cogdb.InvalidInput, "type"),
        (dict(strength=1.5), cogdb.InvalidInput, "strength"),
        (dict(confidence=-0.1), cogdb.InvalidInput, "confidence"),
        (dict(valid_from=T0, valid_to=T0), cogdb.InvalidInput, "valid_to"),
        (dict(to_node="name:Nobody"), cogdb.NotFound, "to_node"),
        (dict(to_node="A"), cogdb.InvalidInput, "to_node"),
        (dict(to_node="thing:1"), cogdb.NotFound, "to_node"),
    ]
    for kwargs, error, field in cases:
        args = {"from_node": "A", "to_node": "B", "type": "relates_to", **kwargs}
        with client.scope(tenants.a) as s, pytest.raises(error) as info:
            s.relate(**args)
        assert info.value.field == field, kwargs
    with client.scope(tenants.a) as s:
        assert s.relationships("A") == []                       # control: nothing written
        assert s.relate("A", "B").created


def test_a_direct_insert_is_checked_like_relate(app_conn, client, tenants):
    with client.scope(tenants.a) as s:
        a, b = s.upsert_entity("A"), s.upsert_entity("B")
    insert = ("INSERT INTO cogdb.relationships (from_entity_id, to_entity_id, type)"
              " VALUES (%s, %s, %s)")
    with pytest.raises(psycopg.Error) as info, in_context(app_conn, tenants.a) as c:
        c.execute(insert, (a.id, b.id, "unknown_type"))
    assert info.value.sqlstate == "CGV01"
    # a record never changes once written, except its supersession
    with in_context(app_conn, tenants.a) as c:
        c.execute(insert, (a.id, b.id, "relates_to"))
        with pytest.raises(psycopg.Error) as info:
            c.execute("UPDATE cogdb.relationships SET strength = 0.1")
        assert info.value.sqlstate == "42501"               # no column privilege
        raise psycopg.Rollback()


def test_deleting_a_node_removes_its_edges(client, tenants, db):
    with client.scope(tenants.a) as s:
        m = s.remember("a memory", embedding=vec(4))
        e = s.upsert_entity("E")
        s.relate(f"memory:{m}", e)
        s.relate(e, f"memory:{m}", "produces")
    assert count(db, tenants.a, table="relationships") == 2
    with client.scope(tenants.a) as s:
        assert s.forget(m)
        assert s.relationships(e, history=True) == []
    assert count(db, tenants.a, table="relationships") == 0


def test_relationship_types_are_listed_and_registered_once(client, tenants):
    with client.scope(tenants.a) as s:
        assert [t.name for t in s.relationship_types()] == [
            "led_to", "relates_to", "depends_on", "produces", "belongs_to"]
        s.register_relationship_type("works_at", "employment", exclusive=True)
        s.register_relationship_type("works_at", "employment", exclusive=True)  # idempotent
        listed = s.relationship_types()
        assert (listed[-1].name, listed[-1].exclusive, listed[-1].builtin) == (
            "works_at", True, False)
    with client.scope(tenants.a) as s, pytest.raises(cogdb.Conflict):
        s.register_relationship_type("works_at", "employment", exclusive=False)
    with client.scope(tenants.a) as s, pytest.raises(cogdb.InvalidInput):
        s.register_relationship_type("relates_to")


def test_concurrent_exclusive_relates_under_repeatable_read_never_keep_two_active(
        client, tenants, db):
    """relate() serializes calls per (from node, type) with an advisory lock, then reads the
    active records: under READ COMMITTED a fresh snapshot. Under REPEATABLE READ the snapshot
    predates the other call's commit and would miss the record to supersede; the second
    call's write then fails with 40001 instead (its audit record updates the tenant's audit
    head, which the first one updated after that snapshot), and its retry supersedes."""
    with client.scope(tenants.a, tenants.a1) as s:
        s.register_relationship_type("works_at", exclusive=True)
        bob, acme, globex = (s.upsert_entity(n) for n in ("Bob", "Acme", "Globex"))
    relate = "SELECT id FROM cogdb.relate(%s, %s, 'works_at')"
    one, two = psycopg.connect(db.app_url), psycopg.connect(db.app_url)
    failed: list[BaseException] = []

    def second() -> None:
        try:
            two.execute(relate, (bob.ref, globex.ref)).fetchone()
            two.commit()
        except psycopg.Error as e:
            failed.append(e)
            two.rollback()

    try:
        for conn in (one, two):
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))  # the snapshots
        one.execute(relate, (bob.ref, acme.ref))          # holds the lock until it commits
        waiter = threading.Thread(target=second)
        waiter.start()
        for _ in range(500):   # until the second call waits for the first's lock
            if db.super.execute("SELECT wait_event_type = 'Lock' FROM pg_stat_activity"
                                " WHERE pid = %s", (two.info.backend_pid,)).fetchone()[0]:
                break
            time.sleep(0.01)
        one.commit()
        waiter.join(10)
    finally:
        one.close()
        two.close()
    assert [type(e) for e in failed] == [psycopg.errors.SerializationFailure]
    with client.scope(tenants.a, tenants.a1) as s:
        assert _current(s, bob) == {("works_at", acme.ref, "out")}
        s.relate(bob, globex, "works_at")                 # the retry
        assert _current(s, bob) == {("works_at", globex.ref, "out")}
