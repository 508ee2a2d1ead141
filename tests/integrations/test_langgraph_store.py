"""CogdbStore and AsyncCogdbStore against the behaviours LangGraph's own PostgresStore tests
check (libs/checkpoint-postgres/tests/test_store.py; LangGraph ships no conformance suite
for stores). Every test runs against both stores: the async one lives on an event loop in
another thread, and its sync methods run there, as LangGraph's async stores allow."""
from __future__ import annotations

import asyncio
import inspect
import time
from datetime import datetime

import numpy as np
import pytest
from bridge import EventLoopThread
from langgraph.store.base import (
    GetOp,
    InvalidNamespaceError,
    ListNamespacesOp,
    PutOp,
    SearchOp,
    get_text_at_path,
)
from lg_embeddings import CharacterEmbeddings

import cogdb
from cogdb.integrations.langgraph import AsyncCogdbStore, CogdbStore

DIMS = 64
EMB = CharacterEmbeddings(DIMS)


@pytest.fixture(params=["sync", "async"])
def make_store(request, db, store_tenant):
    """make(index=…, ttl=…, tenant=…) -> a store of that kind, in a fresh tenant."""
    closers = []
    if request.param == "sync":
        client = cogdb.connect(db.app_url, pool_size=2)
        closers.append(client.close)

        def make(tenant=None, **kwargs):
            return CogdbStore(client, tenant=tenant or store_tenant.id, **kwargs)
    else:
        loop = EventLoopThread()
        aclient = loop.run(cogdb.connect_async(db.app_url, pool_size=2))
        closers += [lambda: loop.run(aclient.close()), loop.stop]

        async def build(kwargs):
            return AsyncCogdbStore(aclient, **kwargs)

        def make(tenant=None, **kwargs):
            return loop.run(build({"tenant": tenant or store_tenant.id, **kwargs}))
    yield make
    for close in closers:
        close()


@pytest.fixture
def store(make_store):
    return make_store()


def vector_store(make_store, **kwargs):
    return make_store(index={"dims": DIMS, "embed": EMB, **kwargs})


# ------------------------------------------------------------------ batches, basics


def test_batch_results_come_in_input_order(store):
    store.put(("test", "foo"), "key1", {"data": "value1"})
    results = store.batch([
        GetOp(("test", "foo"), "key1"),
        PutOp(("test", "bar"), "key2", {"data": "value2"}),
        SearchOp(("test",), filter={"data": "value1"}),
        ListNamespacesOp(match_conditions=None, max_depth=None, limit=10, offset=0),
        GetOp(("test",), "missing"),
        PutOp(("test", "foo"), "key1", None),
        GetOp(("test", "foo"), "key1"),
        GetOp(("test", "bar"), "key2"),
    ])
    assert results[0].value == {"data": "value1"} and results[0].key == "key1"
    assert results[1] is None
    assert [i.key for i in results[2]] == ["key1"]
    assert results[3] == [("test", "bar"), ("test", "foo")]
    assert results[4] is None and results[5] is None and results[6] is None
    assert results[7].value == {"data": "value2"}


def test_put_get_update_delete(store):
    ns = ("users", "alice")
    store.put(ns, "k", {"a": 1})
    first = store.get(ns, "k")
    assert (first.namespace, first.key, first.value) == (ns, "k", {"a": 1})
    assert isinstance(first.created_at, datetime)
    time.sleep(0.01)
    store.put(ns, "k", {"a": 2})
    second = store.get(ns, "k")
    assert second.value == {"a": 2}
    assert second.created_at == first.created_at and second.updated_at > first.updated_at
    assert store.get(("users", "bob"), "k") is None
    store.delete(ns, "k")
    assert store.get(ns, "k") is None
    store.delete(ns, "never-there")  # no error
    # the last of two puts of one key in a batch wins
    store.batch([PutOp(ns, "twice", {"v": 1}), PutOp(ns, "twice", {"v": 2})])
    assert store.get(ns, "twice").value == {"v": 2}


def test_bad_namespaces_are_refused(store):
    with pytest.raises(InvalidNamespaceError):
        store.put((), "k", {"a": 1})
    with pytest.raises(cogdb.InvalidInput) as info:  # the database refuses it too
        store.batch([PutOp((), "k", {"a": 1})])
    assert info.value.field == "namespace"
    for bad in (("a.b",), ("a", ""), ("ok", "x.y")):
        with pytest.raises(cogdb.InvalidInput):
            store.batch([PutOp(bad, "k", {"a": 1})])
    with pytest.raises(cogdb.InvalidInput):
        store.batch([GetOp(("a.b",), "k")])
    with pytest.raises(cogdb.InvalidInput):  # a value must be an object
        store.batch([PutOp(("a",), "k", ["not", "an", "object"])])  # type: ignore[arg-type]


# ------------------------------------------------------------------ namespaces


def test_list_namespaces_prefix_suffix_wildcards_depth_pages(store):
    for ns in [("test", "documents", "public"), ("test", "documents", "private"),
               ("test", "images", "public"), ("test", "images", "private"),
               ("prod", "documents", "public"), ("prod", "documents", "private")]:
        store.put(ns, "k", {"v": 1})
    assert len(store.list_namespaces()) == 6
    assert store.list_namespaces() == sorted(store.list_namespaces())
    assert len(store.list_namespaces(prefix=("test",))) == 4
    assert len(store.list_namespaces(suffix=("public",))) == 3
    assert store.list_namespaces(prefix=("test",), suffix=("public",)) == [
        ("test", "documents", "public"), ("test", "images", "public")]
    assert store.list_namespaces(max_depth=2) == [
        ("prod", "documents"), ("test", "documents"), ("test", "images")]
    assert store.list_namespaces(prefix=("*", "documents")) == [
        ("prod", "documents", "private"), ("prod", "documents", "public"),
        ("test", "documents", "private"), ("test", "documents", "public")]
    assert store.list_namespaces(suffix=("*", "public")) == store.list_namespaces(
        suffix=("public",))
    assert store.list_namespaces(limit=2) == [("prod", "documents", "private"),
                                              ("prod", "documents", "public")]
    assert store.list_namespaces(limit=2, offset=5) == [("test", "images", "public")]
    assert store.list_namespaces(prefix=("nope",)) == []


def test_list_namespaces_respects_label_boundaries(store):
    for ns in [("foo",), ("foobar",), ("foo", "x"), ("uid", "a", "alice"),
               ("uid", "b", "malice"), ("uid", "c", "d", "alice"), ("users", "alice\n"),
               ("users", "alice")]:
        store.put(ns, "k", {"v": 1})
    assert store.list_namespaces(prefix=("foo",)) == [("foo",), ("foo", "x")]
    assert store.list_namespaces(suffix=("alice",)) == [
        ("uid", "a", "alice"), ("uid", "c", "d", "alice"), ("users", "alice")]
    # '*' is exactly one label; a prefix is open-ended in depth
    assert store.list_namespaces(prefix=("uid", "*", "alice")) == [("uid", "a", "alice")]
    assert store.list_namespaces(suffix=("alice\n",)) == [("users", "alice\n")]


def test_search_matches_whole_labels_and_the_empty_prefix_matches_all(store):
    for ns in [("foo",), ("foo", "child"), ("foo", "child", "deep"), ("foobar",), ("foo2",),
               ("user_1",), ("userX1",), ("a%b",), ("axxb",)]:
        store.put(ns, "k", {"ns": ".".join(ns)})
    assert sorted(i.value["ns"] for i in store.search(("foo",))) == [
        "foo", "foo.child", "foo.child.deep"]
    assert store.search(("fo",)) == []
    assert [i.namespace for i in store.search(("user_1",))] == [("user_1",)]
    assert [i.namespace for i in store.search(("a%b",))] == [("a%b",)]
    assert len(store.search((), limit=100)) == 9


def test_non_ascii_namespaces_keys_and_values(store):
    ns = ("用户", "Юля", "नमस्ते")
    store.put(ns, "ключ", {"text": "你好, мир", "emoji": "🦜"})
    assert store.get(ns, "ключ").value == {"text": "你好, мир", "emoji": "🦜"}
    assert store.list_namespaces(prefix=("用户",)) == [ns]


# ------------------------------------------------------------------ filters, pages


def test_filters_on_top_level_value_keys(store):
    for i, (color, score) in enumerate([("red", 4.5), ("red", 3.0), ("blue", 10),
                                        ("green", 9)]):
        store.put(("docs",), f"d{i}", {"color": color, "score": score, "tag": "a"})
    def keys(**f):
        return sorted(i.key for i in store.search(("docs",), filter=f))
    assert keys(color="red") == ["d0", "d1"]
    assert keys(color={"$ne": "red"}) == ["d2", "d3"]
    assert keys(score={"$gt": 3.2}) == ["d0", "d2", "d3"]
    assert keys(score={"$gt": 9}) == ["d2"]            # numbers compare as numbers: 10 > 9
    assert keys(score={"$gte": 4.5, "$lt": 10}) == ["d0", "d3"]
    assert keys(score={"$lte": 3}) == ["d1"]
    assert keys(color={"$eq": "blue"}, tag="a") == ["d2"]
    assert keys(missing="x") == []
    with pytest.raises(cogdb.InvalidInput):
        store.search(("docs",), filter={"score": {"$like": 1}})


def test_search_pages_newest_first(store):
    for i in range(5):
        store.put(("p",), f"k{i}", {"i": i})
        time.sleep(0.002)
    newest = [i.key for i in store.search(("p",), limit=10)]
    assert newest == ["k4", "k3", "k2", "k1", "k0"]
    assert [i.key for i in store.search(("p",), limit=2, offset=2)] == ["k2", "k1"]
    assert all(i.score is None for i in store.search(("p",)))


# ------------------------------------------------------------------ vectors


def test_vector_search_ranks_by_cosine_similarity(make_store):
    store = vector_store(make_store)
    texts = {"doc1": "short text", "doc2": "longer text document with more words",
             "doc3": "completely different content about zebras", "doc4": "short"}
    for k, t in texts.items():
        store.put(("docs",), k, {"text": t})
    hits = store.search(("docs",), query="short text", limit=4)
    assert hits[0].key == "doc1"
    q = np.array(EMB.embed_query("short text"))
    for h in hits:  # fields default to "$": the whole value as JSON is embedded
        v = np.array(EMB.embed_documents(get_text_at_path({"text": texts[h.key]}, "$"))[0])
        assert h.score == pytest.approx(float(q @ v / np.linalg.norm(q) / np.linalg.norm(v)),
                                        abs=1e-5)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    # pages of a query search are disjoint and in order
    first, second = (store.search(("docs",), query="text", limit=2, offset=o) for o in (0, 2))
    assert not {h.key for h in first} & {h.key for h in second}
    assert len(first) + len(second) == 4


def test_fields_index_override_and_unindexed_items(make_store):
    store = vector_store(make_store, fields=["title", "body"])
    store.put(("d",), "a", {"title": "apples and pears", "body": "zzz"})
    store.put(("d",), "b", {"title": "qqq", "body": "apples and pears"})
    store.put(("d",), "c", {"title": "apples and pears"}, index=False)
    store.put(("d",), "e", {"other": "apples and pears", "title": "xyz"}, index=["other"])
    hits = {h.key: h.score for h in store.search(("d",), query="apples and pears")}
    assert set(hits) == {"a", "b", "e"}   # "c" has no vector
    assert hits["a"] == pytest.approx(1.0, abs=1e-5)   # the best of its vectors counts
    assert hits["b"] == pytest.approx(1.0, abs=1e-5)
    assert hits["e"] == pytest.approx(1.0, abs=1e-5)
    plain = {h.key: h.score for h in store.search(("d",))}
    assert set(plain) == {"a", "b", "c", "e"} and plain["c"] is None
    # an update replaces the vectors: the old text no longer matches
    store.put(("d",), "a", {"title": "kiwi", "body": "kiwi"})
    hits = {h.key: h.score for h in store.search(("d",), query="apples and pears")}
    assert hits["a"] < 0.99
    # filters and query together
    assert [h.key for h in store.search(("d",), query="apples",
                                        filter={"title": "qqq"})] == ["b"]


def test_vector_search_edge_queries_and_non_ascii(make_store):
    store = vector_store(make_store, fields=["text"])
    texts = ["这是中文", "Это русский текст", "यह हिंदी है", "plain english text"]
    for i, t in enumerate(texts):
        store.put(("intl",), str(i), {"text": t})
    for i, t in enumerate(texts):
        assert store.search(("intl",), query=t, limit=1)[0].key == str(i)
    for q in ("", "x" * 500, "!@#$%^&*()"):
        assert len(store.search(("intl",), query=q, limit=10)) == 4


# ------------------------------------------------------------------ TTL


def _expire(db, key: str) -> None:
    """Move an item's expiry into the past (the superuser, as the clock would)."""
    db.super.execute("UPDATE cogdb.store_items SET expires_at = now() - interval '1 second'"
                     " WHERE key = %s", (key,))


def _expires_at(db, key: str):
    return db.super.execute("SELECT expires_at FROM cogdb.store_items WHERE key = %s",
                            (key,)).fetchone()[0]


def test_ttl_is_refreshed_on_read_and_expired_items_are_swept(make_store, db):
    store = make_store(ttl={"default_ttl": 10, "refresh_on_read": True})
    store.put(("t",), "k", {"v": 1})
    store.put(("t",), "forever", {"v": 2}, ttl=None)
    assert _expires_at(db, "forever") is None
    first = _expires_at(db, "k")
    time.sleep(0.01)
    store.get(("t",), "k")
    assert _expires_at(db, "k") > first
    before = _expires_at(db, "k")
    store.get(("t",), "k", refresh_ttl=False)
    assert _expires_at(db, "k") == before
    time.sleep(0.01)
    store.search(("t",))
    assert _expires_at(db, "k") > before
    # expired but not yet swept: still there by default (LangGraph's default), and a read
    # does not revive it
    _expire(db, "k")
    assert store.get(("t",), "k") is not None
    assert _expires_at(db, "k") < datetime.now(tz=before.tzinfo)
    swept = store.sweep_ttl()
    if inspect.iscoroutine(swept):  # the async store's sweep is a coroutine function
        swept = asyncio.run_coroutine_threadsafe(swept, store.loop).result()
    assert swept == 1
    assert store.get(("t",), "k") is None and store.get(("t",), "forever") is not None


def test_omit_expired_hides_expired_items_before_paging(make_store, db):
    store = make_store(ttl={"default_ttl": 10, "omit_expired": True})
    for i in range(4):
        store.put(("o", str(i % 2)), f"k{i}", {"i": i})
        time.sleep(0.002)
    _expire(db, "k3")
    _expire(db, "k1")   # every item of ("o", "1") has expired
    assert store.get(("o", "1"), "k3") is None
    assert [i.key for i in store.search(("o",), limit=1)] == ["k2"]
    assert [i.key for i in store.search(("o",), limit=1, offset=1)] == ["k0"]
    assert store.list_namespaces() == [("o", "0")]
    store.get(("o", "1"), "k3", refresh_ttl=True)
    assert _expires_at(db, "k3") < _expires_at(db, "k2")  # not revived


def test_cogdb_maintain_sweeps_every_tenant(make_store, admin, db):
    from helpers import cli

    other = admin.create_tenant("Other store tenant", external_id="lg-other")
    mine, theirs = make_store(ttl={"default_ttl": 10}), make_store(
        tenant=other.id, ttl={"default_ttl": 10})
    mine.put(("a",), "mine", {"v": 1})
    theirs.put(("a",), "theirs", {"v": 1})
    mine.put(("a",), "kept", {"v": 1}, ttl=None)
    _expire(db, "mine")
    _expire(db, "theirs")
    result = cli(db, "maintain", admin_url=db.url())
    assert result.exit_code == 0, result.output
    assert "swept 2 expired store items" in result.output
    assert mine.get(("a",), "mine") is None and theirs.get(("a",), "theirs") is None
    assert mine.get(("a",), "kept") is not None


# ------------------------------------------------------------------ tenants


def test_a_namespace_is_a_path_inside_the_store_tenant(make_store, admin):
    other = admin.create_tenant("Second tenant", external_id="lg-second")
    a, b = make_store(), make_store(tenant=other.id)
    a.put(("shared", "path"), "k", {"owner": "a"})
    b.put(("shared", "path"), "k", {"owner": "b"})
    a.put((str(other.id), "x"), "k", {"owner": "a, in a namespace named like b"})
    assert a.get(("shared", "path"), "k").value == {"owner": "a"}
    assert b.get(("shared", "path"), "k").value == {"owner": "b"}
    assert b.list_namespaces() == [("shared", "path")]
    assert b.get((str(other.id), "x"), "k") is None
    assert [i.value["owner"] for i in b.search(())] == ["b"]
    b.delete(("shared", "path"), "k")
    assert a.get(("shared", "path"), "k") is not None


# ------------------------------------------------------------------ async specifics


async def test_the_async_store_batches_natively_and_refuses_sync_calls_in_its_loop(
        db, store_tenant):
    async with await cogdb.connect_async(db.app_url, pool_size=2) as client:
        store = AsyncCogdbStore(client, tenant=store_tenant.id,
                                index={"dims": DIMS, "embed": EMB, "fields": ["t"]})
        await asyncio.gather(*(store.aput(("c", str(i % 3)), f"k{i}", {"t": f"text {i}"})
                               for i in range(30)))
        assert len(await store.asearch(("c",), limit=100)) == 30
        hits = await store.asearch(("c",), query="text 7", limit=1)
        assert hits[0].key == "k7"
        assert await store.alist_namespaces() == [("c", "0"), ("c", "1"), ("c", "2")]
        with pytest.raises(asyncio.InvalidStateError):
            store.get(("c", "0"), "k0")
        # from another thread, the sync API runs on the store's loop
        item = await asyncio.to_thread(store.get, ("c", "1"), "k1")
        assert item.value == {"t": "text 1"}


async def test_the_sync_store_runs_abatch_in_a_thread(db, store_tenant):
    with cogdb.connect(db.app_url, pool_size=2) as client:
        store = CogdbStore(client, tenant=store_tenant.id)
        await store.aput(("s",), "k", {"v": 1})
        assert (await store.aget(("s",), "k")).value == {"v": 1}


# ------------------------------------------------------------------ large tenants


def _thresholds(db, ann_min: int, exact_max: int) -> None:
    for key, value in (("search.ann_min_rows", ann_min), ("search.exact_max_rows", exact_max)):
        db.super.execute("UPDATE cogdb.settings SET value = to_jsonb(%s::integer)"
                         " WHERE key = %s", (value, key))


def _plans(db, tenant, prefix, text, **kw) -> list[str]:
    """The plan column of cogdb.store_search as the app login in the tenant's context."""
    import psycopg
    from helpers import in_context
    from pgvector.psycopg import register_vector

    with psycopg.connect(db.app_url) as conn:
        register_vector(conn)
        with in_context(conn, tenant) as c:
            rows = c.execute("SELECT plan FROM cogdb.store_search(%s::text[], %s::vector,"
                             " %s::jsonb, 10)",
                             (list(prefix), np.array(EMB.embed_query(text), dtype=np.float32),
                              kw.get("filter"))).fetchall()
    return sorted({r[0] for r in rows})


def test_a_large_tenant_gets_its_own_ann_index_and_keeps_its_answers(make_store, db,
                                                                     store_tenant):
    from helpers import cli

    _thresholds(db, ann_min=60, exact_max=20)
    store = vector_store(make_store, fields=["text"])
    words = ["apple", "banana", "cherry", "damson", "elder", "fig", "grape", "honeydew"]
    store.batch([PutOp(("big", w), f"{w}-{i}", {"text": f"{w} number {i}", "n": i})
                 for w in words for i in range(10)])
    before = [(h.key, round(h.score, 5)) for h in store.search(("big",), query="cherry number 3",
                                                                limit=5)]
    assert _plans(db, store_tenant.id, ("big",), "cherry number 3") == ["exact"]
    result = cli(db, "maintain", admin_url=db.url())
    assert result.exit_code == 0 and "store:64 (80 vectors)" in result.output, result.output
    assert _plans(db, store_tenant.id, ("big",), "cherry") [0].startswith("ann:store_vectors_ann_")
    after = [(h.key, round(h.score, 5)) for h in store.search(("big",), query="cherry number 3",
                                                               limit=5)]
    assert after == before and after[0][0] == "cherry-3"
    # a narrow prefix or filter leaves few candidates: exact again
    assert _plans(db, store_tenant.id, ("big", "fig"), "fig") == ["exact"]
    assert _plans(db, store_tenant.id, ("big",), "fig", filter='{"n": 1}') == ["exact"]
    filtered = store.search(("big",), query="fig number 1", filter={"n": {"$lte": 4}}, limit=3)
    assert filtered[0].key == "fig-1" and all(h.value["n"] <= 4 for h in filtered)
    # when the tenant shrinks below half the threshold, the index goes
    store.batch([PutOp(("big", w), f"{w}-{i}", None) for w in words[:6] for i in range(10)])
    result = cli(db, "maintain", admin_url=db.url())
    assert "drop_unneeded" in result.output, result.output
    assert _plans(db, store_tenant.id, ("big",), "grape") == ["exact"]
