"""Every cogdb statement names its tenant, so it reads (plans, locks) the tenant's partition
only: the cost of a call does not grow with the number of promoted tenants. Promotion moves a
tenant's rows out of memories_default; the DEFAULT partition then holds none of them, and the
tenant's transactions wait for the move instead of racing it.

Partitions a statement touched are read from pg_locks inside its transaction: the planner
locks every partition it plans for, and the locks last until the transaction ends. An ad-hoc
query that relies on the fence alone locks every partition: the positive control.
"""
from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from helpers import (
    SET_CONTEXT,
    assert_rls_applies,
    cli,
    explained,
    flush_pool_stats,
    plan_nodes,
    rows_in_context,
)

import cogdb
import cogdb.ops.maintain
from cogdb.io import loader

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))
import bench.corpus  # noqa: E402

MODEL = "cogdb-hash-384"
MIN = 60

PARTITIONS_LOCKED = """
    SELECT coalesce(array_agg(c.relname::text ORDER BY c.relname), '{}')
      FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
      JOIN pg_inherits h ON h.inhrelid = c.oid
     WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation'
       AND h.inhparent = 'cogdb.memories'::regclass"""


def _items(prefix: str, n: int, **fields: Any) -> list[dict[str, Any]]:
    return [{"id": f"{prefix}{i:04d}", "human_content": f"{prefix} {i}", **fields}
            for i in range(n)]


@pytest.fixture
def promoted(db, client, tenants, admin):
    """A and B promoted into partitions of their own (with indexes), C in DEFAULT."""
    for key, value in (("search.ann_min_rows", MIN), ("search.exact_max_rows", 20)):
        db.super.execute("UPDATE cogdb.settings SET value = to_jsonb(%s::integer) WHERE key = %s",
                         (value, key))
    c = admin.create_tenant(f"C {tenants.a}", external_id=f"c-{tenants.a}").id
    vecs, _ = bench.corpus.vectors(3 * MIN, 384, seed=5)
    writes = ((tenants.a, tenants.a1, MIN), (tenants.b, tenants.b1, MIN), (c, None, 10))
    for i, (tenant, user, n) in enumerate(writes):
        with client.scope(tenant, user) as s:
            s.remember_many(_items(f"t{i}-", n), vecs[i * MIN:i * MIN + n])
    steps = cogdb.ops.maintain.run(db.url(), echo=lambda *_: None)
    assert [(s.action, s.error) for s in steps] == [("promote", None)] * 2 + [("create", None)] * 2
    names = {t: db.super.execute("SELECT cogdb.partition_name(%s::uuid)", (t,)).fetchone()[0]
             for t in (tenants.a, tenants.b, c)}
    return names, c, vecs


def _locked(conn: psycopg.Connection) -> list[str]:
    return conn.execute(PARTITIONS_LOCKED).fetchone()[0]


def test_promotion_moves_the_rows_and_keeps_one_fence(db, promoted, tenants):
    names, _, _ = promoted
    parts = dict(db.super.execute(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits h"
        " JOIN pg_class c ON c.oid = h.inhrelid WHERE h.inhparent = 'cogdb.memories'::regclass"))
    assert parts == {"memories_default": "DEFAULT",
                     names[tenants.a]: f"FOR VALUES IN ('{tenants.a}')",
                     names[tenants.b]: f"FOR VALUES IN ('{tenants.b}')"}
    counts = dict(db.super.execute(
        "SELECT tableoid::regclass::text, count(*) FROM cogdb.memories GROUP BY 1"))
    assert counts == {f"cogdb.{names[tenants.a]}": MIN, f"cogdb.{names[tenants.b]}": MIN,
                      "cogdb.memories_default": 10}
    # The policies stay on the parent only; partitions grant nothing and have none.
    policies = {r[0] for r in db.super.execute(
        "SELECT DISTINCT tablename FROM pg_policies WHERE schemaname = 'cogdb'"
        " AND tablename LIKE 'memories%'")}
    assert policies == {"memories"}
    # The fences and tenant checks the promotion used are gone.
    leftovers = db.super.execute(
        "SELECT conname FROM pg_constraint WHERE conname LIKE 'memories\\_default\\_not\\_%'"
        " OR conname LIKE 'memories\\_p\\_%\\_tenant\\_check'").fetchall()
    assert leftovers == []


def test_app_cannot_read_a_partition_directly(app_conn, promoted, tenants):
    names, _, _ = promoted
    for part in (names[tenants.a], "memories_default"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), app_conn.transaction():
            app_conn.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
            app_conn.execute(f'SELECT count(*) FROM cogdb."{part}"')
    # positive control: through the parent, in context, the rows are there
    with app_conn.transaction():
        app_conn.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
        assert app_conn.execute("SELECT count(*) FROM cogdb.memories").fetchone() == (MIN,)


@pytest.mark.parametrize("who", ["a", "c"])
def test_every_api_call_touches_one_partition(app_conn, promoted, tenants, who):
    names, c, vecs = promoted
    tenant, user = (tenants.a, tenants.a1) if who == "a" else (c, None)
    own = names[tenant] if who == "a" else "memories_default"
    q = vecs[0]
    calls = {
        "search (exact path)": ("SELECT count(*) FROM cogdb.search(%s::vector, 5,"
                                " only_conversation => 'none')", (q,)),
        "search": ("SELECT count(*), min(plan) FROM cogdb.search(%s::vector, 5)", (q,)),
        "search with a metadata filter": (
            "SELECT count(*) FROM cogdb.search(%s::vector, 5, metadata_filter => '{\"k\": 1}')",
            (q,)),
        "get": ("SELECT count(*) FROM cogdb.get('t0-0001')", ()),
        "list_memories": ("SELECT count(*) FROM cogdb.list_memories(5)", ()),
        "forget": ("SELECT cogdb.forget('no-such-id')", ()),
        "remember": ("SELECT cogdb.remember('q', 'a', %s::vector)", (q,)),
        "remember_many": ("SELECT count(*) FROM cogdb.remember_many("
                          "'[{\"human_content\": \"x\"}]', ARRAY[%s::vector])", (q,)),
    }
    assert_rls_applies(app_conn)
    for name, (query, params) in calls.items():
        with app_conn.transaction():
            app_conn.execute(SET_CONTEXT, (str(tenant), str(user) if user else None))
            app_conn.execute(query, params).fetchall()
            assert set(_locked(app_conn)) <= {own}, (name, _locked(app_conn))
            if name == "search" and who == "a":
                assert app_conn.execute(query, params).fetchone()[1].startswith("ann:")
            raise psycopg.Rollback()
    # positive control: the fence alone plans (and locks) every partition
    with app_conn.transaction():
        app_conn.execute(SET_CONTEXT, (str(tenant), str(user) if user else None))
        app_conn.execute("SELECT count(*) FROM cogdb.memories").fetchone()
        assert set(_locked(app_conn)) == {names[tenants.a], names[tenants.b], "memories_default"}
        raise psycopg.Rollback()


def test_import_merge_names_the_tenant(app_conn, promoted, tenants):
    names, _, _ = promoted
    with app_conn.transaction():
        app_conn.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
        app_conn.execute(loader.CREATE_STAGE)
        for statement in (loader.MERGE, loader._RECHECK, loader._UPDATE):
            app_conn.execute(statement, {"model": MODEL, "tenant": tenants.a, "ids": ["x"]})
            assert set(_locked(app_conn)) <= {names[tenants.a]}, statement
        raise psycopg.Rollback()


def test_a_tenants_transactions_wait_for_its_promotion(db, client, tenants, admin):
    """The gate: a scope of the tenant opened during the move waits for it and then sees
    (and writes) the moved rows; the move waits for a scope that is already open."""
    db.super.execute("UPDATE cogdb.settings SET value = '50' WHERE key = 'search.ann_min_rows'")
    vecs, _ = bench.corpus.vectors(120, 384, seed=6)
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember_many(_items("g", 100), vecs[:100])
    holder = psycopg.connect(db.app_url, autocommit=False)
    holder.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))   # an open transaction
    done = threading.Event()
    result: list[Any] = []

    def promote() -> None:
        with cogdb.ops.maintain._owner_connection(db.url()) as conn:
            result.append(cogdb.ops.maintain.promote(conn, tenants.a))
        done.set()

    mover = threading.Thread(target=promote)
    mover.start()
    time.sleep(0.5)
    assert not done.is_set(), "the promotion did not wait for the tenant's open transaction"
    # Other tenants go on meanwhile.
    with client.scope(tenants.b, tenants.b1) as s:
        s.remember("b", "b", vecs[110])
    holder.rollback()
    holder.close()
    mover.join(30)
    assert done.is_set() and result == [100]
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember_many(_items("h", 10), vecs[100:110])
        assert len(s.list_memories(200)) == 110
    part = db.super.execute("SELECT cogdb.partition_name(%s::uuid)", (tenants.a,)).fetchone()[0]
    assert db.super.execute(f'SELECT count(*) FROM cogdb."{part}"').fetchone() == (110,)
    assert db.super.execute("SELECT count(*) FROM cogdb.memories_default WHERE tenant_id = %s",
                            (tenants.a,)).fetchone() == (0,)
    assert np.isfinite(vecs).all()


def test_the_tenants_reads_go_on_while_its_promotion_waits(db, client, tenants, admin):
    """While a promotion waits for a transaction of the tenant left open, it does not queue
    ahead of the tenant's other transactions (revision 0031's review: a queued exclusive
    request on the gate held every later one, reads included, for each attempt's whole
    lock_timeout): another reader of the tenant, with a lock_timeout of 500 ms, gets in, and
    the promotion gives up (one attempt) having moved nothing. The test above is the
    control: the promotion does wait for the open transaction."""
    db.super.execute("UPDATE cogdb.settings SET value = '50' WHERE key = 'search.ann_min_rows'")
    vecs, _ = bench.corpus.vectors(100, 384, seed=7)
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember_many(_items("r", 100), vecs)
    holder = psycopg.connect(db.app_url, autocommit=False)
    holder.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))   # left open
    result: list[Any] = []

    def promote() -> None:
        with cogdb.ops.maintain._owner_connection(db.url()) as conn:
            try:
                result.append(cogdb.ops.maintain.promote(conn, tenants.a, attempts=1))
            except psycopg.errors.LockNotAvailable as exc:
                result.append(exc)

    mover = threading.Thread(target=promote)
    try:
        mover.start()
        time.sleep(0.5)
        with psycopg.connect(db.app_url + "&options=-c%20lock_timeout%3D500",
                             autocommit=True) as reader, reader.transaction():
            reader.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
            assert reader.execute("SELECT count(*) FROM cogdb.memories").fetchone() == (100,)
        mover.join(30)
    finally:
        holder.rollback()
        holder.close()
    assert len(result) == 1 and isinstance(result[0], psycopg.errors.LockNotAvailable)
    assert db.super.execute("SELECT count(*) FROM cogdb.memories_default WHERE tenant_id = %s",
                            (tenants.a,)).fetchone() == (100,)


def test_maintain_no_promote_moves_no_tenant(db, client, tenants):
    """`cogdb maintain --no-promote` (for a Citus cluster: docs/scale-out.md) leaves a large
    tenant in memories_default and builds no index on a partition it does not have; without
    the switch the same plan promotes it (positive control)."""
    db.super.execute("UPDATE cogdb.settings SET value = to_jsonb(%s::integer)"
                     " WHERE key = 'search.ann_min_rows'", (MIN,))
    vecs, _ = bench.corpus.vectors(MIN, 384, seed=6)
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember_many(_items("np-", MIN), vecs)
    part = db.super.execute("SELECT cogdb.partition_name(%s::uuid)", (tenants.a,)).fetchone()[0]
    exists = "SELECT to_regclass('cogdb.' || %s) IS NOT NULL"
    r = cli(db, "maintain", "--no-promote", "--json", admin_url=db.url())
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == []
    assert db.super.execute(exists, (part,)).fetchone() == (False,)
    assert [s.action for s in cogdb.ops.maintain.plan(db.url())] == ["promote", "create"]
    r = cli(db, "maintain", "--json", admin_url=db.url())
    assert r.exit_code == 0, r.output
    assert db.super.execute(exists, (part,)).fetchone() == (True,)


# ---------------------------------------------------------------- the planner's tenant estimate

TENANT_ESTIMATE = """
    SELECT s.tablename::text, s.n_distinct,
           s.most_common_vals IS NULL AND s.histogram_bounds IS NULL
      FROM pg_stats s
      JOIN pg_class c ON c.relname = s.tablename AND c.relnamespace = 'cogdb'::regnamespace
      JOIN pg_inherits h ON h.inhrelid = c.oid
     WHERE s.schemaname = 'cogdb' AND s.attname = 'tenant_id' AND NOT s.inherited
       AND h.inhparent = 'cogdb.memories'::regclass
     ORDER BY 1"""


def _partitions_read(app_conn, tenant, user, query: str, params: tuple) -> set[str]:
    """The partitions of memories that EXPLAIN ANALYZE of ``query``, in the tenant's context,
    shows read (a scan that ran at least once)."""
    return {node["Relation Name"] for node in explained(app_conn, query, params,
                                                         tenant=tenant, user=user)
            if node.get("Relation Name", "").startswith("memories") and node.get("Actual Loops")}


def _pruned_at_start(app_conn, tenant, user, query: str, params: tuple, *,
                     shared: bool = False) -> list[int]:
    """For each Append over memories' partitions in EXPLAIN ANALYZE of ``query``, how many
    partitions were pruned when the statement started (never set up); ``shared``: in a
    transaction that asked for shared rows first (share_request(true), its own statement)."""
    if shared:
        with app_conn.transaction(force_rollback=True):
            app_conn.execute("SELECT cogdb.set_context(%s::text, %s::text)",
                             (str(tenant), str(user)))
            app_conn.execute("SELECT cogdb.share_request(true)")
            nodes = list(plan_nodes(app_conn.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query,
                                                     params).fetchone()[0][0]["Plan"]))
    else:
        nodes = list(explained(app_conn, query, params, tenant=tenant, user=user))
    # An Append whose partitions were all pruned has no child left to name its table; only
    # memories is partitioned, so an Append that pruned any is over memories.
    return sorted(node.get("Subplans Removed", 0) for node in nodes
                  if node["Node Type"] == "Append"
                  and (node.get("Subplans Removed")
                       or any(child.get("Relation Name", "").startswith("memories")
                              for child in node.get("Plans", []))))


def test_a_relationships_endpoint_checks_read_the_tenants_partition(db, app_conn, client,
                                                                    promoted, tenants):
    """docs/trust-model.md "What a walk reads": each memory a relationship's endpoint check
    (relationships__endpoints_visible) probes is read in the tenant's own partition only
    (revision 0034: the probe names the tenant), and since revision 0035 no other partition
    is set up for them at all (pruned when the statement starts); since revision 0038 none
    for the fence's lookup of shared relationships either, unless the transaction asked for
    shared rows; a walk through them finds the same nodes. Control: a lookup by id that
    relies on the fence alone reads every partition, and sets up every one."""
    names, _, _ = promoted
    with client.scope(tenants.a, tenants.a1) as s:
        for i in range(3):
            s.relate(f"memory:t0-{i:04d}", f"memory:t0-{i + 1:04d}", "led_to")
    edges = "SELECT id FROM cogdb.relationships WHERE from_memory_id = %s"
    assert _partitions_read(app_conn, tenants.a, tenants.a1, edges, ("t0-0001",)) == {
        names[tenants.a]}
    # Revision 0035: the two endpoint probes' other partitions are not even set up (pruned
    # when the statement starts). Revision 0038: nor is any partition for the fence's lookup
    # of shared relationships (by the row's tenant) in a statement that did not ask for
    # shared rows; in one that asked, that lookup's partitions are all set up (control).
    assert _pruned_at_start(app_conn, tenants.a, tenants.a1, edges, ("t0-0001",)) == [2, 2, 3]
    assert _pruned_at_start(app_conn, tenants.a, tenants.a1, edges, ("t0-0001",),
                            shared=True) == [0, 2, 2]
    every = {names[tenants.a], names[tenants.b], "memories_default"}
    lookup = "SELECT id FROM cogdb.memories WHERE id = %s"
    assert _partitions_read(app_conn, tenants.a, tenants.a1, lookup, ("t0-0001",)) == every
    assert _pruned_at_start(app_conn, tenants.a, tenants.a1, lookup, ("t0-0001",)) == [0]
    assert rows_in_context(app_conn, "SELECT node, depth FROM cogdb.neighbors('memory:t0-0000', 3)",
                           tenant=tenants.a, user=tenants.a1) == [
        ("memory:t0-0001", 1), ("memory:t0-0002", 2), ("memory:t0-0003", 3)]


def test_the_tenant_estimates_hold_no_tenant_and_survive_analyze(db, app_conn, promoted, tenants):
    """set_tenant_estimates writes a number of distinct tenants per partition and nothing
    else (no value, no frequency), at most a tenth of the partition per tenant; ANALYZE keeps
    it (the column's statistics target is 0); only the owner sets it; a run that changes
    nothing writes nothing; statistics an ANALYZE computed by hand lose their values."""
    names, _, _ = promoted
    every = sorted(("memories_default", names[tenants.a], names[tenants.b]))
    db.super.execute("ANALYZE cogdb.memories")
    assert db.super.execute(TENANT_ESTIMATE).fetchall() == [(n, 10.0, True) for n in every]
    assert db.super.execute("SELECT cogdb.set_tenant_estimates()").fetchone() == (0,)
    with pytest.raises(psycopg.errors.InsufficientPrivilege), app_conn.transaction():
        app_conn.execute("SELECT cogdb.set_tenant_estimates()")
    # A large partition: one tenant per search.ann_min_rows rows, as a fraction of its rows.
    db.super.execute("UPDATE pg_class SET reltuples = 10 * %s WHERE oid = %s::regclass",
                     (MIN, f"cogdb.{names[tenants.b]}"))
    assert db.super.execute("SELECT cogdb.set_tenant_estimates()").fetchone() == (1,)
    assert dict((r[0], r[1]) for r in db.super.execute(TENANT_ESTIMATE))[
        names[tenants.b]] == pytest.approx(-1 / MIN)
    # Statistics computed by an ANALYZE with a target set by hand hold the tenant's id; the
    # next run replaces them, values and all (a restore alone would keep them).
    part = f'cogdb."{names[tenants.a]}"'
    db.super.execute(f"ALTER TABLE {part} ALTER COLUMN tenant_id SET STATISTICS 100")
    db.super.execute(f"ANALYZE {part}")
    db.super.execute(f"ALTER TABLE {part} ALTER COLUMN tenant_id SET STATISTICS 0")
    assert (names[tenants.a], 1.0, False) in db.super.execute(TENANT_ESTIMATE).fetchall()
    assert db.super.execute("SELECT cogdb.set_tenant_estimates()").fetchone() == (1,)
    assert (names[tenants.a], 10.0, True) in db.super.execute(TENANT_ESTIMATE).fetchall()


def test_a_query_naming_another_promoted_tenant_reads_none_of_its_rows(app_conn, promoted,
                                                                       tenants):
    """The fence stays an index condition in a promoted tenant's partition: a query naming
    it from another tenant reads none of its rows (EXPLAIN ANALYZE removes none, no
    sequential scan), though the estimates make a tenant a tenth of its partition. Control:
    in its own context the same measurement counts the rows a filter removes."""

    def removed(query: str, params: tuple, tenant) -> tuple[int, set[str]]:
        nodes = list(explained(app_conn, query, params, tenant=tenant))
        return (sum(node.get("Rows Removed by Filter", 0)
                    + node.get("Rows Removed by Index Recheck", 0) for node in nodes),
                {node["Node Type"] for node in nodes})

    query = "SELECT id FROM cogdb.memories WHERE tenant_id = %s"
    count, kinds = removed(query, (tenants.b,), tenants.a)
    assert count == 0 and "Seq Scan" not in kinds, kinds
    count, _ = removed(query + " AND human_content = 'none'", (tenants.b,), tenants.b)
    assert count == MIN  # control


def _partition_index_scans(db) -> dict[str, int]:
    """Index scans so far per partition of memories (every index of it)."""
    db.super.execute("SELECT pg_stat_clear_snapshot()")
    return dict(db.super.execute(
        "SELECT s.relname, sum(s.idx_scan)::bigint FROM pg_stat_user_indexes s"
        "  JOIN pg_inherits h ON h.inhrelid = s.relid"
        " WHERE h.inhparent = 'cogdb.memories'::regclass GROUP BY 1").fetchall())


@pytest.mark.parametrize("who", ["a", "c"])
def test_hybrid_search_reads_its_tenants_partition_alone(db, client, promoted, tenants, who):
    """Revision 0036: hybrid_search reads its candidate memories in the tenant's partition
    only (the tenant named as an equality, pruned when the statement starts), not by id in
    every partition. Locks cannot show it (a generic plan locks every partition it covers);
    the indexes' scan counters can. Control: with shared rows asked for, the candidates are
    read by id under the fence, in every partition."""
    names, c, vecs = promoted
    tenant, user, prefix = (tenants.a, tenants.a1, "t0") if who == "a" else (c, None, "t2")
    own = names[tenant] if who == "a" else "memories_default"

    flush_pool_stats(client)  # the fixture's writes, not reported yet, would count

    def scans_during(**kw) -> dict[str, int]:
        before = _partition_index_scans(db)
        with client.scope(tenant, user) as s:
            for text, vector in ((f"{prefix} 1", vecs[0]), (f"{prefix} 2", None)):
                assert s.hybrid_search(text, 5, vector=vector, embed=False, **kw)
            s.connection.execute("SELECT pg_stat_force_next_flush()")
        after = _partition_index_scans(db)
        return {p: after[p] - before[p] for p in after}

    read = scans_during()
    assert read[own] > 0
    assert {p for p, n in read.items() if n} == {own}, read
    shared = scans_during(include_shared=True)   # control
    every = {names[tenants.a], names[tenants.b], "memories_default"}
    assert {p for p, n in shared.items() if n} == every, shared
