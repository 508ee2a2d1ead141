"""Entities in a model migration (revision 0024, docs/scale-out.md "Re-embedding without
downtime"): an entity's own embedding moves with the tenant's memories. Hybrid search's
entity half returns one model in every phase with full recall for it (exact cosine as the
oracle); an entity upserted with an embedding during the migration gets both vectors; a
vector made before the entity's embedding changed does not count, so the cutover refuses
(CGM01) and changes nothing until the final pass embeds it again; a stopped run resumes;
forgetting an entity and cleanup remove its other vectors."""
from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import cli

import cogdb
from cogdb import HashEmbedder, MigrationIncomplete
from cogdb.db.errors import translated

OLD = "cogdb-hash-384"
NEW = "mig-hash-64"
NAMES = ("Acme Corp", "Bravo Labs", "Charlie Co", "Delta Works", "Echo Systems",
         "Foxtrot Ltd", "Golf Group", "Hotel Holdings")


@pytest.fixture
def new_model(admin):
    admin.register_model(NEW, 64, embedder="hash")
    return HashEmbedder(NEW, 64)


def _entities(client, tenant, user) -> dict[str, str]:
    """Entities embedded by the client (every third private to ``user``): id -> the text
    their embedding is made of (name, then observations, one per line)."""
    texts = {}
    with client.scope(tenant, user) as s:
        for i, name in enumerate(NAMES):
            obs = [f"{name.split()[0].lower()} fact {j}" for j in range(i % 3)]
            r = s.upsert_entity(name, observations=obs, embed=True,
                                visibility="private" if i % 3 == 0 else None)
            texts[r.id] = "\n".join([name, *obs])
    return texts


def _entity_hits(client, tenant, user, embedder, query) -> list[str]:
    """The entity ids of a vector-only hybrid search with ``embedder``'s query vector."""
    with client.scope(tenant, user) as s:
        hits = s.hybrid_search(None, k=50, vector=embedder.embed([query])[0])
    return [h.id for h in hits if h.kind == "entity"]


def _oracle(embedder, texts: dict[str, str], query: str) -> list[str]:
    ids = sorted(texts)
    m = embedder.embed([texts[i] for i in ids])
    q = embedder.embed([query])[0]
    sims = m @ q / (np.linalg.norm(m, axis=1) * np.linalg.norm(q))
    return [ids[i] for i in sorted(range(len(ids)), key=lambda i: (-round(float(sims[i]), 5),
                                                                    ids[i]))]


def _models(db, tenant) -> dict[str, str]:
    return dict(db.super.execute("SELECT id, model FROM cogdb.entities WHERE tenant_id = %s",
                                 (tenant,)).fetchall())


def _state(db, tenant) -> dict:
    ents = db.super.execute("SELECT id, model, embedding::text FROM cogdb.entities"
                            " WHERE tenant_id = %s ORDER BY id", (tenant,)).fetchall()
    side = db.super.execute("SELECT entity_id, model, embedding::text, source_digest"
                            " FROM cogdb.entity_embeddings WHERE tenant_id = %s ORDER BY 1, 2",
                            (tenant,)).fetchall()
    default = db.super.execute("SELECT default_model FROM cogdb.tenants WHERE id = %s",
                               (tenant,)).fetchone()[0]
    mems = db.super.execute("SELECT id, model FROM cogdb.memories WHERE tenant_id = %s"
                            " ORDER BY id", (tenant,)).fetchall()
    return {"entities": ents, "side": side, "default": default, "memories": mems}


def test_entity_search_returns_one_model_in_every_phase(db, client, admin, tenants,
                                                        new_model):
    texts = _entities(client, tenants.a, tenants.a1)
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember("a memory too", "")
    old = HashEmbedder(OLD, 384)
    a2_texts = {i: t for i, t in texts.items() if NAMES.index(t.split("\n")[0]) % 3 != 0}

    def check(embedder, model):
        for query in ("acme fact", "delta works", "hotel"):
            assert _entity_hits(client, tenants.a, tenants.a1, embedder, query) == _oracle(
                embedder, texts, query)
            # a2 does not see a1's private entities, in any phase
            assert _entity_hits(client, tenants.a, tenants.a2, embedder, query) == _oracle(
                embedder, a2_texts, query)
        assert set(_models(db, tenants.a).values()) == {model}

    check(old, OLD)
    done = admin.migrate_model(tenants.a, NEW, batch=3, cut_over=False)
    assert (done.phase, done.embedded, done.entities_embedded) == ("indexed", 1, len(NAMES))
    check(old, OLD)

    # An upsert with an embedding during the migration stores both models' vectors.
    with client.scope(tenants.a, tenants.a2) as s:
        late = s.upsert_entity("India Inc", observations=["india fact"], embed=True)
    texts[late.id] = a2_texts[late.id] = "India Inc\nindia fact"
    side = db.super.execute("SELECT embedding::text FROM cogdb.entity_embeddings WHERE"
                            " tenant_id = %s AND entity_id = %s AND model = %s",
                            (tenants.a, late.id, NEW)).fetchone()
    assert np.allclose(json.loads(side[0]), new_model.embed([texts[late.id]])[0], atol=1e-6)
    check(old, OLD)

    before = _state(db, tenants.a)
    done = admin.migrate_model(tenants.a, NEW)
    assert done.phase == "cut_over" and done.entities_embedded == 0   # nothing left to embed
    check(new_model, NEW)
    after = _state(db, tenants.a)
    # the old vectors are kept, exactly as they were
    assert [(i, m, v) for i, m, v, _ in after["side"]] == [
        (i, OLD, v) for i, _, v in before["entities"]]
    cleaned = admin.cleanup_model(tenants.a, OLD, batch=4)
    assert cleaned.deleted == 1 + len(NAMES) + 1     # the memory's and the entities'
    assert _state(db, tenants.a)["side"] == []


def test_a_stale_or_missing_entity_vector_refuses_the_cutover(db, client, admin, tenants,
                                                              new_model):
    texts = _entities(client, tenants.a, tenants.a1)
    admin.migrate_model(tenants.a, NEW, cut_over=False)
    # The entity's embedding changes after its new vector was made (an explicit embedding:
    # the client cannot make the new model's vector for it).
    acme = next(i for i, t in texts.items() if t.startswith("Acme"))
    with client.scope(tenants.a, tenants.a1) as s:
        s.upsert_entity("Acme Corp", embedding=HashEmbedder(OLD, 384).embed(["Acme, new"])[0])
    before = _state(db, tenants.a)
    with pytest.raises(MigrationIncomplete) as info, translated():
        admin.connection.execute("SELECT * FROM cogdb.cut_over_model_migration(%s::text,"
                                 " %s::text)", (str(tenants.a), NEW))
    assert info.value.sqlstate == "CGM01" and "1 entities" in info.value.message
    assert _state(db, tenants.a) == before
    # The final pass embeds it again (from its name and observations), then cuts over.
    done = admin.migrate_model(tenants.a, NEW)
    assert done.phase == "cut_over" and done.entities_embedded == 1
    vector = db.super.execute("SELECT embedding::text FROM cogdb.entities WHERE tenant_id = %s"
                              " AND id = %s", (tenants.a, acme)).fetchone()[0]
    assert np.allclose(json.loads(vector), new_model.embed([texts[acme]])[0], atol=1e-6)
    assert set(_models(db, tenants.a).values()) == {NEW}


def test_a_stopped_entity_pass_resumes_and_ends_identical(db, client, admin, tenants,
                                                          new_model):
    _entities(client, tenants.a, tenants.a1)
    _entities(client, tenants.b, tenants.b1)
    admin.migrate_model(tenants.b, NEW, batch=100)        # uninterrupted
    # A: one batch of three stored, then the run "dies".
    admin.connection.execute("SELECT * FROM cogdb.start_model_migration(%s::text, %s::text)",
                             (str(tenants.a), NEW))
    rows = admin.connection.execute(
        "SELECT id, content, source_digest FROM cogdb.entity_migration_batch(%s::text,"
        " %s::text, 3)", (str(tenants.a), NEW)).fetchall()
    args = (str(tenants.a), NEW, [r[0] for r in rows],
            list(new_model.embed([r[1] for r in rows])), [r[2] for r in rows])
    stored = ("SELECT cogdb.store_entity_vectors(%s::text, %s::text, %s::text[], %b::vector[],"
              " %s::uuid[])")
    assert admin.connection.execute(stored, args).fetchone() == (3,)
    assert admin.connection.execute(stored, args).fetchone() == (0,)   # a repeat: nothing
    resumed = admin.migrate_model(tenants.a, NEW, batch=2)
    assert resumed.entities_embedded == len(NAMES) - 3
    a, b = _state(db, tenants.a), _state(db, tenants.b)
    assert [e[1:] for e in a["entities"]] == [e[1:] for e in b["entities"]]
    assert a["default"] == b["default"] == NEW


def test_forget_entity_removes_its_vectors_and_the_cli_reports_entities(db, client, admin,
                                                                        tenants, new_model):
    _entities(client, tenants.a, tenants.a1)
    r = cli(db, "model", "migrate", "--tenant", str(tenants.a), "--to", NEW, "--no-cut-over",
            "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["entities_embedded"] == len(NAMES)
    count = "SELECT count(*) FROM cogdb.entity_embeddings WHERE tenant_id = %s"
    assert db.super.execute(count, (tenants.a,)).fetchone() == (len(NAMES),)
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.forget_entity("Acme Corp")                  # private to a1
    assert db.super.execute(count, (tenants.a,)).fetchone() == (len(NAMES) - 1,)
    r = cli(db, "model", "migrate", "--tenant", str(tenants.a), "--to", NEW)
    assert r.exit_code == 0 and f"{0} entities" in r.stdout, r.output


async def test_the_async_client_stores_both_vectors_too(db, admin, tenants, new_model):
    admin.migrate_model(tenants.a, NEW, cut_over=False)
    client = await cogdb.connect_async(db.app_url, pool_size=1)
    try:
        async with client.scope(tenants.a, tenants.a1) as s:
            r = await s.upsert_entity("Juliet Co", observations=["juliet fact"], embed=True)
    finally:
        await client.close()
    side = db.super.execute("SELECT model, embedding::text FROM cogdb.entity_embeddings"
                            " WHERE tenant_id = %s AND entity_id = %s", (tenants.a, r.id)
                            ).fetchall()
    assert [m for m, _ in side] == [NEW]
    assert np.allclose(json.loads(side[0][1]), new_model.embed(["Juliet Co\njuliet fact"])[0],
                       atol=1e-6)
