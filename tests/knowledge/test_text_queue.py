"""Deferred text indexing (docs/architecture.md "Deferred text indexing"): an INSERT of at least
text.defer_min_rows memories (default 100) queues their full-text indexing in the owner-only
text_queue; index_pending_text (the app), `cogdb text index` and `cogdb maintain` index them,
each memory in its owner's context. Smaller inserts are indexed in their statement. Until a
queued memory is indexed, hybrid search finds it through its vector half only."""
from __future__ import annotations

import json

import pytest
from helpers import cli, vec

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
