"""cogdb.list_memories and the memory filters, as the app login: a page holds only the
context's tenant's rows that its user may see, and nothing without a context; each negative
has its positive control (the same call in the right context returns the rows). These run
in the policy-mutation runs with the rest of tests/isolation/."""
from __future__ import annotations

from helpers import assert_rls_applies, in_context, vec


def _listed(conn, tenant=None, user=None, **kw) -> set[str]:
    """Ids cogdb.list_memories returns in the given context (none: no context)."""
    assert_rls_applies(conn)
    if not conn.autocommit:
        conn.rollback()
    args = ", ".join(f"{k} => %s" for k in kw)
    query = f"SELECT id FROM cogdb.list_memories(1000{', ' if kw else ''}{args})"
    if tenant is None:
        conn.autocommit = True
        with conn.transaction():
            return {r[0] for r in conn.execute(query, list(kw.values()))}
    with in_context(conn, tenant, user) as c:
        return {r[0] for r in c.execute(query, list(kw.values()))}


def _seed(client, tenants) -> dict[str, set[str]]:
    with client.scope(tenants.a, tenants.a1) as s:
        a_shared = set(s.remember_many([{"human": "a shared", "tags": {"k": 1}}], [vec(1)]))
        a1_private = set(s.remember_many([{"human": "a1 private", "visibility": "private",
                                           "tags": ["k"]}], [vec(2)]))
    with client.scope(tenants.a, tenants.a2) as s:
        a2_private = set(s.remember_many([{"human": "a2 private", "visibility": "private"}],
                                         [vec(3)]))
    with client.scope(tenants.b, tenants.b1) as s:
        b_rows = set(s.remember_many([{"human": "b shared", "tags": ["k"]}], [vec(4)]))
    return {"a_shared": a_shared, "a1": a1_private, "a2": a2_private, "b": b_rows}


def test_a_page_holds_only_the_tenants_rows(client, app_conn, tenants):
    seeded = _seed(client, tenants)
    in_a = _listed(app_conn, tenants.a, tenants.a1)
    assert in_a == seeded["a_shared"] | seeded["a1"]
    assert not in_a & seeded["b"]
    assert _listed(app_conn, tenants.b, tenants.b1) == seeded["b"]  # positive control


def test_a_page_hides_other_users_private_memories(client, app_conn, tenants):
    seeded = _seed(client, tenants)
    assert not _listed(app_conn, tenants.a, tenants.a1) & seeded["a2"]
    assert seeded["a2"] <= _listed(app_conn, tenants.a, tenants.a2)  # positive control
    assert _listed(app_conn, tenants.a) == seeded["a_shared"]  # no user: tenant-wide only


def test_filters_never_reach_past_the_fence(client, app_conn, tenants):
    seeded = _seed(client, tenants)
    # B's row has tag k too: the tag filter in A's context still sees A's rows only.
    assert _listed(app_conn, tenants.a, tenants.a1, tags_any=["k"]) == (
        seeded["a_shared"] | seeded["a1"])
    assert _listed(app_conn, tenants.b, tenants.b1, tags_any=["k"]) == seeded["b"]


def test_no_context_lists_nothing(client, app_conn, tenants):
    seeded = _seed(client, tenants)
    assert _listed(app_conn) == set()
    assert _listed(app_conn, tenants.a, tenants.a1) == seeded["a_shared"] | seeded["a1"]
