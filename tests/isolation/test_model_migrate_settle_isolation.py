"""Isolation while a promoted tenant's model migration settles (revision 0027), as the
non-superuser app login: search's settling path reads cogdb.memory_embeddings through the
tenant's side index and joins the memories under their policies, so a user finds the
memories they may see in both places and nothing of another user's private memories or of
another tenant (both tenants hold a memory "shared-id" and both are settling); the settle's
functions are cogdb_admin's. Each negative sits beside its positive control. No new policy:
the tables' own policies (memory_embeddings__*, memories__*) are the ones the mutation run
loosens."""
from __future__ import annotations

import psycopg
import pytest
from helpers import assert_rls_applies, refused

import cogdb
import cogdb.ops.maintain
from cogdb import HashEmbedder

NEW = "iso-settle-hash-16"


def _search(conn: psycopg.Connection, tenant, user, vector) -> list[tuple[str, str]]:
    """(id, plan) of a search of NEW as ``user`` of ``tenant``, rolled back."""
    assert_rls_applies(conn)
    if not conn.autocommit:
        conn.rollback()
        conn.autocommit = True
    with conn.transaction():
        conn.execute("SELECT cogdb.set_context(%s::text, %s::text)",
                     (str(tenant), None if user is None else str(user)))
        rows = conn.execute("SELECT id, plan FROM cogdb.search(%s::vector, 50)",
                            (vector,)).fetchall()
        raise psycopg.Rollback()
    return rows


@pytest.fixture
def settling(db, client, admin, tenants):
    """A: 22 tenant-visible memories, "shared-id", and "a1-secret" private to a1; B: 22 and
    "shared-id". Both promoted, both cut over to NEW and not settled at all."""
    admin.register_model(NEW, 16, embedder="hash")
    db.super.execute("UPDATE cogdb.settings SET value = '20' WHERE key = 'search.ann_min_rows'")
    db.super.execute("UPDATE cogdb.settings SET value = '2' WHERE key = 'search.exact_max_rows'")
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember_many([{"id": f"a{i:02d}", "human_content": f"a note {i}"} for i in range(22)])
        s.remember("shared in A", "", id="shared-id")
        s.remember("a1 only", "", id="a1-secret", private=True)
    with client.scope(tenants.b, tenants.b1) as s:
        s.remember_many([{"id": f"b{i:02d}", "human_content": f"b note {i}"} for i in range(22)])
        s.remember("shared in B", "", id="shared-id")
    steps = cogdb.ops.maintain.run(db.url(), echo=lambda *_: None)
    assert all(s.error is None for s in steps) and len(steps) == 4
    with cogdb.connect_admin(db.url()) as owner:
        for t in (tenants.a, tenants.b):
            owner.migrate_model(t, NEW, cut_over=False)
            owner.connection.execute("SELECT cogdb.cut_over_model_migration(%s::text, %s)",
                                     (str(t), NEW))
            assert owner.model_migrations(t)[0]["phase"] == "settling"
    return str(HashEmbedder(NEW, 16).embed(["a1 only"])[0].tolist())


def test_a_settling_search_finds_what_the_user_may_see_and_nothing_else(
        app_conn, tenants, settling):
    a1 = _search(app_conn, tenants.a, tenants.a1, settling)
    assert {p for _, p in a1} == {p for _, p in a1 if p.startswith("ann:") and "+" in p}
    ids = {i for i, _ in a1}
    # positive control: a1 finds A's memories through the side index, its own private one too
    assert {"a1-secret", "shared-id", "a00", "a21"} <= ids and len(ids) == 24
    assert not any(i.startswith("b") for i in ids)
    # another user of A: everything but a1's private memory
    a2 = {i for i, _ in _search(app_conn, tenants.a, tenants.a2, settling)}
    assert a2 == ids - {"a1-secret"}
    # tenant B: its own 23, never A's, though A's "shared-id" has a side row too
    b = {i for i, _ in _search(app_conn, tenants.b, tenants.b1, settling)}
    assert len(b) == 23 and "shared-id" in b and not any(i.startswith("a") for i in b)


def test_the_settle_functions_are_the_admins(app_conn, admin, tenants, settling):
    for query, params in (
            ("SELECT * FROM cogdb.settle_model_migration(%s::text, %s, 5)", (str(tenants.a), NEW)),
            ("SELECT * FROM cogdb.settle_index_steps(%s::text, %s)", (str(tenants.a), NEW))):
        assert refused(app_conn, query, params, tenant=tenants.a) == "42501"
    # positive control: the admin settles five of A's memories
    row = admin.connection.execute(
        "SELECT phase, settled FROM cogdb.settle_model_migration(%s::text, %s, 5)",
        (str(tenants.a), NEW)).fetchone()
    assert row == ("settling", 5)
