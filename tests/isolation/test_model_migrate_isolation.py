"""Isolation of a model migration's tables (revision 0019), as the non-superuser app login:
cogdb.memory_embeddings (a memory's second vector: fenced by tenant, visible when its memory
is) and the owner-only cogdb.model_migrations, with the app's two functions
(migration_target, remember_embeddings). Each negative sits beside its positive control.

Both tenants have a memory "shared-id" on purpose: the visibility policy looks the memory up
in the context's tenant, so without the table's own fence B's vector of "shared-id" would
show in A; the mutation run (tests/schema/test_policy_mutation.py) loosens each policy and
expects a test here to fail.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from helpers import refused
from helpers import rows_in_context as _rows

from cogdb import HashEmbedder

NEW = "iso-hash-16"




@pytest.fixture
def migrating(client, admin, tenants) -> SimpleNamespace:
    """A: "shared-id" (tenant-visible) and "a1-secret" (private to a1); B: "shared-id".
    Both tenants migrating to NEW, embedded, not cut over."""
    admin.register_model(NEW, 16, embedder="hash")
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember("shared in A", "", id="shared-id")
        s.remember("a1 only", "", id="a1-secret", private=True)
    with client.scope(tenants.b, tenants.b1) as s:
        s.remember("shared in B", "", id="shared-id")
    for t in (tenants.a, tenants.b):
        admin.migrate_model(t, NEW, cut_over=False)
    return SimpleNamespace(vector=str(HashEmbedder(NEW, 16).embed(["planted"])[0].tolist()))


SIDE = "SELECT memory_id, tenant_id::text FROM cogdb.memory_embeddings ORDER BY 1"


def test_each_tenant_and_user_reads_only_its_visible_vectors(app_conn, tenants, migrating):
    a, b = str(tenants.a), str(tenants.b)
    # a1 sees its private memory's vector (positive control), a2 does not
    assert _rows(app_conn, SIDE, tenant=tenants.a, user=tenants.a1) == [
        ("a1-secret", a), ("shared-id", a)]
    assert _rows(app_conn, SIDE, tenant=tenants.a, user=tenants.a2) == [("shared-id", a)]
    # B's vector of its own "shared-id" stays in B
    assert _rows(app_conn, SIDE, tenant=tenants.b, user=tenants.b1) == [("shared-id", b)]
    assert _rows(app_conn, SIDE + "", tenant=tenants.a) == [("shared-id", a)]
    # naming the other tenant finds nothing; no context, nothing at all
    assert _rows(app_conn, "SELECT memory_id FROM cogdb.memory_embeddings WHERE tenant_id = %s",
                 (tenants.b,), tenant=tenants.a, user=tenants.a1) == []
    assert _rows(app_conn, SIDE) == []


def test_the_app_writes_no_vector_directly(app_conn, client, tenants, migrating):
    """The cutover makes a second vector the memory's own: the app has no INSERT or DELETE on
    memory_embeddings (42501), even for its own memory; remember_embeddings is its way."""
    insert = ("INSERT INTO cogdb.memory_embeddings (tenant_id, memory_id, model, embedding)"
              " VALUES (%s, %s, %s, %s::vector) RETURNING 1")
    for user in (tenants.a1, tenants.a2):
        assert refused(app_conn, insert, (tenants.a, "shared-id", NEW, migrating.vector),
                       tenant=tenants.a, user=user) == "42501"
        assert refused(app_conn, "DELETE FROM cogdb.memory_embeddings RETURNING 1",
                       tenant=tenants.a, user=user) == "42501"
    # control: the rows are there, and the owner reads them
    assert _rows(app_conn, SIDE, tenant=tenants.a, user=tenants.a1) == [
        ("a1-secret", str(tenants.a)), ("shared-id", str(tenants.a))]


CALL = "SELECT cogdb.remember_embeddings(ARRAY[%s], %s, ARRAY[%s::vector])"


def _clear(db, tenant, memory_id: str) -> None:
    db.super.execute("DELETE FROM cogdb.memory_embeddings WHERE tenant_id = %s"
                     " AND memory_id = %s", (tenant, memory_id))


def test_remember_embeddings_writes_inside_the_context(db, app_conn, client, tenants,
                                                       migrating):
    for memory_id in ("shared-id", "a1-secret"):
        _clear(db, tenants.a, memory_id)
    # without a context: refused; for a2, a1's private memory is not there
    assert refused(app_conn, CALL, ("shared-id", NEW, migrating.vector)) == "CGA01"
    assert refused(app_conn, CALL, ("a1-secret", NEW, migrating.vector), tenant=tenants.a,
                   user=tenants.a2) == "42501"
    # B's "shared-id" from A's context (its owner, a1): A's own memory of that id is written
    assert _rows(app_conn, CALL, ("shared-id", NEW, migrating.vector), tenant=tenants.a,
                 user=tenants.a1) == [(1,)]
    assert _rows(app_conn, SIDE, tenant=tenants.b, user=tenants.b1) == [
        ("shared-id", str(tenants.b))]
    # controls: a1's own private memory
    assert _rows(app_conn, CALL, ("a1-secret", NEW, migrating.vector), tenant=tenants.a,
                 user=tenants.a1) == [(1,)]


def test_only_who_may_change_a_memory_gives_its_second_vector(db, app_conn, client, admin,
                                                              tenants, migrating):
    """a2 sees a1's tenant-visible memory but may not change its embedding: neither its
    second vector (which the cutover would make its embedding). Nor may anyone give one to
    an anonymised memory."""
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember("a1 owns this, all see it", "", id="a1-owned")
    _clear(db, tenants.a, "a1-owned")
    assert refused(app_conn, CALL, ("a1-owned", NEW, migrating.vector), tenant=tenants.a,
                   user=tenants.a2) == "42501"
    assert _rows(app_conn, CALL, ("a1-owned", NEW, migrating.vector), tenant=tenants.a,
                 user=tenants.a1) == [(1,)]                       # control: its owner
    admin.anonymise_user(tenants.a, tenants.a1)
    _clear(db, tenants.a, "a1-owned")
    assert refused(app_conn, CALL, ("a1-owned", NEW, migrating.vector), tenant=tenants.a,
                   user=tenants.a1) == "42501"


def test_migration_state_is_owner_only_and_each_tenant_sees_its_own(app_conn, admin, tenants,
                                                                    migrating):
    assert refused(app_conn, "SELECT * FROM cogdb.model_migrations", tenant=tenants.a) == "42501"
    target = "SELECT from_model, to_model FROM cogdb.migration_target()"
    assert _rows(app_conn, target, tenant=tenants.a) == [("cogdb-hash-384", NEW)]
    admin.migrate_model(tenants.b, NEW)   # B cut over: A still migrating, B not any more
    assert _rows(app_conn, target, tenant=tenants.b) == []
    assert _rows(app_conn, target, tenant=tenants.a) == [("cogdb-hash-384", NEW)]
    assert _rows(app_conn, target) == []
    # the admin functions are not the app's
    assert refused(app_conn, "SELECT * FROM cogdb.cut_over_model_migration(%s, %s)",
                   (str(tenants.a), NEW), tenant=tenants.a) == "42501"
