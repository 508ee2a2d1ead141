"""Traversal: breadth first, each node once at its smallest depth with the edge and the
path, cycles safe, bounded, filtered by type and direction, expired memories skipped.
(That a path never passes through a node the caller cannot see is an isolation test:
tests/isolation/test_knowledge_isolation.py.)"""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from helpers import vec

import cogdb


def _graph(s, edges: list[tuple[str, str, str, float]]) -> dict[str, str]:
    refs = {}
    for a, b, _, _ in edges:
        for name in (a, b):
            if name not in refs:
                refs[name] = s.upsert_entity(name).ref
    for a, b, typ, strength in edges:
        s.relate(refs[a], refs[b], typ, strength=strength)
    return refs


def _walk(rows) -> list[tuple[str, int, list[str]]]:
    return [(n.label, n.depth, n.path) for n in rows]


def test_breadth_first_each_node_once_with_its_path(client, tenants):
    with client.scope(tenants.a) as s:
        r = _graph(s, [("S", "A", "relates_to", 1), ("S", "B", "relates_to", 0.5),
                       ("A", "C", "depends_on", 1), ("B", "C", "depends_on", 0.2),
                       ("C", "D", "led_to", 1), ("D", "E", "led_to", 1)])
        rows = s.neighbors("S", max_depth=3)
        assert _walk(rows) == [
            ("A", 1, [r["S"], r["A"]]),                     # strongest first within a level
            ("B", 1, [r["S"], r["B"]]),
            ("C", 2, [r["S"], r["A"], r["C"]]),             # reached via the stronger edge
            ("D", 3, [r["S"], r["A"], r["C"], r["D"]]),
        ]
        c = rows[2]
        assert (c.type, c.edge_direction, c.strength, c.kind) == (
            "depends_on", "out", pytest.approx(1.0), "entity")
        assert [n.label for n in s.neighbors("S", 5)] == ["A", "B", "C", "D", "E"]
        assert [n.label for n in s.neighbors("S", 1)] == ["A", "B"]


def test_cycles_are_safe(client, tenants):
    with client.scope(tenants.a) as s:
        _graph(s, [("A", "B", "relates_to", 1), ("B", "C", "relates_to", 1),
                   ("C", "A", "relates_to", 1), ("C", "C2", "relates_to", 1)])
        rows = s.neighbors("A", max_depth=5)
        assert sorted((n.depth, n.label) for n in rows) == [(1, "B"), (1, "C"), (2, "C2")]
        assert len({n.node for n in rows}) == len(rows)


def test_direction_and_types(client, tenants):
    with client.scope(tenants.a) as s:
        _graph(s, [("P", "Q", "led_to", 1), ("R", "P", "depends_on", 1),
                   ("P", "T", "produces", 1)])
        assert {n.label for n in s.neighbors("P", 1, direction="out")} == {"Q", "T"}
        assert [(n.label, n.edge_direction) for n in s.neighbors("P", 1, direction="in")] == [
            ("R", "in")]
        assert [n.label for n in s.neighbors("P", 1, types=["led_to", "depends_on"])] == [
            "Q", "R"]
        assert s.neighbors("P", 2, types=["belongs_to"]) == []


def test_the_result_is_bounded(client, tenants):
    with client.scope(tenants.a) as s:
        hub = s.upsert_entity("Hub")
        for i in range(30):
            leaf = s.upsert_entity(f"L{i:02d}")
            s.relate(hub, leaf, strength=i / 30)
            s.relate(leaf, s.upsert_entity(f"M{i:02d}"))
        rows = s.neighbors(hub, 3, limit=10)
        assert [n.label for n in rows] == [f"L{i:02d}" for i in range(29, 19, -1)]
        assert len(s.neighbors(hub, 3, limit=45)) == 45
        assert {n.depth for n in s.neighbors(hub, 3, limit=45)} == {1, 2}
        assert len(s.neighbors(hub, 3, limit=1000)) == 60


@pytest.mark.parametrize(("kwargs", "field"), [
    (dict(max_depth=0), "max_depth"), (dict(max_depth=6), "max_depth"),
    (dict(limit=0), "max_nodes"), (dict(limit=1001), "max_nodes"),
    (dict(direction="up"), "direction"),
])
def test_bad_arguments_are_refused(client, tenants, kwargs, field):
    with client.scope(tenants.a) as s:
        s.upsert_entity("X")
    with client.scope(tenants.a) as s, pytest.raises(cogdb.InvalidInput) as info:
        s.neighbors("X", **kwargs)
    assert info.value.field == field


def test_memories_are_nodes_and_expired_ones_are_skipped(client, tenants):
    soon = datetime.now(UTC) + timedelta(seconds=1)
    with client.scope(tenants.a) as s:
        e = s.upsert_entity("Topic")
        live = s.remember("a live memory about the topic", embedding=vec(1))
        dying = s.remember("an expiring memory", embedding=vec(2), expires_at=soon)
        after = s.upsert_entity("Behind the expiring memory")
        s.relate(e, f"memory:{live}")
        s.relate(e, f"memory:{dying}")
        s.relate(f"memory:{dying}", after)
        assert sorted((n.depth, n.label) for n in s.neighbors(e, 2)) == [
            (1, "a live memory about the topic"), (1, "an expiring memory"),
            (2, "Behind the expiring memory")]
    import time
    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.2)
    with client.scope(tenants.a) as s:
        rows = s.neighbors(e, 2)
        assert [(n.kind, n.id) for n in rows] == [("memory", live)]
        assert s.neighbors(f"memory:{dying}") == []          # an expired start: no rows


def test_an_unknown_start_gives_no_rows(client, tenants):
    with client.scope(tenants.a) as s:
        assert s.neighbors("Nobody") == []
        assert s.neighbors("memory:mem_missing") == []
    with client.scope(tenants.a) as s, pytest.raises(psycopg.Error) as info:
        # not a reference form (the Python client would read it as a name)
        s.connection.execute("SELECT * FROM cogdb.neighbors('person:Nobody')")
    assert (info.value.sqlstate, info.value.diag.column_name) == ("CGV01", "start")


# Rows of memories and relationships this transaction has read so far (heap rows fetched by
# index and bitmap scans, and read by sequential scans), from the statistics PostgreSQL
# keeps per transaction: what a statement read, not how long it took.
ROWS_READ = ("SELECT coalesce(sum(coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0)), 0)"
             "  FROM pg_stat_xact_user_tables WHERE schemaname = 'cogdb'"
             "   AND (relname = 'relationships' OR relname LIKE 'memories%%')")


def test_a_walk_reads_what_it_reaches_not_the_tenant(client, tenants, db):
    """docs/trust-model.md "What a walk reads": the endpoint checks of every relationship
    read (relationships__endpoints_visible) are primary-key probes, and each level of a walk
    reads the frontier's relationships by node id, so a 3-level walk along a chain of
    memories reads a few dozen rows in a tenant of 300 memories (before revision 0023, each
    level read all 300 into hashed sub-plans, twice or more). Control: the same counter
    sees a read of the whole tenant."""
    with client.scope(tenants.a) as s:
        ids = s.remember_many([{"id": f"w{i:03d}", "human": f"memory {i}"} for i in range(300)],
                              [vec(i % 300) for i in range(300)])
        for a, b in itertools.pairwise(ids[:7]):
            s.relate(f"memory:{a}", f"memory:{b}", "led_to")
    with psycopg.connect(db.app_url) as conn, conn.transaction():
        conn.execute("SELECT cogdb.set_context(%s::text)", (str(tenants.a),))
        before = conn.execute(ROWS_READ).fetchone()[0]
        walk = conn.execute("SELECT node, depth FROM cogdb.neighbors('memory:w000', 3)").fetchall()
        after_walk = conn.execute(ROWS_READ).fetchone()[0]
        edges = conn.execute("SELECT count(*) FROM cogdb.relationships"
                             " WHERE from_memory_id = ANY (%s)", (ids[:3],)).fetchone()[0]
        after_edges = conn.execute(ROWS_READ).fetchone()[0]
        assert conn.execute("SELECT count(*) FROM cogdb.memories").fetchone()[0] == 300
        after_all = conn.execute(ROWS_READ).fetchone()[0]
    assert walk == [("memory:w001", 1), ("memory:w002", 2), ("memory:w003", 3)]
    assert after_walk - before <= 60
    assert edges == 3 and after_edges - after_walk <= 12  # 3 edges, 2 probes each
    assert after_all - after_edges >= 300                 # control: the whole tenant
