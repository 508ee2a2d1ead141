"""Isolation of cogdb.entity_embeddings (revision 0024: an entity's second vector during a
model migration; fenced by tenant, visible when its entity is) and of the app's way to write
it, remember_entity_embeddings, as the non-superuser app login. Each negative sits beside its
positive control.

An entity's id is derived from its key, so both tenants' "Shared Co" have the same id on
purpose: the visibility policy looks the entity up in the context's tenant, so without the
table's own fence B's vector would show in A; the mutation run
(tests/schema/test_policy_mutation.py) loosens each policy and expects a test here to fail.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from helpers import refused
from helpers import rows_in_context as _rows

from cogdb import HashEmbedder

NEW = "iso-ent-16"
SIDE = "SELECT n.name, e.tenant_id::text FROM cogdb.entity_embeddings e" \
       " JOIN cogdb.entities n ON n.tenant_id = e.tenant_id AND n.id = e.entity_id ORDER BY 1"
IDS = "SELECT entity_id FROM cogdb.entity_embeddings ORDER BY 1"
CALL = "SELECT cogdb.remember_entity_embeddings(ARRAY[%s], %s, ARRAY[%s::vector])"




@pytest.fixture
def migrating(client, admin, tenants) -> SimpleNamespace:
    """A: "Shared Co" (tenant-visible, a1's) and "Secret Co" (private to a1); B: "Shared Co".
    Both tenants migrating to NEW, embedded, not cut over."""
    admin.register_model(NEW, 16, embedder="hash")
    with client.scope(tenants.a, tenants.a1) as s:
        shared = s.upsert_entity("Shared Co", embed=True).id
        secret = s.upsert_entity("Secret Co", embed=True, visibility="private").id
    with client.scope(tenants.b, tenants.b1) as s:
        assert s.upsert_entity("Shared Co", embed=True).id == shared
    for t in (tenants.a, tenants.b):
        admin.migrate_model(t, NEW, cut_over=False)
    return SimpleNamespace(shared=shared, secret=secret,
                           vector=str(HashEmbedder(NEW, 16).embed(["planted"])[0].tolist()))


def test_each_tenant_and_user_reads_only_its_visible_entity_vectors(app_conn, tenants,
                                                                    migrating):
    a, b = str(tenants.a), str(tenants.b)
    # a1 sees its private entity's vector (positive control), a2 does not
    assert _rows(app_conn, IDS, tenant=tenants.a, user=tenants.a1) == sorted(
        [(migrating.secret,), (migrating.shared,)])
    assert _rows(app_conn, IDS, tenant=tenants.a, user=tenants.a2) == [(migrating.shared,)]
    # B's vector of its own "Shared Co" (same id) stays in B
    assert _rows(app_conn, SIDE, tenant=tenants.b, user=tenants.b1) == [("Shared Co", b)]
    assert _rows(app_conn, "SELECT tenant_id::text FROM cogdb.entity_embeddings",
                 tenant=tenants.a, user=tenants.a2) == [(a,)]
    # naming the other tenant finds nothing; no context, nothing at all
    assert _rows(app_conn, "SELECT 1 FROM cogdb.entity_embeddings WHERE tenant_id = %s",
                 (tenants.b,), tenant=tenants.a, user=tenants.a1) == []
    assert _rows(app_conn, IDS) == []


def test_the_app_writes_no_entity_vector_directly(app_conn, tenants, migrating):
    insert = ("INSERT INTO cogdb.entity_embeddings (tenant_id, entity_id, model, embedding,"
              " source_digest) VALUES (%s, %s, %s, %s::vector, gen_random_uuid()) RETURNING 1")
    assert refused(app_conn, insert, (tenants.a, migrating.shared, NEW, migrating.vector),
                   tenant=tenants.a, user=tenants.a1) == "42501"
    assert refused(app_conn, "DELETE FROM cogdb.entity_embeddings RETURNING 1",
                   tenant=tenants.a, user=tenants.a1) == "42501"
    assert _rows(app_conn, IDS, tenant=tenants.a, user=tenants.a2) == [(migrating.shared,)]


def test_remember_entity_embeddings_writes_only_what_the_user_may_change(db, app_conn, client,
                                                                         tenants, migrating):
    db.super.execute("DELETE FROM cogdb.entity_embeddings WHERE tenant_id = ANY (%s)",
                     ([tenants.a, tenants.b],))
    # without a context: refused; a2 may not give a1's private entity a vector
    assert refused(app_conn, CALL, (migrating.shared, NEW, migrating.vector)) == "CGA01"
    assert refused(app_conn, CALL, (migrating.secret, NEW, migrating.vector), tenant=tenants.a,
                   user=tenants.a2) == "42501"
    # a2 may change the tenant-visible one (entities__visible_to_user): A's row is written,
    # B's entity of the same id gets nothing
    with client.scope(tenants.a, tenants.a2) as s:
        assert s.connection.execute(CALL, (migrating.shared, NEW, migrating.vector)
                                    ).fetchall() == [(1,)]
    assert db.super.execute("SELECT tenant_id FROM cogdb.entity_embeddings").fetchall() == [
        (tenants.a,)]
    # control: a1, its owner, gives its private entity one
    assert _rows(app_conn, CALL, (migrating.secret, NEW, migrating.vector), tenant=tenants.a,
                 user=tenants.a1) == [(1,)]
    # the admin functions are not the app's
    for call in ("SELECT * FROM cogdb.entity_migration_batch(%s, %s)",
                 "SELECT cogdb.store_entity_vectors(%s, %s, '{}', '{}', '{}')"):
        assert refused(app_conn, call, (str(tenants.a), NEW), tenant=tenants.a) == "42501"


def test_a_settling_tenants_entity_half_reads_its_own_vectors(db, client, admin, tenants):
    """Revision 0033: while a promoted tenant settles, hybrid search reads its entities not
    moved yet through their side vectors of the new model. Both tenants settle, each with a
    "Shared Co" of the same id but made of different text, and a "Secret Co" private to
    their first user: each tenant's hit is its own vector (A's query is A's text: similarity
    1; B's is not), labelled with its own tenant; a1 finds its private entity (positive
    control), a2 does not."""
    import cogdb
    import cogdb.ops.maintain
    from cogdb.db.errors import translated

    admin.register_model(NEW, 16, embedder="hash")
    db.super.execute("UPDATE cogdb.settings SET value = '20' WHERE key = 'search.ann_min_rows'")
    texts = {tenants.a: "alpha", tenants.b: "bravo zulu"}
    users = {tenants.a: tenants.a1, tenants.b: tenants.b1}
    for t, obs in texts.items():
        with client.scope(t, users[t]) as s:
            s.remember_many([{"human_content": f"memory {i} {obs}"} for i in range(24)])
            s.upsert_entity("Shared Co", embed=True, observations=[obs])
            s.upsert_entity("Secret Co", embed=True, visibility="private")
    cogdb.ops.maintain.run(db.url(), echo=lambda *_: None)
    with cogdb.connect_admin(db.url()) as owner, translated():
        for t in texts:
            assert owner.migrate_model(t, NEW, cut_over=False).phase == "indexed"
            assert owner.connection.execute(
                "SELECT phase FROM cogdb.cut_over_model_migration(%s::text, %s)",
                (str(t), NEW)).fetchone()[0] == "settling"
    assert NEW not in {m for (m,) in db.super.execute(
        "SELECT model FROM cogdb.entities WHERE tenant_id = ANY (%s)",
        ([tenants.a, tenants.b],)).fetchall()}   # all still of the old model
    query = HashEmbedder(NEW, 16).embed(["Shared Co\nalpha"])[0]

    def hits(tenant, user) -> dict[str, tuple[float, str]]:
        with client.scope(tenant, user) as s:
            return {h.name: (round(h.similarity, 5), str(h.tenant_id))
                    for h in s.hybrid_search(None, k=50, vector=query) if h.kind == "entity"}

    a1, a2, b1 = hits(tenants.a, tenants.a1), hits(tenants.a, tenants.a2), \
        hits(tenants.b, tenants.b1)
    assert a1["Shared Co"] == (1.0, str(tenants.a)) and "Secret Co" in a1
    assert a2 == {"Shared Co": (1.0, str(tenants.a))}
    assert b1["Shared Co"][0] < 0.99 and b1["Shared Co"][1] == str(tenants.b)
    assert set(b1) == {"Shared Co", "Secret Co"}
