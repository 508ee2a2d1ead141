"""The LangGraph store's tables and functions (revision 0007), as the app login: every row
and every function call stays inside the context's tenant, and nothing happens without a
context. Each negative sits beside its positive control (the same statement in the right
context does reach the rows). These run in the policy-mutation runs with the rest of
tests/isolation/: a loosened store_items or store_vectors fence fails here."""
from __future__ import annotations

import json

import pytest
from helpers import assert_rls_applies, in_context, refused, vec
from psycopg.types.json import Jsonb

DIMS = 8
PUT = "SELECT cogdb.store_put(%s::jsonb, %s::jsonb, %s::vector[])"


def _put(conn, tenant, namespace, key, value, *, hot=0, ttl=None) -> None:
    with in_context(conn, tenant) as c:
        c.execute(PUT, (Jsonb([{"namespace": namespace, "key": key, "value": value,
                                "ttl_minutes": ttl}]),
                        Jsonb([{"item": 1, "field": "$"}]), [vec(hot, DIMS)]))


def _rows(conn, query, params=(), tenant=None) -> list[tuple]:
    """Rows of ``query`` in the tenant's context (none: no context), rolled back."""
    assert_rls_applies(conn)
    conn.autocommit = True
    with conn.transaction(force_rollback=True):
        if tenant is not None:
            conn.execute("SELECT cogdb.set_context(%s::text, NULL)", (str(tenant),))
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


@pytest.fixture
def stored(app_conn, tenants):
    """One item (with a vector) in each tenant under the same namespace and key, and an
    expired one in each."""
    for tenant, who, hot in ((tenants.a, "a", 1), (tenants.b, "b", 2)):
        _put(app_conn, tenant, ["users", "u1"], "k", {"who": who}, hot=hot)
        _put(app_conn, tenant, ["old"], "gone", {"who": who}, hot=hot, ttl=1)
    return tenants


def _expire_all(db) -> None:
    db.super.execute("UPDATE cogdb.store_items SET expires_at = now() - interval '1 minute'"
                     " WHERE key = 'gone'")


@pytest.mark.parametrize("table", ["store_items", "store_vectors"])
def test_each_tenant_reads_and_changes_only_its_store_rows(app_conn, stored, table):
    tenants = stored
    q = f"SELECT tenant_id, namespace, key FROM cogdb.{table}"
    assert {r[0] for r in _rows(app_conn, q, tenant=tenants.b)} == {tenants.b}
    assert {r[0] for r in _rows(app_conn, q, tenant=tenants.a)} == {tenants.a}  # control
    assert _rows(app_conn, q) == []  # no context: nothing
    for stmt in (f"UPDATE cogdb.{table} SET key = key RETURNING tenant_id",
                 f"DELETE FROM cogdb.{table} RETURNING tenant_id"):
        assert {r[0] for r in _rows(app_conn, stmt, tenant=tenants.b)} == {tenants.b}
        assert _rows(app_conn, stmt) == []


def test_store_rows_cannot_be_written_into_another_tenant(app_conn, stored):
    tenants = stored
    insert_item = ("INSERT INTO cogdb.store_items (tenant_id, namespace, key, value)"
                   " VALUES (%s, 'x', 'k', '{}')")
    assert refused(app_conn, insert_item, (tenants.a,), tenant=tenants.b) == "42501"
    assert refused(app_conn, insert_item, (tenants.a,)) == "42501"
    insert_vector = ("INSERT INTO cogdb.store_vectors (tenant_id, namespace, key, field,"
                     " embedding) VALUES (%s, 'users.u1', 'k', 'other', '[1,0]')")
    assert refused(app_conn, insert_vector, (tenants.a,), tenant=tenants.b) == "42501"
    # control: into its own tenant both work
    assert _rows(app_conn, insert_item.replace("%s", "%s::uuid") + " RETURNING key",
                 (tenants.b,), tenant=tenants.b) == [("k",)]
    assert _rows(app_conn, insert_vector + " RETURNING key", (tenants.b,),
                 tenant=tenants.b) == [("k",)]


def test_store_functions_answer_within_the_context_tenant(app_conn, stored):
    tenants = stored
    get = "SELECT value FROM cogdb.store_get(ARRAY['users', 'u1'], 'k')"
    search = "SELECT value FROM cogdb.store_search(ARRAY['users'])"
    vsearch = "SELECT value, score FROM cogdb.store_search(ARRAY['users'], %s::vector)"
    listing = "SELECT namespace FROM cogdb.store_list_namespaces()"
    for tenant, who in ((tenants.a, "a"), (tenants.b, "b")):
        assert _rows(app_conn, get, tenant=tenant) == [({"who": who},)]
        assert _rows(app_conn, search, tenant=tenant) == [({"who": who},)]
        hot = 1 if who == "a" else 2
        rows = _rows(app_conn, vsearch, (vec(hot, DIMS),), tenant=tenant)
        assert [(v, round(s, 6)) for v, s in rows] == [({"who": who}, 1.0)]
        assert sorted(_rows(app_conn, listing, tenant=tenant)) == [(["old"],),
                                                                   (["users", "u1"],)]
    for query, params in ((get, ()), (search, ()), (vsearch, (vec(1, DIMS),)),
                          (listing, ())):
        assert _rows(app_conn, query, params) == []  # no context: nothing


def test_store_put_without_a_context_is_refused_and_never_overwrites_another_tenant(
        app_conn, db, stored):
    tenants = stored
    params = (Jsonb([{"namespace": ["users", "u1"], "key": "k", "value": {"who": "intruder"}}]),
              Jsonb([]), [])
    assert refused(app_conn, PUT, params) == "CGA01"
    _rows(app_conn, PUT, params, tenant=tenants.b)  # B overwrites its own item only
    truth = db.super.execute("SELECT tenant_id, value FROM cogdb.store_items"
                             " WHERE key = 'k'").fetchall()
    assert dict(truth) == {tenants.a: {"who": "a"}, tenants.b: {"who": "b"}}
    # control: committed in B's context, B's value changes and A's does not
    with in_context(app_conn, tenants.b) as c:
        c.execute(PUT, params)
    truth = dict(db.super.execute("SELECT tenant_id, value FROM cogdb.store_items"
                                  " WHERE key = 'k'").fetchall())
    assert truth == {tenants.a: {"who": "a"}, tenants.b: {"who": "intruder"}}


def test_store_sweep_deletes_only_the_context_tenants_expired_items(app_conn, db, stored):
    tenants = stored
    _expire_all(db)
    assert refused(app_conn, "SELECT cogdb.store_sweep()") == "CGA01"
    with in_context(app_conn, tenants.b) as c:
        assert c.execute("SELECT cogdb.store_sweep()").fetchone() == (1,)
    left = db.super.execute("SELECT tenant_id FROM cogdb.store_items WHERE key = 'gone'"
                            ).fetchall()
    assert left == [(tenants.a,)]
    with in_context(app_conn, tenants.a) as c:  # control
        assert c.execute("SELECT cogdb.store_sweep()").fetchone() == (1,)


def test_store_sweep_all_is_the_owners_alone(app_conn, db, stored):
    _expire_all(db)
    assert refused(app_conn, "SELECT cogdb.store_sweep_all()") == "42501"
    assert refused(app_conn, "SELECT cogdb.store_sweep_all()", tenant=stored.a) == "42501"
    # control: the owner sweeps every tenant
    with db.super.transaction():
        db.super.execute("SET LOCAL ROLE cogdb_owner")
        assert db.super.execute("SELECT cogdb.store_sweep_all()").fetchone() == (2,)
    assert json.dumps(db.super.execute("SELECT count(*) FROM cogdb.store_items"
                                       " WHERE key = 'gone'").fetchone()[0]) == "0"


def test_the_ann_path_of_a_large_tenant_stays_inside_it(app_conn, db, tenants):
    """Both tenants large enough for their own index (thresholds lowered): B's query aimed
    at A's vectors finds only B's items, on B's index."""
    for key, value in (("search.ann_min_rows", 30), ("search.exact_max_rows", 10)):
        db.super.execute("UPDATE cogdb.settings SET value = to_jsonb(%s::integer)"
                         " WHERE key = %s", (value, key))
    for tenant, hot, who in ((tenants.a, 1, "a"), (tenants.b, 5, "b")):
        with in_context(app_conn, tenant) as c:
            c.execute(PUT, (Jsonb([{"namespace": ["big"], "key": f"k{i}",
                                    "value": {"i": i, "who": who}}
                                   for i in range(40)]),
                            Jsonb([{"item": i + 1, "field": "$"} for i in range(40)]),
                            [vec(hot, DIMS, second=i % DIMS) for i in range(40)]))
    with db.super.transaction():
        db.super.execute("SET LOCAL ROLE cogdb_owner")
        steps = db.super.execute("SELECT statement FROM cogdb.plan_store_maintenance()"
                                 " WHERE action = 'create'").fetchall()
    assert len(steps) == 2
    for (statement,) in steps:
        db.super.execute(statement)
    search = "SELECT value, plan FROM cogdb.store_search(ARRAY['big'], %s::vector)"
    b_rows = _rows(app_conn, search, (vec(1, DIMS),), tenant=tenants.b)
    a_rows = _rows(app_conn, search, (vec(1, DIMS),), tenant=tenants.a)
    b_index = _rows(app_conn, "SELECT cogdb.store_ann_index_name(%s, %s)", (tenants.b, DIMS))
    a_index = _rows(app_conn, "SELECT cogdb.store_ann_index_name(%s, %s)", (tenants.a, DIMS))
    assert {p for _, p in b_rows} == {f"ann:{b_index[0][0]}"} and len(b_rows) == 10
    assert {p for _, p in a_rows} == {f"ann:{a_index[0][0]}"} and len(a_rows) == 10  # control
    assert {v["who"] for v, _ in b_rows} == {"b"}
    assert {v["who"] for v, _ in a_rows} == {"a"}


def test_store_maintenance_planning_is_the_owners_alone(app_conn, stored):
    assert refused(app_conn, "SELECT * FROM cogdb.plan_store_maintenance()") == "42501"
    assert refused(app_conn, "SELECT * FROM cogdb.plan_store_maintenance()",
                   tenant=stored.a) == "42501"
