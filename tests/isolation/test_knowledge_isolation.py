"""Isolation of the knowledge layer, as the non-superuser app login: every new table
(entities, entity_observations, relationships, relationship_types, and the owner-only
text_index, tenant_stats, memory_accesses) and every new function. Each negative sits beside
its positive control: the same query in the right context does return the rows.

The two tenants share keys and ids on purpose: entity ids derive from keys (both tenants
have an entity "Acme"), and memories are imported with the same ids in both. So the node
tables' fences alone would let an id match in the other tenant, and each table's own fence
is what a test here catches when the policy-mutation run loosens it
(tests/schema/test_policy_mutation.py).

SQLSTATEs: CGA01 scope required, CGA02 isolation violation, CGN01 not found, CGV01 invalid
input, 42501 privileges or row-level security.
"""
from __future__ import annotations

from types import SimpleNamespace

import psycopg
import pytest
from helpers import refused, vec
from helpers import rows_in_context as _rows
from psycopg import sql

import cogdb

SHARED_MEMORIES = {  # id -> text, the same in both tenants
    "mem_s1": "shared start S1",
    "mem_s2": "shared end S2",
    "mem_s3": "shared hop S3",
    "mem_s4": "shared hop S4",
}


def _set(conn, query, params=(), **ctx) -> set:
    return {r[0] if len(r) == 1 else r for r in _rows(conn, query, params, **ctx)}


@pytest.fixture
def graph(client, tenants) -> SimpleNamespace:
    """Tenant A: a1's private memory P and private entity; shared memories S1-S4 (ids shared
    with B); shared entities Acme and Globex (keys shared with B); edges S1->P->S2 through
    the hidden P, S1->S3->S4->S2 around it, Acme->Globex shared, Globex->Acme private to a1;
    a registered type. Tenant B: the same graph without P, its own Acme observation."""
    items = [{"id": i, "human": t} for i, t in SHARED_MEMORIES.items()]
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember_many(items, [vec(n + 1) for n in range(len(items))])
        p = s.remember("a1 private memory ZETA-7", embedding=vec(9), private=True)
        secret = s.upsert_entity("A1 Secret", visibility="private", observations=["a1 only"])
        acme = s.upsert_entity("Acme", observations=["acme in A"], data={"tenant": "A"})
        globex = s.upsert_entity("Globex")
        s.register_relationship_type("a_only_type")
        s.relate("memory:mem_s1", f"memory:{p}", "relates_to")
        s.relate(f"memory:{p}", "memory:mem_s2", "led_to")
        s.relate(acme, globex, "relates_to")
        s.relate(globex, acme, "depends_on", visibility="private")
    _around(client, tenants.a, tenants.a1)
    with client.scope(tenants.b, tenants.b1) as s:
        s.remember_many(items, [vec(n + 1) for n in range(len(items))])
        b_acme = s.upsert_entity("Acme", observations=["acme in B"], data={"tenant": "B"})
        s.upsert_entity("Globex")
    _around(client, tenants.b, tenants.b1)
    return SimpleNamespace(p=p, secret=secret.id, acme=acme.id, globex=globex.id,
                           b_acme=b_acme.id)


def _around(client, tenant, user) -> None:
    with client.scope(tenant, user) as s:
        s.relate("memory:mem_s1", "memory:mem_s3", "relates_to")
        s.relate("memory:mem_s3", "memory:mem_s4", "relates_to")
        s.relate("memory:mem_s4", "memory:mem_s2", "relates_to")


# --------------------------------------------------------------------------- tables

def test_entities_are_fenced_and_private_ones_stay_private(app_conn, tenants, graph):
    q = "SELECT external_id, data ->> 'tenant' FROM cogdb.entities"
    assert _set(app_conn, q, tenant=tenants.b, user=tenants.b1) == {
        ("Acme", "B"), ("Globex", None)}
    assert _set(app_conn, q, tenant=tenants.a, user=tenants.a2) == {
        ("Acme", "A"), ("Globex", None)}
    # controls: a1 sees its private entity too; no context sees nothing
    assert ("A1 Secret", None) in _set(app_conn, q, tenant=tenants.a, user=tenants.a1)
    assert _set(app_conn, q) == set()
    assert graph.acme == graph.b_acme                    # one id, two tenants


def test_observations_follow_their_entity(app_conn, tenants, graph):
    q = "SELECT observation FROM cogdb.entity_observations"
    assert _set(app_conn, q, tenant=tenants.b, user=tenants.b1) == {"acme in B"}
    assert _set(app_conn, q, tenant=tenants.a, user=tenants.a2) == {"acme in A"}
    assert _set(app_conn, q, tenant=tenants.a, user=tenants.a1) == {"acme in A", "a1 only"}
    assert _set(app_conn, q) == set()


def test_relationships_are_fenced_and_need_both_nodes_visible(app_conn, tenants, graph):
    q = ("SELECT type, coalesce(from_memory_id, from_entity_id),"
         " coalesce(to_memory_id, to_entity_id) FROM cogdb.relationships")
    around = {("relates_to", "mem_s1", "mem_s3"), ("relates_to", "mem_s3", "mem_s4"),
              ("relates_to", "mem_s4", "mem_s2")}
    shared = around | {("relates_to", graph.acme, graph.globex)}
    assert _set(app_conn, q, tenant=tenants.b, user=tenants.b1) == around
    # a2: neither the edges through a1's private memory nor a1's private edge
    assert _set(app_conn, q, tenant=tenants.a, user=tenants.a2) == shared
    assert _set(app_conn, q, tenant=tenants.a) == shared
    # control: a1 sees all of them
    assert _set(app_conn, q, tenant=tenants.a, user=tenants.a1) == shared | {
        ("relates_to", "mem_s1", graph.p), ("led_to", graph.p, "mem_s2"),
        ("depends_on", graph.globex, graph.acme)}
    assert _set(app_conn, q) == set()


def test_relationship_types_are_per_tenant(app_conn, tenants, graph):
    q = "SELECT name FROM cogdb.relationship_types"
    assert _set(app_conn, q, tenant=tenants.b) == set()
    assert _set(app_conn, q, tenant=tenants.a, user=tenants.a2) == {"a_only_type"}
    assert _set(app_conn, q) == set()


@pytest.mark.parametrize("table", ["text_index", "tenant_stats", "memory_accesses"])
@pytest.mark.parametrize("statement", ["SELECT * FROM cogdb.{}", "DELETE FROM cogdb.{}",
                                       "UPDATE cogdb.{} SET tenant_id = tenant_id"])
def test_owner_only_tables_are_out_of_reach(app_conn, db, tenants, graph, table, statement):
    assert refused(app_conn, statement.format(table), tenant=tenants.a,
                   user=tenants.a1) == "42501"
    assert refused(app_conn, statement.format(table)) == "42501"
    # control: the rows are there, and the app reaches them only through definer functions
    truth = db.super.execute(sql.SQL("SELECT count(*) FROM {}").format(
        sql.Identifier("cogdb", table))).fetchone()[0]
    assert truth > 0 or table == "memory_accesses"
    assert _rows(app_conn, "SELECT cogdb.stats() IS NOT NULL", tenant=tenants.a) == [(True,)]


def test_writes_into_another_tenant_or_to_hidden_nodes_are_refused(app_conn, tenants, graph):
    # an entity for another tenant
    assert refused(app_conn, "INSERT INTO cogdb.entities (tenant_id, id, external_id, name)"
                   " VALUES (%s, cogdb.entity_id_for('', 'X'), 'X', 'X')", (tenants.b,),
                   tenant=tenants.a) == "CGA02"
    # an observation for an entity the context cannot see (a1's private one), or of B
    assert refused(app_conn, "INSERT INTO cogdb.entity_observations (entity_id, observation)"
                   " VALUES (%s, 'planted')", (graph.secret,), tenant=tenants.a,
                   user=tenants.a2) == "42501"
    assert refused(app_conn, "INSERT INTO cogdb.entity_observations (tenant_id, entity_id,"
                   " observation) VALUES (%s, %s, 'planted')", (tenants.b, graph.acme),
                   tenant=tenants.a) == "42501"
    # a relationship to a node the context cannot see, by hand or through relate()
    assert refused(app_conn, "INSERT INTO cogdb.relationships (from_memory_id, to_memory_id,"
                   " type) VALUES ('mem_s1', %s, 'relates_to')", (graph.p,), tenant=tenants.a,
                   user=tenants.a2) == "42501"
    assert refused(app_conn, "SELECT cogdb.relate('memory:mem_s1', %s, 'relates_to')",
                   (f"memory:{graph.p}",), tenant=tenants.a, user=tenants.a2) == "CGN01"
    # and no write at all without a context
    assert refused(app_conn, "SELECT cogdb.upsert_entity('X')") == "CGA01"
    assert refused(app_conn, "SELECT cogdb.relate('name:Acme', 'name:Globex', 'led_to')") \
        == "CGA01"
    assert refused(app_conn, "SELECT cogdb.register_relationship_type('t')") == "CGA01"
    # controls: the same writes in the right context
    assert _rows(app_conn, "SELECT created FROM cogdb.relate('memory:mem_s1', %s, 'produces')",
                 (f"memory:{graph.p}",), tenant=tenants.a, user=tenants.a1) == [(True,)]
    assert _rows(app_conn, "INSERT INTO cogdb.entity_observations (entity_id, observation)"
                 " VALUES (%s, 'planted') RETURNING 1", (graph.secret,), tenant=tenants.a,
                 user=tenants.a1) == [(1,)]


# --------------------------------------------------------------------------- functions

def test_get_upsert_and_forget_stay_inside_the_context(app_conn, client, tenants, graph):
    def get(ref, **ctx):
        return _rows(app_conn, "SELECT data FROM cogdb.get_entity(%s)", (ref,), **ctx)

    assert get("name:A1 Secret", tenant=tenants.a, user=tenants.a2) == []
    assert get(f"entity:{graph.secret}", tenant=tenants.b, user=tenants.b1) == []
    assert get("name:Acme", tenant=tenants.b) == [({"tenant": "B"},)]
    assert get("name:Acme") == []
    assert get("name:A1 Secret", tenant=tenants.a, user=tenants.a1) == [({},)]   # control
    # another user's private key is refused, never overwritten; B's upsert is B's own
    assert refused(app_conn, "SELECT cogdb.upsert_entity('A1 Secret', data => '{\"x\": 1}')",
                   tenant=tenants.a, user=tenants.a2) == "CGA02"
    with client.scope(tenants.b, tenants.b1) as s:
        assert s.upsert_entity("Acme", data={"b": True}).update_count == 2
        assert s.forget_entity("A1 Secret") is False
    with client.scope(tenants.a, tenants.a2) as s:
        assert s.forget_entity("A1 Secret") is False
        acme = s.get_entity("Acme")
        assert acme.data == {"tenant": "A"} and acme.update_count == 1
    with client.scope(tenants.a, tenants.a1) as s:      # control
        assert s.forget_entity("A1 Secret") is True


def test_merge_never_reaches_another_tenant_or_a_hidden_entity(app_conn, client, tenants, graph):
    assert refused(app_conn, "SELECT * FROM cogdb.merge_entities('name:Acme', 'name:A1 Secret')",
                   tenant=tenants.a, user=tenants.a2) == "CGN01"
    assert refused(app_conn, "SELECT * FROM cogdb.merge_entities('name:Acme', 'name:Globex')") \
        == "CGA01"
    # B merges its own Globex into its Acme: same ids as A's, A is untouched
    with client.scope(tenants.b, tenants.b1) as s:
        s.relate("Globex", "memory:mem_s1")
        s.merge_entities("Acme", "Globex")
        assert s.get_entity("Globex").id == graph.acme
    q = ("SELECT type, coalesce(from_memory_id, from_entity_id),"
         " coalesce(to_memory_id, to_entity_id) FROM cogdb.relationships WHERE type <> 'led_to'"
         " AND (from_entity_id IS NOT NULL OR to_entity_id IS NOT NULL)")
    assert _set(app_conn, q, tenant=tenants.a, user=tenants.a1) == {
        ("relates_to", graph.acme, graph.globex), ("depends_on", graph.globex, graph.acme)}
    assert _rows(app_conn, "SELECT merged_into FROM cogdb.entities WHERE external_id = 'Globex'",
                 tenant=tenants.a) == [(None,)]
    # control: in A, a1 merges and both of A's relationships (one private) follow
    with client.scope(tenants.a, tenants.a1) as s:
        result = s.merge_entities("Acme", "Globex")
        assert result.relationships_superseded == 2           # both became self-loops


def test_list_relationships_and_types_stay_inside_the_context(app_conn, tenants, graph):
    q = "SELECT other FROM cogdb.list_relationships('memory:mem_s1')"
    assert _set(app_conn, q, tenant=tenants.a, user=tenants.a2) == {"memory:mem_s3"}
    assert _set(app_conn, q, tenant=tenants.a, user=tenants.a1) == {
        "memory:mem_s3", f"memory:{graph.p}"}
    assert _set(app_conn, "SELECT other FROM cogdb.list_relationships(%s)",
                (f"memory:{graph.p}",), tenant=tenants.a, user=tenants.a2) == set()
    assert _set(app_conn, q) == set()
    types = "SELECT name FROM cogdb.list_relationship_types() WHERE NOT builtin"
    assert _set(app_conn, types, tenant=tenants.b) == set()
    assert _set(app_conn, types, tenant=tenants.a) == {"a_only_type"}


def _walk(conn, start: str, **ctx) -> list[tuple]:
    return _rows(conn, "SELECT node, depth, via IS NOT NULL, type, edge_direction,"
                       " cardinality(path), path, label FROM cogdb.neighbors(%s, 5,"
                       " max_nodes => 1000)", (start,), **ctx)


def test_a_path_never_passes_through_a_hidden_node(app_conn, tenants, graph):
    """a2 walks from S1 in a graph where S1 -> P -> S2 goes through a1's private memory P:
    P is not returned, S2 is reached the long way (depth 3), and the output is exactly what
    the same walk gives in tenant B, whose graph never had P."""
    as_a2 = _walk(app_conn, "memory:mem_s1", tenant=tenants.a, user=tenants.a2)
    in_b = _walk(app_conn, "memory:mem_s1", tenant=tenants.b, user=tenants.b1)
    assert as_a2 == in_b
    assert [(r[0], r[1], r[5]) for r in as_a2] == [
        ("memory:mem_s3", 1, 2), ("memory:mem_s4", 2, 3), ("memory:mem_s2", 3, 4)]
    assert all(f"memory:{graph.p}" not in r[6] for r in as_a2)
    # control: the owner sees the path through P, and S2 one step earlier
    as_a1 = {r[0]: r for r in _walk(app_conn, "memory:mem_s1", tenant=tenants.a,
                                     user=tenants.a1)}
    assert as_a1[f"memory:{graph.p}"][1] == 1
    assert as_a1["memory:mem_s2"][1] == 2
    assert as_a1["memory:mem_s2"][6] == ["memory:mem_s1", f"memory:{graph.p}", "memory:mem_s2"]
    # the hidden node as a start: nothing, like a missing one; no context: nothing
    assert _walk(app_conn, f"memory:{graph.p}", tenant=tenants.a, user=tenants.a2) == []
    assert _walk(app_conn, "memory:mem_missing", tenant=tenants.a, user=tenants.a2) == []
    assert _walk(app_conn, "memory:mem_s1") == []


def test_hybrid_search_never_matches_another_tenants_or_users_text(app_conn, client, tenants,
                                                                   graph):
    def hybrid(text, **ctx):
        return _set(app_conn, "SELECT id FROM cogdb.hybrid_search(%s)", (text,), **ctx)

    def candidates(text, **ctx):
        return _set(app_conn, "SELECT id FROM cogdb.text_candidates(cogdb.text_query(%s))",
                    (text,), **ctx)

    # a1's private memory and entity: not for a2, not for B, not without a context
    for ctx in (dict(tenant=tenants.a, user=tenants.a2), dict(tenant=tenants.b, user=tenants.b1),
                dict()):
        assert hybrid("ZETA-7", **ctx) == set() and candidates("ZETA-7", **ctx) == set()
        assert hybrid("a1 only", **ctx) == set() and candidates("a1 only", **ctx) == set()
    # B's Acme has the same id as A's: each tenant finds its own observation only
    assert candidates("acme in A", tenant=tenants.b) == {graph.acme}         # B's row: "acme"
    assert _rows(app_conn, "SELECT rank > 0 FROM cogdb.text_candidates("
                 "cogdb.text_query('tenant A only words'))", tenant=tenants.b) == []
    with client.scope(tenants.a) as s:
        s.remember("only tenant A mentions the quokka", embedding=vec(20))
    assert hybrid("quokka", tenant=tenants.b) == set()
    # controls
    assert hybrid("quokka", tenant=tenants.a) != set()
    assert hybrid("ZETA-7", tenant=tenants.a, user=tenants.a1) == {graph.p}
    assert graph.secret in candidates("a1 only", tenant=tenants.a, user=tenants.a1)


def test_text_candidates_match_the_same_in_a_small_and_a_large_tenant(app_conn, client,
                                                                       tenants, graph):
    """text_candidates matches a tenant of at most `scan` (100 here) documents in one pass
    over its own rows, a larger one through the GIN index: the same candidates and ranks,
    and the same fences (another tenant's and another user's private text never match)."""
    queries = ["ZETA-7", "a1 only", "acme in A", "shared hop", "shared or globex", "quokka",
               '"shared hop"', "shared -hop"]
    contexts = {"a1": dict(tenant=tenants.a, user=tenants.a1),
                "a2": dict(tenant=tenants.a, user=tenants.a2),
                "b1": dict(tenant=tenants.b, user=tenants.b1), "none": dict()}

    def candidates() -> dict:
        return {(q, who): _set(app_conn, "SELECT kind, id, rank FROM cogdb.text_candidates("
                               "cogdb.text_query(%s), 10)", (q,), **ctx)
                for q in queries for who, ctx in contexts.items()}

    small = candidates()
    # controls: each context finds its own text; the fences hold on this path
    assert {i for _, i, _ in small[("ZETA-7", "a1")]} == {graph.p}
    assert small[("ZETA-7", "a2")] == small[("ZETA-7", "b1")] == small[("ZETA-7", "none")] == set()
    assert graph.secret in {i for _, i, _ in small[("a1 only", "a1")]}
    assert small[("a1 only", "a2")] == small[("a1 only", "b1")] == set()
    assert {i for _, i, _ in small[("acme in A", "b1")]} == {graph.b_acme}
    assert len(small[("shared hop", "b1")]) == 4  # S3 and S4 have both words, S1 and S2 one
    # 120 more documents in each tenant (no query word among them), in batches below
    # text.defer_min_rows so they are indexed at once: both tenants now take the GIN path
    for tenant, user in ((tenants.a, tenants.a1), (tenants.b, tenants.b1)):
        with client.scope(tenant, user) as s:
            for batch in range(2):
                s.remember_many([{"human": f"filler note {batch}-{i}"} for i in range(60)],
                                [vec(100 + i) for i in range(60)])
    assert _rows(app_conn, "SELECT count(*) FROM cogdb.text_candidates("
                 "cogdb.text_query('filler note'), 1000)", tenant=tenants.a) == [(120,)]
    assert candidates() == small


def test_tenants_that_share_a_text_key_never_match_each_others_text(app_conn, client, db,
                                                                     tenants):
    """The text index's keys carry a tenant prefix of 32 bits (cogdb.text_tenant_key), which
    two tenants may share; text_rows_matching then reads their shared posting lists and the
    tenant test on each row is all that keeps them apart. Here every tenant shares one."""
    db.super.execute("CREATE OR REPLACE FUNCTION cogdb.text_tenant_key(tenant_id uuid)"
                     " RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN 'samekey0'")
    db.super.execute("REINDEX INDEX cogdb.text_index_tenant_keys_idx")
    ids = {}
    for tenant, user, word in ((tenants.a, tenants.a1, "note"), (tenants.b, tenants.b1, "memo")):
        with client.scope(tenant, user) as s:  # batches under text.defer_min_rows: indexed now
            ids[tenant] = {m for batch in range(2) for m in s.remember_many(
                [{"human": f"quokka {word} {batch}-{i}"} for i in range(60)],
                [vec(100 + i) for i in range(60)])}
    # the collision is real: A's rows answer B's key query, through the index
    assert db.super.execute(
        "SELECT count(*) FROM cogdb.text_index t WHERE t.tenant_id = %s"
        "   AND cogdb.text_keys(t.tenant_id, t.tsv) @@ cogdb.text_keys_query(%s, 'quokka')",
        (tenants.a, tenants.b)).fetchone() == (120,)
    # 50 rows: the bounded matching (scan 100 < the tenant's 120 documents) reads the index
    found = {who: _set(app_conn, "SELECT id FROM cogdb.text_candidates("
                                 "cogdb.text_query('quokka'), 50)", tenant=tenant)
             for who, tenant in (("a", tenants.a), ("b", tenants.b))}
    assert len(found["b"]) == 50 and found["b"] <= ids[tenants.b]
    assert len(found["a"]) == 50 and found["a"] <= ids[tenants.a]   # control
    assert _set(app_conn, "SELECT id FROM cogdb.hybrid_search('quokka note', k => 50)",
                tenant=tenants.b) <= ids[tenants.b]
    assert _set(app_conn, "SELECT id FROM cogdb.hybrid_search('quokka note', k => 50)",
                tenant=tenants.a) & ids[tenants.a]   # control


def test_record_access_and_stats_stay_inside_the_context(app_conn, admin, db, tenants, graph):
    def recorded(ids, **ctx):
        return _rows(app_conn, "SELECT cogdb.record_access(%s::text[])", (ids,), **ctx)[0][0]

    assert recorded([graph.p], tenant=tenants.a, user=tenants.a2) == 0
    assert recorded([graph.p], tenant=tenants.b, user=tenants.b1) == 0
    assert refused(app_conn, "SELECT cogdb.record_access(ARRAY['mem_s1'])") == "CGA01"
    assert recorded([graph.p, "mem_s1"], tenant=tenants.a, user=tenants.a1) == 2   # control
    # stats: each tenant's own counts; none without a context; admins only for any tenant
    assert _rows(app_conn, "SELECT cogdb.stats() -> 'memories' ->> 'total'",
                 tenant=tenants.b) == [("4",)]
    assert _rows(app_conn, "SELECT cogdb.stats() -> 'memories' ->> 'total'",
                 tenant=tenants.a, user=tenants.a2) == [("5",)]
    assert _rows(app_conn, "SELECT cogdb.stats()") == [(None,)]
    assert refused(app_conn, "SELECT cogdb.tenant_stats(%s::text)", (str(tenants.a),),
                   tenant=tenants.a) == "42501"
    assert admin.tenant_stats(tenants.a)["memories"]["total"] == 5                 # control


OWNER_ONLY = [
    "SELECT cogdb.reindex_text(%(t)s::uuid)", "SELECT cogdb.fold_memory_accesses()",
    "SELECT cogdb.compact_tenant_stats()", "SELECT cogdb.stats_document(%(t)s::uuid)",
]


@pytest.mark.parametrize("statement", OWNER_ONLY,
                         ids=["reindex_text", "fold", "compact_stats", "stats_document"])
def test_owner_only_functions_are_out_of_reach(app_conn, admin, db, tenants, graph, statement):
    params = {"t": str(tenants.a)}
    assert refused(app_conn, statement, params, tenant=tenants.a) == "42501"
    with pytest.raises(cogdb.CogdbError) as info:
        admin._one(statement, params)
    assert info.value.sqlstate == "42501"
    # control: the owner (as `cogdb maintain` and set_tenant_setting run them) may
    with psycopg.connect(db.url(), autocommit=True) as conn:
        conn.execute("SET ROLE cogdb_owner")
        conn.execute(statement, params)


def test_deleting_a_user_takes_their_private_knowledge_and_keeps_the_shared(app_conn, admin,
                                                                            tenants, graph):
    q = ("SELECT count(*) FILTER (WHERE visibility = 'private'), count(*)"
         " FROM cogdb.{}")
    before_e = _rows(app_conn, q.format("entities"), tenant=tenants.a, user=tenants.a1)[0]
    assert before_e == (1, 3)
    assert admin.delete_user(tenants.a, tenants.a1) is True
    assert _rows(app_conn, q.format("entities"), tenant=tenants.a)[0] == (0, 2)
    assert _rows(app_conn, q.format("relationships"), tenant=tenants.a)[0] == (0, 4)
    assert _rows(app_conn, "SELECT owner_user_id FROM cogdb.entities WHERE external_id ="
                 " 'Acme'", tenant=tenants.a) == [(None,)]
    assert _rows(app_conn, q.format("entities"), tenant=tenants.b)[0] == (0, 2)   # untouched


# --------------------------------------------------------------------------- graph reads

def test_list_entities_and_entity_relations_stay_inside_the_context(app_conn, tenants, graph):
    names = "SELECT external_id FROM cogdb.list_entities()"
    assert _set(app_conn, names, tenant=tenants.b, user=tenants.b1) == {"Acme", "Globex"}
    assert _set(app_conn, names, tenant=tenants.a, user=tenants.a2) == {"Acme", "Globex"}
    assert _set(app_conn, names, tenant=tenants.a, user=tenants.a1) == {  # control
        "A1 Secret", "Acme", "Globex"}
    assert _set(app_conn, names) == set()
    obs = "SELECT unnest(observations) FROM cogdb.list_entities(containing => 'acme')"
    assert _set(app_conn, obs, tenant=tenants.b) == {"acme in B"}
    assert _set(app_conn, obs, tenant=tenants.a) == {"acme in A"}

    rels = ("SELECT from_external_id, type, to_external_id"
            " FROM cogdb.entity_relations(ARRAY['Acme', 'Globex', 'A1 Secret'])")
    shared = {("Acme", "relates_to", "Globex")}
    assert _set(app_conn, rels, tenant=tenants.b, user=tenants.b1) == set()
    assert _set(app_conn, rels, tenant=tenants.a, user=tenants.a2) == shared
    assert _set(app_conn, rels, tenant=tenants.a, user=tenants.a1) == shared | {  # control
        ("Globex", "depends_on", "Acme")}
    assert _set(app_conn, rels) == set()


def test_observations_are_removed_only_inside_the_context(app_conn, tenants, graph):
    # by hand: a DELETE reaches exactly what a SELECT sees (the fence, the entity's
    # visibility), though the id of Acme is the same in both tenants
    delete = "DELETE FROM cogdb.entity_observations RETURNING observation"
    assert _set(app_conn, delete, tenant=tenants.a, user=tenants.a2) == {"acme in A"}
    assert _set(app_conn, delete, tenant=tenants.b, user=tenants.b1) == {"acme in B"}
    assert _set(app_conn, delete, tenant=tenants.a, user=tenants.a1) == {  # control
        "acme in A", "a1 only"}
    assert _set(app_conn, delete) == set()
    # through forget_observations: another user's private entity and another tenant's
    # observation are not there to remove
    forget = "SELECT cogdb.forget_observations(%s, %s)"
    assert _rows(app_conn, forget, ("name:A1 Secret", ["a1 only"]), tenant=tenants.a,
                 user=tenants.a2) == [(0,)]
    assert _rows(app_conn, forget, ("name:Acme", ["acme in A"]), tenant=tenants.b,
                 user=tenants.b1) == [(0,)]
    assert _rows(app_conn, forget, ("name:A1 Secret", ["a1 only"]), tenant=tenants.a,
                 user=tenants.a1) == [(1,)]                                 # control
    assert _rows(app_conn, forget, ("name:Acme", ["acme in B"]), tenant=tenants.b,
                 user=tenants.b1) == [(1,)]                                 # control
    assert refused(app_conn, forget, ("name:Acme", ["acme in A"])) == "CGA01"
