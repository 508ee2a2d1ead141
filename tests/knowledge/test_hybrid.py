"""Hybrid search: reciprocal rank fusion of the full-text half (the owner-only text index,
read through cogdb.text_candidates) and the vector half (cogdb.search itself, plus entities
with an embedding), over memories, entity names and observations. Text-only and
vector-only calls, the fusion constant and the weights, the filters, the tenant's
search.language, and recall on exact tokens that embeddings do not capture."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import psycopg
import pytest
from helpers import vec

import cogdb

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # bench/ lives in the source checkout, not in the package
    sys.path.insert(0, str(_ROOT))
import bench.corpus  # noqa: E402


def _ids(hits) -> list[str]:
    return [h.id for h in hits]


def test_text_only_finds_an_exact_token(client, tenants):
    with client.scope(tenants.a) as s:
        s.remember_many([{"human": f"refund request for order ORD-2024-{i:05d}"}
                         for i in range(40)], [vec(i % 300) for i in range(40)])
        hits = s.hybrid_search("ORD-2024-00017", embed=False)
        assert hits[0].human_content == "refund request for order ORD-2024-00017"
        assert hits[0].text_rank == 1 and hits[0].vector_rank is None
        assert hits[0].score == pytest.approx(1 / 61) and hits[0].plan == "text"


def test_vector_only_is_search_ranked_by_rrf(client, tenants):
    vectors, _ = bench.corpus.vectors(60, seed=3)
    with client.scope(tenants.a) as s:
        s.remember_many([{"human": f"m{i}"} for i in range(60)], vectors)
        query = vectors[5] + 0.01
        plain = s.search(query, k=10)
        hits = s.hybrid_search(None, 10, vector=query)
        assert _ids(hits) == [h.id for h in plain]
        assert [h.vector_rank for h in hits] == list(range(1, 11))
        assert [h.similarity for h in hits] == pytest.approx([h.similarity for h in plain])
        assert hits[0].plan == "vector:exact"


def test_both_halves_fuse_by_reciprocal_rank(client, tenants):
    vectors, _ = bench.corpus.vectors(30, seed=4)
    with client.scope(tenants.a) as s:
        ids = s.remember_many([{"human": f"note {i} about kubernetes" if i < 3 else f"note {i}"}
                               for i in range(30)], vectors)
        hits = s.hybrid_search("kubernetes", 30, vector=vectors[20], rrf_k=10)
        by_id = {h.id: h for h in hits}
        for h in hits:
            expected = (1 / (10 + h.text_rank) if h.text_rank else 0) + (
                1 / (10 + h.vector_rank) if h.vector_rank else 0)
            assert h.score == pytest.approx(expected)
        assert by_id[ids[20]].vector_rank == 1 and by_id[ids[20]].text_rank is None
        assert {i for i in ids[:3]} <= {h.id for h in hits if h.text_rank}
        assert hits[0].plan == "text+vector:exact"
        # the weights: text only counts when the vector weight is 0
        text_first = s.hybrid_search("kubernetes", 5, vector=vectors[20], vector_weight=0)
        assert set(_ids(text_first)[:3]) == set(ids[:3])
        assert all(h.vector_rank is None for h in text_first)


def test_entities_are_found_by_name_observation_and_meaning(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember("the weekly sync covered the roadmap", embedding=vec(9))
        acme = s.upsert_entity("Acme Corp", type="customer",
                               observations=["renewal negotiated by Priya"], embed=True)
        old = s.upsert_entity("Acme Corporation", observations=["legacy contract"])
        s.merge_entities(acme, old)
        by_name = s.hybrid_search("acme", embed=False)
        assert [(h.kind, h.id, h.name) for h in by_name] == [("entity", acme.id, "Acme Corp")]
        by_observation = s.hybrid_search("Priya", embed=False)
        assert _ids(by_observation) == [acme.id] and by_observation[0].entity_type == "customer"
        assert _ids(s.hybrid_search("legacy contract", embed=False)) == [acme.id]
        # the tenant's model is the built-in hash model: its embedder made the entity's vector
        text = "Acme Corp\nrenewal negotiated by Priya"
        by_meaning = s.hybrid_search(None, 3, vector=cogdb.HashEmbedder().embed([text])[0])
        assert by_meaning[0].id == acme.id and by_meaning[0].similarity == pytest.approx(1.0)
        assert s.hybrid_search("acme", embed=False, include_entities=False) == []


def test_filters_narrow_both_halves(client, tenants):
    with client.scope(tenants.a) as s:
        keep = s.remember("quarterly invoice for Globex", embedding=vec(1), source="manual",
                          metadata={"team": "billing"})
        s.remember("quarterly invoice for Initech", embedding=vec(2), source="api")
        s.upsert_entity("Quarterly invoice process")
        hits = s.hybrid_search("quarterly invoice", source="manual")
        assert _ids(hits) == [keep]                           # entities left out by source
        assert _ids(s.hybrid_search("invoice", metadata_filter={"team": "billing"})) == [keep]
        both = s.hybrid_search("quarterly invoice", embed=False)
        assert {h.kind for h in both} == {"memory", "entity"} and len(both) == 3


def test_the_tenants_language_decides_stemming(client, admin, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        mid = s.remember("we are deploying the billing service", embedding=vec(5))
        mine = s.remember("a1 is deploying privately", embedding=vec(6), private=True)
        assert set(_ids(s.hybrid_search("deploy", embed=False))) == {mid, mine}  # english
    effective = admin.set_tenant_setting(tenants.a, "search.language", "simple")
    assert effective["search"]["language"] == "simple"
    with client.scope(tenants.a, tenants.a1) as s:   # re-indexed, private rows included
        assert s.hybrid_search("deploy", embed=False) == []                 # simple: words
        assert set(_ids(s.hybrid_search("deploying", embed=False))) == {mid, mine}
    with client.scope(tenants.a) as s:                # no user: the shared one only
        assert _ids(s.hybrid_search("deploying", embed=False)) == [mid]
    admin.set_tenant_setting(tenants.a, "search.language", None)
    with client.scope(tenants.a) as s:
        assert _ids(s.hybrid_search("deploy", embed=False)) == [mid]
    with pytest.raises(cogdb.InvalidInput) as info:
        admin.set_tenant_setting(tenants.a, "search.language", "klingon")
    assert info.value.field == "value"


@pytest.mark.parametrize(("kwargs", "field"), [
    (dict(query="x", k=0), "k"), (dict(query="x", rrf_k=0), "rrf_k"),
    (dict(query="x", text_weight=-1), "text_weight"),
    (dict(query="x", candidates=0), "candidates"),
    (dict(query=None), "query_text"),
    (dict(query="x", text_weight=0, vector_weight=0), "text_weight"),
])
def test_bad_arguments_are_refused(client, tenants, kwargs, field):
    with client.scope(tenants.a) as s, pytest.raises(cogdb.InvalidInput) as info:
        s.hybrid_search(embed=False, **kwargs)
    assert info.value.field == field


def test_hybrid_recalls_exact_tokens_that_vectors_miss(client, tenants):
    """A labelled set whose answers are exact tokens (order numbers, error codes, names):
    with vectors that carry no word information (the synthetic corpus), vector-only search
    cannot find them; hybrid search does."""
    rng = np.random.default_rng(5)
    vectors, _ = bench.corpus.vectors(200, seed=6)
    codes = [f"E{rng.integers(10_000, 99_999)}" for _ in range(20)]
    texts = [f"ticket {i}: the job failed with {codes[i]} on the runner" if i < 20
             else f"ticket {i}: a routine note about the runner" for i in range(200)]
    with client.scope(tenants.a) as s:
        ids = s.remember_many([{"human": t} for t in texts], vectors)
        s.index_pending_text()  # a bulk insert's text is indexed later (test_text_queue.py)
        vector_hits = hybrid_hits = 0
        for i in range(20):
            query = f"job failed {codes[i]}"
            qvec = vectors[(i * 7 + 50) % 200]  # a vector that does not point at the answer
            vector_hits += ids[i] in _ids(s.search(qvec, k=10))
            hybrid_hits += ids[i] in _ids(s.hybrid_search(query, 10, vector=qvec))
    assert hybrid_hits == 20 and vector_hits <= 3


def test_a_direct_sql_call_needs_no_python(app_conn, client, tenants):
    with client.scope(tenants.a) as s:
        s.remember("the ERR_TIMEOUT_42 alert fired", embedding=vec(7))
    app_conn.autocommit = True
    with app_conn.transaction():
        app_conn.execute("SELECT cogdb.set_context(%s::text)", (str(tenants.a),))
        rows = app_conn.execute("SELECT kind, human_content FROM cogdb.hybrid_search("
                                "'ERR_TIMEOUT_42')").fetchall()
    assert rows == [("memory", "the ERR_TIMEOUT_42 alert fired")]
    with pytest.raises(psycopg.Error) as info, app_conn.transaction():
        app_conn.execute("SELECT * FROM cogdb.text_index")
    assert info.value.sqlstate == "42501"                      # owner-only: no privilege
