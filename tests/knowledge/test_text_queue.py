"""Deferred text indexing (docs/architecture.md "Deferred text indexing"): an INSERT of at least
text.defer_min_rows memories (default 100) queues their full-text indexing in the owner-only
text_queue; index_pending_text (the app), `cogdb text index` and `cogdb maintain` index them,
each memory in its owner's context. Smaller inserts are indexed in their statement. Until a
queued memory is indexed, hybrid search finds it through its vector half only."""
from __future__ import annotations

import json
import threading
import time

import psycopg
import pytest
from helpers import assert_rls_applies, cli, vec
from pgvector.psycopg import register_vector

import cogdb
from cogdb.ops import maintain

DEFER = 100  # the setting's default


def _orders(n: int, prefix: str = "ORD", **extra) -> list[dict]:
    return [{"human": f"refund request for order {prefix}-{i:05d}", **extra} for i in range(n)]


def _queued(db, tenant=None) -> int:
    """Entries in the queue (superuser: ground truth only)."""
    if tenant is None:
        return db.super.execute("SELECT count(*) FROM cogdb.text_queue").fetchone()[0]
    return db.super.execute("SELECT count(*) FROM cogdb.text_queue WHERE tenant_id = %s",
                            (tenant,)).fetchone()[0]


def _text_ids(s, words: str) -> list[str]:
    return [h.id for h in s.hybrid_search(words, embed=False)]


def test_a_bulk_insert_is_found_by_its_words_once_indexed(client, db, tenants):
    with client.scope(tenants.a) as s:
        ids = s.remember_many(_orders(DEFER), [vec(i % 300) for i in range(DEFER)])
    assert _queued(db, tenants.a) == DEFER
    with client.scope(tenants.a) as s:
        assert _text_ids(s, "ORD-00017") == []                     # not yet in the text index
        assert s.search(vec(17), k=1)[0].id == ids[17]              # the vector half has it
        hybrid = s.hybrid_search("ORD-00017", vector=vec(17))
        assert hybrid[0].id == ids[17] and hybrid[0].text_rank is None
        assert s.index_pending_text() == DEFER
        assert _text_ids(s, "ORD-00017") == [ids[17]]
        assert s.index_pending_text() == 0                          # the queue is empty
    assert _queued(db) == 0


def test_a_smaller_insert_is_indexed_in_its_statement(client, db, tenants):
    with client.scope(tenants.a) as s:
        ids = s.remember_many(_orders(DEFER - 1), [vec(i) for i in range(DEFER - 1)])
        assert _text_ids(s, "ORD-00042") == [ids[42]]
        one = s.remember("refund request for order ORD-99999", embedding=vec(1))
        assert _text_ids(s, "ORD-99999") == [one]
    assert _queued(db) == 0


def test_setting_zero_indexes_every_insert_at_once(client, db, tenants):
    db.super.execute("UPDATE cogdb.settings SET value = '0' WHERE key = 'text.defer_min_rows'")
    with client.scope(tenants.a) as s:
        ids = s.remember_many(_orders(DEFER + 5), [vec(i) for i in range(DEFER + 5)])
        assert _text_ids(s, "ORD-00101") == [ids[101]]
    assert _queued(db) == 0


def test_private_memories_are_indexed_for_their_owner_only(client, db, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        mine = s.remember_many(_orders(DEFER, "PRV", visibility="private"),
                               [vec(i) for i in range(DEFER)])
        shared = s.remember_many(_orders(DEFER, "PUB"), [vec(i) for i in range(DEFER)])
    # a2 indexes the tenant's whole queue, a1's private memories included (as a1 sees them) …
    with client.scope(tenants.a, tenants.a2) as s:
        assert s.index_pending_text() == 2 * DEFER
        assert _text_ids(s, "PUB-00003") == [shared[3]]             # control
        assert _text_ids(s, "PRV-00003") == []                      # … but never finds them
    with client.scope(tenants.a, tenants.a1) as s:
        assert _text_ids(s, "PRV-00003") == [mine[3]]
    with client.scope(tenants.b) as s:                              # nor does another tenant
        assert _text_ids(s, "PUB-00003") == [] and s.index_pending_text() == 0
    owners = dict(db.super.execute(
        "SELECT visibility, count(DISTINCT owner_user_id) FROM cogdb.text_index"
        " WHERE tenant_id = %s GROUP BY 1", (tenants.a,)).fetchall())
    assert owners == {"private": 1, "tenant": 1}


def test_each_tenant_indexes_its_own_queue_only(client, db, tenants):
    for t in (tenants.a, tenants.b):
        with client.scope(t) as s:
            s.remember_many(_orders(DEFER), [vec(i) for i in range(DEFER)])
    with client.scope(tenants.b) as s:
        assert s.index_pending_text(max_rows=30) == 30
        assert s.index_pending_text() == DEFER - 30
    assert (_queued(db, tenants.a), _queued(db, tenants.b)) == (DEFER, 0)
    with client.scope(tenants.a) as s:
        assert _text_ids(s, "ORD-00005") == []


def test_a_queued_memory_changed_or_deleted_is_indexed_as_it_is_now(client, db, tenants,
                                                                      app_conn):
    with client.scope(tenants.a, tenants.a1) as s:
        ids = s.remember_many(_orders(DEFER), [vec(i) for i in range(DEFER)])
        assert s.forget(ids[1])
    with app_conn.transaction():
        app_conn.execute("SELECT cogdb.set_context(%s, %s)", (str(tenants.a), str(tenants.a1)))
        app_conn.execute("UPDATE cogdb.memories SET human_content = 'renamed to INV-777'"
                         " WHERE id = %s", (ids[2],))
    with client.scope(tenants.a, tenants.a1) as s:
        assert _text_ids(s, "INV-777") == [ids[2]]   # an update is indexed in its statement
        assert s.index_pending_text() == DEFER - 2   # the forgotten one is dropped, the updated
        #                                              one was indexed by its UPDATE
        assert _text_ids(s, "INV-777") == [ids[2]]   # … and the drain keeps the new text
        assert _text_ids(s, "ORD-00002") == [] and _text_ids(s, "ORD-00001") == []
        assert _text_ids(s, "ORD-00003") == [ids[3]]
    assert _queued(db) == 0


def test_an_anonymised_memory_is_never_indexed_with_its_old_text(client, admin, db, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        ids = s.remember_many(_orders(DEFER, "SECRET"), [vec(i) for i in range(DEFER)])
    admin.anonymise_user(tenants.a, tenants.a1)
    with client.scope(tenants.a) as s:
        s.index_pending_text()
        assert _text_ids(s, "SECRET-00004") == []
        assert s.get(ids[4]).anonymised_at is not None   # control: the memory is still there
    assert db.super.execute("SELECT count(*) FROM cogdb.text_index WHERE tenant_id = %s"
                            " AND tsv @@ 'secret'::tsquery", (tenants.a,)).fetchone()[0] == 0


def test_an_erased_users_queue_entries_no_longer_name_them(client, admin, db, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember_many(_orders(DEFER), [vec(i) for i in range(DEFER)])
    assert db.super.execute("SELECT count(*) FROM cogdb.text_queue WHERE owner_user_id = %s",
                            (tenants.a1,)).fetchone()[0] == DEFER          # control
    admin.erase_user(tenants.a, tenants.a1)
    refs = {r["table_name"]: r["refs"] for r in admin.user_references(tenants.a, tenants.a1)
            if r["column_name"] == "owner_user_id"}
    assert refs["text_queue"] == 0


def test_maintain_and_the_cli_empty_the_queues(client, db, tenants, monkeypatch):
    for t in (tenants.a, tenants.b):
        with client.scope(t) as s:
            s.remember_many(_orders(DEFER), [vec(i) for i in range(DEFER)])
    monkeypatch.setattr(maintain, "TEXT_BATCH", 70)   # several transactions
    lines: list[str] = []
    assert maintain.index_queued_text(db.url(), lines.append) == 2 * DEFER
    assert _queued(db) == 0 and any("to go" in line for line in lines)
    with client.scope(tenants.b) as s:
        assert len(_text_ids(s, "ORD-00009")) == 1
        s.remember_many(_orders(DEFER, "CLI"), [vec(i) for i in range(DEFER)])
    result = cli(db, "text", "index", "--tenant", str(tenants.b), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"tenant_id": str(tenants.b), "indexed": DEFER}
    assert _queued(db) == 0


def test_bad_max_rows_is_refused_and_changes_nothing(client, db, tenants):
    with client.scope(tenants.a) as s:
        s.remember_many(_orders(DEFER), [vec(i) for i in range(DEFER)])
    for bad in (0, -1, 1.5, True):
        with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a) as s:
            s.index_pending_text(max_rows=bad)
        assert info.value.field == "max_rows"
    assert _queued(db, tenants.a) == DEFER
    with pytest.raises(cogdb.CogdbError) as info, client.scope(tenants.a) as s:
        s.connection.execute("SELECT cogdb.index_pending_text(0)")
    assert info.value.sqlstate == "CGV01"
    assert _queued(db, tenants.a) == DEFER


# Rows of cogdb tables named LIKE %s this transaction read, fetched through an index or by a
# sequential scan (pg_stat_xact).
ROWS_READ = ("SELECT coalesce(sum(coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0)), 0)"
             " FROM pg_stat_xact_user_tables WHERE schemaname = 'cogdb' AND relname LIKE %s")


def _reading(conn: psycopg.Connection, tables: str, query: str) -> tuple[object, int]:
    """The first value of ``query`` on ``conn`` and the rows of ``tables`` (a LIKE pattern) it
    read."""
    before = conn.execute(ROWS_READ, (tables,)).fetchone()[0]
    value = conn.execute(query).fetchone()[0]
    return value, conn.execute(ROWS_READ, (tables,)).fetchone()[0] - before


#: Queued memories in the test below: 0039's function read the whole tenant from ~1,000 ids.
QUEUED = 1000


def test_indexing_a_queue_reads_the_queued_memories_only(client, db, tenants):
    """Revision 0040: each group of queued ids was read as `m.id = ANY (ids)`, which the
    planner (no statistics on tenant_id) ran as a scan of the whole tenant filtering the ids
    -- a call per 10,000 queued memories read every memory of the tenant, so a large import's
    text indexing grew with the square of its size. Now each queued id is one probe of the
    primary key: about two reads a memory (the probe and the index row's foreign-key check).
    Control: the same counter sees a read of the whole tenant."""
    with client.scope(tenants.a) as s:
        for start in range(0, 2000, 500):
            s.remember_many(_orders(500, f"OLD{start}"), [vec(i % 300) for i in range(500)])
        s.index_pending_text()
        s.remember_many(_orders(QUEUED, "QUEUED"), [vec(i % 300) for i in range(QUEUED)])
    db.super.execute("ANALYZE cogdb.memories")
    with psycopg.connect(db.app_url) as conn, conn.transaction():
        assert_rls_applies(conn)
        conn.execute("SELECT cogdb.set_context(%s::text, NULL)", (str(tenants.a),))
        n, indexed = _reading(conn, "memories%", "SELECT cogdb.index_pending_text()")
        assert n == QUEUED
        n, whole = _reading(conn, "memories%", "SELECT count(*) FROM cogdb.memories")
        assert n == 2000 + QUEUED
    assert whole >= 2000 + QUEUED                        # control: the counter sees a tenant scan
    assert indexed <= 2 * QUEUED + 10, indexed
    with client.scope(tenants.a) as s:
        assert _text_ids(s, "QUEUED-00042") != [] and _text_ids(s, "OLD1500-00042") != []


def _indexed(db, ids: list[str]) -> int:
    """How many of these memories have their text indexed (superuser: ground truth)."""
    return db.super.execute("SELECT count(*) FROM cogdb.text_index WHERE memory_id = ANY (%s)",
                            (ids,)).fetchone()[0]


def test_a_call_reads_the_oldest_entries_of_the_queue_only(client, db, tenants):
    """Revision 0040: a call took its oldest entries by sorting the whole queue (of its
    tenant, or of all), so draining a queue of N entries max_rows at a time read it N /
    max_rows times. The queue's indexes give them in order, so a call of max_rows 50 reads
    about 50 entries: `cogdb maintain`'s for all tenants 50, the app's for its own tenant at
    most 150 (the planner may take the queue's order, past the other tenant's 100 older
    entries). The oldest go first. Control: the same counter sees a read of the whole queue."""
    with client.scope(tenants.b) as s:  # another tenant's entries, older
        s.remember_many(_orders(DEFER, "B"), [vec(i) for i in range(DEFER)])
    with client.scope(tenants.a) as s:
        first = s.remember_many(_orders(DEFER, "FIRST"), [vec(i) for i in range(DEFER)])
        later = [i for batch in range(8) for i in s.remember_many(
            _orders(DEFER, f"LATER{batch}"), [vec(i) for i in range(DEFER)])]
    db.super.execute("ANALYZE cogdb.text_queue")
    with psycopg.connect(db.app_url) as conn, conn.transaction():
        assert_rls_applies(conn)
        conn.execute("SELECT cogdb.set_context(%s::text, NULL)", (str(tenants.a),))
        n, app_read = _reading(conn, "text_queue", "SELECT cogdb.index_pending_text(50)")
        assert n == 50
    assert _indexed(db, first) == 50                     # the oldest first: half of FIRST …
    assert _indexed(db, later) == 0                      # … and none of the later ones
    with psycopg.connect(db.url()) as owner, owner.transaction():
        n, all_read = _reading(owner, "text_queue", "SELECT cogdb.index_queued_text(NULL, 50)")
        assert n == 50
        n, whole = _reading(owner, "text_queue", "SELECT count(*) FROM cogdb.text_queue")
        assert n == 900
    assert whole >= 900                                 # control: a read of the whole queue
    assert app_read <= 50 + DEFER + 10, app_read        # (B's, older, if read in queue order)
    assert all_read <= 50 + 10, all_read
    assert _queued(db, tenants.b) == DEFER - 50         # maintain's call took B's, the oldest
    assert _indexed(db, first) == 50 and _indexed(db, later) == 0


def test_a_drain_deadlocked_by_a_writer_leaves_its_group_queued(client, db, tenants):
    """Review of revision 0040 (as old as the queue): a drain holds its entries locked and its
    index row's foreign-key check waits for a memory a writer is deleting; the writer then
    stores that memory again in bulk, and its queue entry's upsert waits for the drain. The
    deadlock detector aborts the drain, which waited first. Since revision 0041 that rolls
    back the group alone, as a lock timeout does: the call returns, the group stays queued,
    the writer commits, and the next call indexes the memory's new text. Before, the call
    failed (40P01), and in `cogdb maintain` so did its batch of every tenant's entries."""
    with client.scope(tenants.a) as s:
        ids = s.remember_many(_orders(DEFER), [vec(i) for i in range(DEFER)])
    victim, result = ids[7], {}
    writer, drainer = psycopg.connect(db.app_url), psycopg.connect(db.app_url)
    register_vector(writer)

    def drain() -> None:
        try:
            with drainer.transaction():
                drainer.execute("SELECT cogdb.set_context(%s::text, NULL)", (str(tenants.a),))
                result["n"] = drainer.execute("SELECT cogdb.index_pending_text()").fetchone()[0]
        except psycopg.Error as exc:
            result["error"] = exc.sqlstate

    items = [{"id": victim, "human_content": "renewed as RENEWED-1"}]
    items += [{"human_content": f"fresh order FRESH-{j}"} for j in range(DEFER)]
    again = (json.dumps(items), [vec(i) for i in range(len(items))])
    try:
        writer.execute("SELECT cogdb.set_context(%s::text, NULL)", (str(tenants.a),))
        assert writer.execute("SELECT cogdb.forget(%s::text)", (victim,)).fetchone()[0]
        thread = threading.Thread(target=drain)
        thread.start()
        _wait_for_lock(db, drainer.info.backend_pid)      # the drain waits for the writer
        # … which must wait for the drain within deadlock_timeout (1 s) of that, so that the
        # drain's check finds the cycle: the statement's arguments are ready beforehand
        writer.execute("SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])", again)
        writer.commit()
        thread.join(30)
    finally:
        writer.close()
        drainer.close()
    assert result == {"n": 0}, result                     # the group rolled back, no error
    assert _queued(db, tenants.a) == 2 * DEFER            # its entries and the writer's
    with client.scope(tenants.a) as s:
        assert s.index_pending_text() == 2 * DEFER
        assert _text_ids(s, "RENEWED-1") == [victim]      # the memory's new text
        assert _text_ids(s, "ORD-00007") == []            # not the old one
        assert _text_ids(s, "ORD-00008") == [ids[8]]      # control


def _wait_for_lock(db, pid: int, seconds: float = 10) -> None:
    """Until the backend ``pid`` waits for a lock (superuser: pg_stat_activity)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if db.super.execute("SELECT wait_event_type = 'Lock' FROM pg_stat_activity"
                            " WHERE pid = %s", (pid,)).fetchone()[0]:
            return
        time.sleep(0.01)
    raise AssertionError(f"backend {pid} never waited for a lock")
