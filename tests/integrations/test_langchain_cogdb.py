"""CogdbVectorStore beyond the standard suite: ids outside cogdb's rule, filters, collections,
scores, and that tenant and user come from the store, never from a document."""
from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding

import cogdb
from cogdb.integrations.langchain import ORIGINAL_ID_KEY, CogdbVectorStore, memory_id

EMB = DeterministicFakeEmbedding(size=6)


@pytest.fixture
def make_store(db, store_tenant):
    client = cogdb.connect(db.app_url, pool_size=2)

    def make(tenant=None, user=None, **kwargs) -> CogdbVectorStore:
        return CogdbVectorStore(EMB, tenant=tenant or store_tenant.id, user=user,
                                client=client, model=store_tenant.model, **kwargs)
    yield make
    client.close()


def test_ids_outside_the_id_rule_round_trip(make_store, db):
    store = make_store()
    odd = ["a b", "ü/ñ", "x" * 200, "-lead", "ok-1"]
    assert store.add_texts([f"text {i}" for i in range(5)], ids=odd) == odd
    assert memory_id("ok-1") == "ok-1" and memory_id("a b").startswith("lc_")
    got = store.get_by_ids(odd)
    assert sorted(d.id for d in got) == sorted(odd)
    assert all(ORIGINAL_ID_KEY not in d.metadata for d in got)
    top = store.similarity_search("text 1", k=1)[0]
    assert (top.id, top.page_content) == ("ü/ñ", "text 1")
    # re-adding an odd id replaces it; deleting by it works
    store.add_texts(["replaced"], ids=["a b"], metadatas=[{"v": 2}])
    assert store.get_by_ids(["a b"]) == [Document(id="a b", page_content="replaced",
                                                  metadata={"v": 2})]
    store.delete(["a b", "ü/ñ"])
    assert sorted(d.id for d in store.get_by_ids(odd)) == sorted(["x" * 200, "-lead", "ok-1"])


def test_filters_are_cogdb_metadata_filters_and_scores_cosine(make_store):
    store = make_store()
    store.add_documents([Document("red apple", metadata={"color": "red", "n": 1}),
                         Document("red car", metadata={"color": "red", "n": 5}),
                         Document("blue sky", metadata={"color": "blue", "n": 3})])
    assert {d.page_content for d in store.similarity_search("x", k=10, filter={"color": "red"})
            } == {"red apple", "red car"}
    assert [d.page_content for d in store.similarity_search(
        "x", k=10, filter={"n": {"$gte": 3}, "color": {"$in": ["red", "blue"]}})
        ] in (["red car", "blue sky"], ["blue sky", "red car"])
    (doc, score), *_ = store.similarity_search_with_score("blue sky", k=3)
    assert doc.page_content == "blue sky" and score == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(cogdb.InvalidInput):
        store.similarity_search("x", filter={"n": {"$regex": "."}})


def test_collections_keep_stores_apart_and_clear(make_store):
    one, two, whole = make_store(collection="one"), make_store(collection="two"), make_store()
    one.add_texts(["in one"], ids=["1"])
    two.add_texts(["in two"], ids=["2"])
    assert [d.page_content for d in one.similarity_search("in", k=10)] == ["in one"]
    assert one.get_by_ids(["1", "2"]) == [Document(id="1", page_content="in one")]
    assert len(whole.similarity_search("in", k=10)) == 2
    with pytest.raises(cogdb.InvalidInput):
        whole.delete()
    one.delete()
    assert one.similarity_search("in", k=10) == []
    assert [d.id for d in two.similarity_search("in", k=10)] == ["2"]


def test_tenant_and_user_come_from_the_store_not_the_document(make_store, admin, store_tenant):
    other = admin.create_tenant("Other tenant", external_id="lc-other")
    mine, theirs = make_store(), make_store(tenant=other.id)
    mine.add_documents([Document("shared id, tenant one", id="same",
                                 metadata={"tenant_id": str(other.id), "owner_user_id": None})])
    theirs.add_texts(["shared id, tenant two"], ids=["same"])
    assert mine.get_by_ids(["same"])[0].page_content == "shared id, tenant one"
    assert theirs.get_by_ids(["same"])[0].page_content == "shared id, tenant two"
    assert [d.page_content for d in theirs.similarity_search("shared", k=10)] == [
        "shared id, tenant two"]
    theirs.delete(["same"])
    assert mine.get_by_ids(["same"]) != []
    # a private store: its documents are its user's alone
    private = make_store(user=store_tenant.user, private=True)
    private.add_texts(["only mine"], ids=["p"])
    assert mine.get_by_ids(["p"]) == []
    assert private.get_by_ids(["p"])[0].page_content == "only mine"


async def test_a_store_with_only_a_sync_client_runs_async_calls_in_a_thread(make_store):
    store = make_store()
    assert await store.aadd_texts(["hello"], ids=["h"]) == ["h"]
    assert [d.id for d in await store.asimilarity_search("hello", k=1)] == ["h"]
    assert (await store.aget_by_ids(["h"]))[0].page_content == "hello"
    await store.adelete(["h"])
    assert store.get_by_ids(["h"]) == []
