"""The text queue (revision 0025; docs/architecture.md "Deferred text indexing"), as the app
login: the app has no privilege on text_queue, cannot call the owner's index_queued_text,
and its index_pending_text empties its own tenant's queue only. Each negative sits beside its
positive control. text_queue__registry_owner is USING (true) for cogdb_owner, so the
policy-mutation run has nothing to loosen there; what keeps the app out is that no grant
exists, which these tests check."""
from __future__ import annotations

import json

import pytest
from helpers import SET_CONTEXT, assert_rls_applies, refused, vec

BULK = 100  # text.defer_min_rows' default: a statement this large is queued


def _bulk(conn, tenant, user=None, prefix="ORD") -> None:
    conn.autocommit = True
    with conn.transaction():
        conn.execute(SET_CONTEXT, (str(tenant), None if user is None else str(user)))
        conn.execute("SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                     (json.dumps([{"human_content": f"order {prefix}-{i:04d}"}
                                  for i in range(BULK)]), [vec(i) for i in range(BULK)]))


def _one(conn, query, params=(), tenant=None, user=None):
    assert_rls_applies(conn)
    conn.autocommit = True
    with conn.transaction():
        if tenant is not None:
            conn.execute(SET_CONTEXT, (str(tenant), None if user is None else str(user)))
        return conn.execute(query, params).fetchone()[0]


def _queued(db, tenant) -> int:
    return db.super.execute("SELECT count(*) FROM cogdb.text_queue WHERE tenant_id = %s",
                            (tenant,)).fetchone()[0]


@pytest.fixture
def queued(app_conn, db, tenants):
    _bulk(app_conn, tenants.a, tenants.a1)
    _bulk(app_conn, tenants.b, tenants.b1)
    assert (_queued(db, tenants.a), _queued(db, tenants.b)) == (BULK, BULK)


@pytest.mark.parametrize("statement", [
    "SELECT * FROM cogdb.text_queue", "DELETE FROM cogdb.text_queue",
    "UPDATE cogdb.text_queue SET owner_user_id = NULL",
    "INSERT INTO cogdb.text_queue (tenant_id, memory_id) VALUES (cogdb.current_tenant_id(), 'x')",
])
def test_the_app_has_no_privilege_on_the_queue(app_conn, db, tenants, queued, statement):
    assert refused(app_conn, statement, tenant=tenants.a, user=tenants.a1) == "42501"
    assert refused(app_conn, statement) == "42501"
    assert (_queued(db, tenants.a), _queued(db, tenants.b)) == (BULK, BULK)   # control


def test_the_app_cannot_empty_every_tenants_queue(app_conn, db, tenants, queued):
    for args in ("NULL, NULL", f"'{tenants.b}'::uuid, NULL"):
        assert refused(app_conn, f"SELECT cogdb.index_queued_text({args})",
                       tenant=tenants.a) == "42501"
    assert _queued(db, tenants.b) == BULK
    # control: the owner can (as cogdb maintain does)
    with db.super.transaction():
        db.super.execute("SET LOCAL ROLE cogdb_owner")
        assert db.super.execute("SELECT cogdb.index_queued_text(%s, NULL)",
                                (tenants.b,)).fetchone()[0] == BULK
    assert (_queued(db, tenants.a), _queued(db, tenants.b)) == (BULK, 0)


def test_index_pending_text_reaches_the_contexts_tenant_only(app_conn, db, tenants, queued):
    assert refused(app_conn, "SELECT cogdb.index_pending_text(NULL)") == "CGA01"
    assert _one(app_conn, "SELECT cogdb.index_pending_text(NULL)",
                tenant=tenants.b, user=tenants.b1) == BULK
    assert (_queued(db, tenants.a), _queued(db, tenants.b)) == (BULK, 0)
    # B's words are in the index now, and B's hybrid search finds them; A's never
    find = ("SELECT count(*) FROM cogdb.hybrid_search(query_text => %s)")
    assert _one(app_conn, find, ("ORD-0007",), tenant=tenants.b, user=tenants.b1) == 1
    assert _one(app_conn, find, ("ORD-0007",), tenant=tenants.a, user=tenants.a1) == 0
    assert _one(app_conn, "SELECT cogdb.index_pending_text(NULL)", tenant=tenants.a) == BULK
    assert _one(app_conn, find, ("ORD-0007",), tenant=tenants.a, user=tenants.a1) == 1
