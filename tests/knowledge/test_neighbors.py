"""Traversal: breadth first, each node once at its smallest depth with the edge and the
path, cycles safe, bounded, filtered by type and direction, expired memories skipped.
(That a path never passes through a node the caller cannot see is an isolation test:
tests/isolation/test_knowledge_isolation.py.)"""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from helpers import assert_rls_applies, vec

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


def _ranked_graph(client, tenants) -> str:
    """A hub with 40 entity neighbours at three strengths (ties everywhere), a second
    relationship of another type to six of the strongest (one node, two edges), ten of them
    pointing back at the hub, memories at full strength (two expiring in a second), another
    user's private memory at full strength, and a second level behind every neighbour."""
    soon = datetime.now(UTC) + timedelta(seconds=1)
    with client.scope(tenants.a, tenants.a2) as s:
        hidden = s.remember("a2's private memory", embedding=vec(9), private=True)
    with client.scope(tenants.a, tenants.a1) as s:
        hub = s.upsert_entity("Hub").ref
        nodes = [s.upsert_entity(f"N{i:02d}").ref for i in range(40)]
        for i, node in enumerate(nodes):
            s.relate(hub, node, "relates_to", strength=(1.0, 0.5, 0.2)[i % 3])
            s.relate(node, s.upsert_entity(f"L{i:02d}").ref, "led_to", strength=(i % 4) / 4)
            s.relate(node, nodes[(i + 1) % 40], "relates_to", strength=0.5)
        for node in nodes[:18:3]:
            s.relate(hub, node, "depends_on", strength=1.0)
        for i, node in enumerate(nodes[30:]):
            s.relate(node, hub, "led_to", strength=(1.0, 0.3)[i % 2])
        for i in range(5):
            memory = s.remember(f"memory {i}", embedding=vec(i),
                                **({"expires_at": soon} if i < 2 else {}))
            s.relate(hub, f"memory:{memory}", "relates_to", strength=1.0)
    with client.scope(tenants.a, tenants.a2) as s:
        s.relate(hub, f"memory:{hidden}", "relates_to", strength=1.0)
    import time
    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.2)
    return hub


def test_a_walk_cut_at_any_size_is_the_start_of_the_whole_walk(client, tenants):
    """Revision 0039 reads each frontier node's relationships strongest first and stops after
    the level's budget + 1 (reading again, unlimited, when the edges read reach too few
    distinct nodes). Whatever the budget, the walk must be the first max_nodes rows of the
    same walk with room for every node: same nodes, order, edges (the strongest, then the
    lowest id), paths and labels, through ties at every strength, a node reached by two
    relationships of the hub, edges both ways, expired memories and another user's private
    memory (neither returned nor counted)."""
    hub = _ranked_graph(client, tenants)
    with client.scope(tenants.a, tenants.a1) as s:
        for direction, depth in itertools.product(("both", "out", "in"), (1, 2)):
            whole = s.neighbors(hub, depth, direction=direction, limit=1000)
            assert 0 < len(whole) < 1000
            assert len({n.node for n in whole}) == len(whole)
            assert not any(n.label in ("memory 0", "memory 1", "a2's private memory")
                           for n in whole)
            for k in range(1, len(whole) + 1):
                assert s.neighbors(hub, depth, direction=direction, limit=k) == whole[:k], (
                    direction, depth, k)
        top = s.neighbors(hub, 1, limit=3)
        assert [n.strength for n in top] == [1.0] * 3
        assert [n.node for n in top] == sorted(n.node for n in top)


def test_a_walk_reads_the_relationships_its_budget_needs(client, tenants, db):
    """Revision 0039: from a hub of 40 relationships, a walk of 5 nodes reads 6 of them
    (budget + 1) when the strongest six reach six distinct nodes, and all of them when they
    do not (a node reached twice among the strongest: the exact, unlimited read); the same
    counter sees a walk with room for every node read them all (control)."""
    with client.scope(tenants.a, tenants.a1) as s:
        hub = s.upsert_entity("Hub").ref
        for i in range(40):
            s.relate(hub, s.upsert_entity(f"N{i:02d}").ref, "relates_to", strength=i / 40)

    def read(limit: int) -> int:
        return _relationships_read(db, tenants, "SELECT * FROM cogdb.neighbors(%s, 1,"
                                   " max_nodes => %s)", (hub, limit))[1]

    assert read(5) == 6
    assert read(1000) == 40
    with client.scope(tenants.a, tenants.a1) as s:  # N39 twice among the strongest
        s.relate(hub, "name:N39", "depends_on", strength=0.99)
    assert read(5) == 6 + 41


# Rows of relationships this transaction has fetched through indexes (pg_stat_xact).
RELATIONSHIPS_READ = ("SELECT coalesce(sum(idx_tup_fetch), 0) FROM pg_stat_xact_user_tables"
                      " WHERE schemaname = 'cogdb' AND relname = 'relationships'")


def _relationships_read(db, tenants, query: str, params: tuple = ()) -> tuple[list, int]:
    """The rows of ``query`` as the app login in tenant A (user a1), and the relationships
    it fetched."""
    with psycopg.connect(db.app_url) as conn, conn.transaction():
        assert_rls_applies(conn)
        conn.execute("SELECT cogdb.set_context(%s::text, %s::text)",
                     (str(tenants.a), str(tenants.a1)))
        before = conn.execute(RELATIONSHIPS_READ).fetchone()[0]
        rows = conn.execute(query, params).fetchall()
        return rows, conn.execute(RELATIONSHIPS_READ).fetchone()[0] - before


def test_a_wide_level_on_a_small_table_reads_each_nodes_edges_only(db, tenants):
    """Review of revision 0039: with no statistics on tenant_id, after ANALYZE of a table of
    ~1,800 relationships the planner read the whole tenant by its smallest index for every
    frontier node (and sorted it): a walk of 1,000 nodes read 1,083,600 relationships (0038's
    function 2,100). neighbors() plans with sorts disabled, so the ranked index is read in
    order: the walk reads about what it reaches. Control: the counter sees a read of the
    whole tenant."""
    with psycopg.connect(db.url()) as owner, owner.transaction():  # a bulk load, no triggers
        owner.execute("SET LOCAL session_replication_role = replica")
        owner.execute(
            "INSERT INTO cogdb.entities (tenant_id, id, external_id, name)"
            " SELECT %s::uuid, cogdb.entity_id_for('', 'x' || g), 'x' || g, 'X' || g"
            " FROM generate_series(0, 2000) g", (tenants.a,))
        owner.execute(  # x0 -> x1..x300, each of them -> 5 of x301..x2000
            "INSERT INTO cogdb.relationships (tenant_id, id, from_entity_id, to_entity_id,"
            " type, strength)"
            " SELECT %s::uuid, 'rel_' || md5(g || '-' || j), cogdb.entity_id_for('', 'x' ||"
            " CASE WHEN j = 0 THEN 0 ELSE g END), cogdb.entity_id_for('', 'x' || CASE WHEN"
            " j = 0 THEN g ELSE 301 + (g * 37 + j * 101) %% 1700 END), 'relates_to',"
            " (g %% 7) / 7.0 FROM generate_series(1, 300) g, generate_series(0, 5) j",
            (tenants.a,))
    db.super.execute("ANALYZE cogdb.relationships")
    [(nodes,)], walk = _relationships_read(db, tenants, "SELECT count(*) FROM"
                                           " cogdb.neighbors('name:x0', 2, max_nodes => 1000)")
    [(count,)], whole = _relationships_read(db, tenants,
                                            "SELECT count(*) FROM cogdb.relationships")
    assert count == 1800
    assert nodes == 1000
    assert walk <= 2 * 1800, walk       # each edge read once per end at most
    assert whole >= 1800                # control
