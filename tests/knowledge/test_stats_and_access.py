"""Access tracking off the hot path and tenant statistics kept by triggers. Search stays
read-only (it runs in a READ ONLY transaction); record_access appends to an owner-only log
that `cogdb maintain` folds into access_count and last_accessed. cogdb.stats() sums the
deltas the write triggers keep: counts by context type, source and visibility, entities,
observations, relationships, bytes and last activity."""
from __future__ import annotations

import psycopg
import pytest
from helpers import vec

import cogdb
import cogdb.ops.maintain


def _quiet(*_: object) -> None:
    return None


def _access(db, memory_id: str) -> tuple[int, object]:
    return db.super.execute("SELECT access_count, last_accessed FROM cogdb.memories"
                            " WHERE id = %s", (memory_id,)).fetchone()


def test_search_stays_read_only_and_tracking_is_a_call_of_its_own(app_conn, client, tenants, db):
    with client.scope(tenants.a) as s:
        mid = s.remember("tracked memory", embedding=vec(1))
    # search and hybrid search run in a read-only transaction: they write nothing
    app_conn.autocommit = True
    with app_conn.transaction():
        app_conn.execute("SET TRANSACTION READ ONLY")
        app_conn.execute("SELECT cogdb.set_context(%s::text)", (str(tenants.a),))
        assert app_conn.execute("SELECT count(*) FROM cogdb.search(%s::vector)",
                                (vec(1),)).fetchone() == (1,)
        assert app_conn.execute("SELECT count(*) FROM cogdb.hybrid_search('tracked',"
                                " %s::vector)", (vec(1),)).fetchone() == (1,)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            app_conn.execute("SELECT cogdb.record_access(ARRAY[%s])", (mid,))
        raise psycopg.Rollback()
    assert db.super.execute("SELECT count(*) FROM cogdb.memory_accesses").fetchone() == (0,)
    # asked for, the client records the results after the search
    with client.scope(tenants.a) as s:
        assert [h.id for h in s.search(vec(1), record_access=True)] == [mid]
        s.hybrid_search("tracked", record_access=True)
        s.search(vec(1))                                      # not asked: not recorded
    assert db.super.execute("SELECT count(*) FROM cogdb.memory_accesses").fetchone() == (2,)
    assert _access(db, mid) == (0, None)                      # not folded yet


def test_maintain_folds_the_log_into_the_memories(client, tenants, db):
    with client.scope(tenants.a, tenants.a1) as s:
        shared = s.remember("shared", embedding=vec(1))
        private = s.remember("private", embedding=vec(2), private=True)
        assert s.record_access([shared, private, shared, "mem_missing"]) == 2
        assert s.record_access([shared]) == 1
    with client.scope(tenants.a, tenants.a2) as s:
        assert s.record_access([private]) == 0               # not visible to a2: ignored
        assert s.record_access([shared]) == 1
    assert db.super.execute("SELECT count(*) FROM cogdb.memory_accesses").fetchone() == (4,)
    cogdb.ops.maintain.run(db.url(), echo=_quiet)
    assert _access(db, shared)[0] == 3 and _access(db, private)[0] == 1
    assert _access(db, shared)[1] is not None
    assert db.super.execute("SELECT count(*) FROM cogdb.memory_accesses").fetchone() == (0,)
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.get(shared).access_count == 3
        assert s.stats()["memories"]["accesses"] == 4
    cogdb.ops.maintain.run(db.url(), echo=_quiet)             # nothing new: nothing changes
    assert _access(db, shared)[0] == 3


def test_stats_follow_every_write(client, admin, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        ids = s.remember_many([{"human": "fact", "context_type": "fact", "source": "manual"},
                               {"human": "chat"},
                               {"human": "mine", "visibility": "private"}],
                              [vec(1), vec(2), vec(3)])
        a, b = s.upsert_entity("A", observations=["one", "two"]), s.upsert_entity("B")
        s.relate(a, b, strength=0.5)
        s.relate(a, b, strength=0.6)
        first = s.stats()
    assert first["memories"] == {
        "total": 3, "accesses": 0,
        "by_context_type": {"conversation": 2, "fact": 1},
        "by_source": {"api": 2, "manual": 1},
        "by_visibility": {"private": 1, "tenant": 2}}
    assert (first["entities"], first["observations"]) == (2, 2)
    assert first["relationships"] == {"records": 2, "superseded": 1}
    assert first["bytes"] > 3 * 1536 and first["last_activity"] is not None
    with client.scope(tenants.a, tenants.a1) as s:
        s.forget(ids[0])
        s.connection.execute("UPDATE cogdb.memories SET source = 'manual' WHERE id = %s",
                             (ids[1],))
        later = s.stats()
    assert later["memories"]["total"] == 2
    assert later["memories"]["by_source"] == {"api": 1, "manual": 1}
    assert later["memories"]["by_context_type"] == {"conversation": 2}
    assert later["bytes"] < first["bytes"]
    # the same document for an admin, and another tenant's is its own
    assert admin.tenant_stats(tenants.a) == later
    assert admin.tenant_stats(tenants.b)["memories"]["total"] == 0
    with pytest.raises(cogdb.NotFound):
        admin.tenant_stats("00000000-0000-0000-0000-000000000000")


def test_maintain_compacts_the_statistics_without_changing_them(client, tenants, db):
    with client.scope(tenants.a) as s:
        for i in range(5):
            s.remember(f"m{i}", embedding=vec(i))
        before = s.stats()
    rows = db.super.execute("SELECT count(*) FROM cogdb.tenant_stats WHERE tenant_id = %s",
                            (tenants.a,)).fetchone()[0]
    cogdb.ops.maintain.run(db.url(), echo=_quiet)
    after_rows = db.super.execute("SELECT count(*) FROM cogdb.tenant_stats"
                                  " WHERE tenant_id = %s", (tenants.a,)).fetchone()[0]
    assert after_rows < rows
    with client.scope(tenants.a) as s:
        assert s.stats() == before


def test_recording_accesses_after_a_read_does_not_wait_for_the_flush(client, tenants):
    with client.scope(tenants.a) as s:
        mid = s.remember("flush test", embedding=vec(1))
        s.record_access([mid])          # this transaction wrote first: its commit waits
        assert s.connection.execute("SHOW synchronous_commit").fetchone() == ("on",)
    with client.scope(tenants.a) as s:
        s.search(vec(1), record_access=True)
        assert s.connection.execute("SHOW synchronous_commit").fetchone() == ("off",)
    with client.scope(tenants.a) as s:  # and the next transaction is back to normal
        assert s.connection.execute("SHOW synchronous_commit").fetchone() == ("on",)
