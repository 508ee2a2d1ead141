"""Sharing entities and their observations (revision 0022), as the app login: a grant's
entity criteria (entity_types, entity_ids) let the grantee read the source's tenant-visible
entities they cover, with their observations, only in calls that ask (get_entity,
list_entities with include_shared, or share_request(true) by hand); never a private entity;
memory criteria never share an entity and entity criteria never a memory; no write reaches a
shared entity or observation. Each negative sits beside its positive control. These run in
the policy-mutation runs with the rest of tests/isolation/: a loosened
entities__tenant_fence, entities__own_updates, entities__own_deletes,
entity_observations__tenant_fence or entity_observations__own_deletes fails here."""
from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import psycopg
import pytest
from helpers import SET_CONTEXT, assert_rls_applies, refused, vec

ASK = "SELECT cogdb.share_request(true)"
ENTITIES = "SELECT external_id, tenant_id FROM cogdb.entities ORDER BY 2, 1"
OBSERVATIONS = ("SELECT entity_id, observation, tenant_id FROM cogdb.entity_observations"
                " ORDER BY 3, 1, 2")
GET = "SELECT name, tenant_id, observations, aliases FROM cogdb.get_entity(%s, %s::boolean)"
LIST = ("SELECT name, tenant_id, observations FROM cogdb.list_entities(NULL, 100, NULL,"
        " %s::boolean)")


def _rows(conn, query, params=(), tenant=None, user=None, ask=False) -> list[tuple]:
    """Rows of ``query`` in the tenant's context (none: no context), rolled back."""
    conn.autocommit = True
    assert_rls_applies(conn)
    with conn.transaction(force_rollback=True):
        if tenant is not None:
            conn.execute(SET_CONTEXT, (str(tenant), None if user is None else str(user)))
        if ask:
            conn.execute(ASK)
        return conn.execute(query, params).fetchall()


def _ask_error(conn, query, params, tenant) -> str | None:
    """The SQLSTATE ``query`` fails with in the tenant's context after asking for shared rows
    (None if it succeeds); rolled back."""
    conn.autocommit = True
    assert_rls_applies(conn)
    try:
        with conn.transaction(force_rollback=True):
            conn.execute(SET_CONTEXT, (str(tenant), None))
            conn.execute(ASK)
            conn.execute(query, params)
    except psycopg.Error as exc:
        return exc.sqlstate
    return None


def _names(conn, query=ENTITIES, params=(), **ctx) -> set[tuple[str, uuid.UUID]]:
    return {(r[0], r[1]) for r in _rows(conn, query, params, **ctx)}


def _entity(conn, tenant, name, entity_type, observations, user=None, visibility="tenant"):
    conn.autocommit = True
    with conn.transaction():
        conn.execute(SET_CONTEXT, (str(tenant), None if user is None else str(user)))
        return conn.execute("SELECT id FROM cogdb.upsert_entity(%s, entity_type => %s,"
                            " observations => %s, visibility => %s)",
                            (name, entity_type, observations, visibility)).fetchone()[0]


@pytest.fixture
def share(admin, app_conn):
    """src shares with dst (both level shared); other has no grant; strict is strict. src has
    Alice (person, 2 observations), Bob (person, private to src_user), Apollo (project) and a
    memory m-1 tagged x; dst has Dora (person) and a memory."""
    tag = uuid.uuid4().hex[:8]
    made = {name: admin.create_tenant(f"{name} {tag}", isolation_level=level).id
            for name, level in (("src", "shared"), ("dst", "shared"), ("other", "shared"),
                                ("strict", "strict"))}
    ns = SimpleNamespace(**made, admin=admin)
    ns.src_user = admin.create_user(ns.src, email=f"u-{tag}@src.example").id
    ns.alice = _entity(app_conn, ns.src, "Alice", "person", ["likes tea", "lives in Oslo"])
    ns.bob = _entity(app_conn, ns.src, "Bob", "person", ["secret"], user=ns.src_user,
                     visibility="private")
    ns.apollo = _entity(app_conn, ns.src, "Apollo", "project", ["due in May"])
    ns.dora = _entity(app_conn, ns.dst, "Dora", "person", ["own fact"])
    with app_conn.transaction():
        app_conn.execute(SET_CONTEXT, (str(ns.src), None))
        app_conn.execute("SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                         (json.dumps([{"id": "m-1", "human_content": "m-1", "tags": ["x"]}]),
                          [vec(1)]))
    return ns


def _grant(share, **scope):
    return share.admin.grant_share(share.src, share.dst, **scope)


# --------------------------------------------------------------------------- reads

def test_an_entity_grant_shows_covered_entities_only_when_asked(app_conn, share):
    own = {("Dora", share.dst)}
    # No grant: asking changes nothing.
    assert _names(app_conn, tenant=share.dst, ask=True) == own
    _grant(share, entity_types=["person"])
    # Not asked: a plain SELECT still sees its own tenant only.
    assert _names(app_conn, tenant=share.dst) == own
    # Asked: Alice (person) is added; Bob (private) and Apollo (project) are not.
    assert _names(app_conn, tenant=share.dst, ask=True) == own | {("Alice", share.src)}
    # A tenant without a grant sees none of src's, asking or not.
    assert _names(app_conn, tenant=share.other, ask=True) == set()
    # The source sees its own as before (Bob only for his owner).
    assert _names(app_conn, tenant=share.src) == {("Alice", share.src), ("Apollo", share.src)}


def test_entity_ids_and_types_narrow_together_and_never_share_private(app_conn, share):
    _grant(share, entity_ids=[share.apollo, share.bob])
    assert _names(app_conn, tenant=share.dst, ask=True) == {("Dora", share.dst),
                                                           ("Apollo", share.src)}
    _grant(share, entity_types=["person"], entity_ids=[share.apollo, share.bob])
    # person AND in the ids: only Bob, who is private: nothing more.
    assert _names(app_conn, tenant=share.dst, ask=True) == {("Dora", share.dst),
                                                           ("Apollo", share.src)}


def test_memory_criteria_share_no_entity_and_entity_criteria_no_memory(app_conn, share):
    memories = "SELECT id, tenant_id FROM cogdb.memories ORDER BY 1"
    _grant(share, tags=["x"])
    assert ("m-1", share.src) in _names(app_conn, memories, tenant=share.dst, ask=True)
    assert _names(app_conn, tenant=share.dst, ask=True) == {("Dora", share.dst)}
    share.admin.revoke_share(share.src, share.admin.list_shares(share.src)[0]["id"])
    _grant(share, entity_types=["person", "project"])
    assert _names(app_conn, memories, tenant=share.dst, ask=True) == set()
    assert {n for n, _ in _names(app_conn, tenant=share.dst, ask=True)} == {
        "Dora", "Alice", "Apollo"}


def test_observations_follow_their_entitys_grant(app_conn, share):
    _grant(share, entity_ids=[share.alice])
    own = [(share.dora, "own fact", share.dst)]
    assert _rows(app_conn, OBSERVATIONS, tenant=share.dst) == own
    assert set(_rows(app_conn, OBSERVATIONS, tenant=share.dst, ask=True)) == set(own) | {
        (share.alice, "likes tea", share.src), (share.alice, "lives in Oslo", share.src)}
    # Apollo's and Bob's observations stay in src, even named directly.
    assert _rows(app_conn, "SELECT observation FROM cogdb.entity_observations"
                 " WHERE tenant_id = %s AND entity_id = ANY (%s)",
                 (share.src, [share.apollo, share.bob]), tenant=share.dst, ask=True) == []
    assert len(_rows(app_conn, "SELECT observation FROM cogdb.entity_observations"
                     " WHERE tenant_id = %s AND entity_id = ANY (%s)",
                     (share.src, [share.apollo, share.bob]), tenant=share.src,
                     user=share.src_user)) == 2


def test_get_entity_and_list_entities_include_shared(app_conn, share):
    assert _rows(app_conn, GET, ("name:Alice", True), tenant=share.dst) == []
    _grant(share, entity_types=["person"])
    assert _rows(app_conn, GET, ("name:Alice", False), tenant=share.dst) == []
    assert _rows(app_conn, GET, ("name:Alice", True), tenant=share.dst) == [
        ("Alice", share.src, ["likes tea", "lives in Oslo"], [])]
    assert _rows(app_conn, GET, (f"entity:{share.bob}", True), tenant=share.dst) == []
    assert _rows(app_conn, GET, ("name:Apollo", True), tenant=share.dst) == []
    # The own tenant's entity of a key comes first and alone.
    assert _rows(app_conn, GET, ("name:Dora", True), tenant=share.dst) == [
        ("Dora", share.dst, ["own fact"], [])]
    assert _rows(app_conn, LIST, (False,), tenant=share.dst) == [
        ("Dora", share.dst, ["own fact"])]
    assert _rows(app_conn, LIST, (True,), tenant=share.dst) == [
        ("Alice", share.src, ["likes tea", "lives in Oslo"]), ("Dora", share.dst, ["own fact"])]
    # The request lasted for the call only: the next plain statement sees its own tenant.
    assert _rows(app_conn, "SELECT count(*) FROM cogdb.list_entities(NULL, 100, NULL, true)"
                 " UNION ALL SELECT count(*) FROM cogdb.entities", tenant=share.dst) == [
        (2,), (1,)]


def test_revocation_and_expiry_apply_at_the_next_statement(app_conn, db, share):
    grant = _grant(share, entity_types=["person"])
    assert ("Alice", share.src) in _names(app_conn, tenant=share.dst, ask=True)
    share.admin.revoke_share(share.src, grant)
    assert _names(app_conn, tenant=share.dst, ask=True) == {("Dora", share.dst)}
    assert _rows(app_conn, OBSERVATIONS, tenant=share.dst, ask=True) == [
        (share.dora, "own fact", share.dst)]
    grant = _grant(share, entity_types=["person"])
    assert ("Alice", share.src) in _names(app_conn, tenant=share.dst, ask=True)
    for table in ("share_grants", "share_receipts"):
        db.super.execute(f"UPDATE cogdb.{table} SET created_at = now() - interval '1 hour',"
                         " expires_at = now() - interval '1 second' WHERE id = %s", (grant,))
    assert _names(app_conn, tenant=share.dst, ask=True) == {("Dora", share.dst)}


# --------------------------------------------------------------------------- writes

def test_no_write_reaches_a_shared_entity_or_observation(app_conn, db, share):
    _grant(share, entity_types=["person"])
    snapshot = ("SELECT e.xmin::text, e.name, e.data::text, array_agg(o.observation ORDER BY"
                " o.observation) FROM cogdb.entities e LEFT JOIN cogdb.entity_observations o"
                " ON o.tenant_id = e.tenant_id AND o.entity_id = e.id WHERE e.tenant_id = %s"
                " GROUP BY 1, 2, 3 ORDER BY 2")
    before = db.super.execute(snapshot, (share.src,)).fetchall()
    where = "tenant_id = %s AND id = %s"
    # Positive control: asking, dst reads Alice …
    assert _rows(app_conn, f"SELECT name FROM cogdb.entities WHERE {where}",
                 (share.src, share.alice), tenant=share.dst, ask=True) == [("Alice",)]
    # … and reaches none of her to change, lock or delete, nor her observations.
    for statement in (f"UPDATE cogdb.entities SET name = 'x' WHERE {where} RETURNING id",
                      f"DELETE FROM cogdb.entities WHERE {where} RETURNING id",
                      f"SELECT id FROM cogdb.entities WHERE {where} FOR UPDATE",
                      f"SELECT id FROM cogdb.entities WHERE {where} FOR SHARE",
                      "DELETE FROM cogdb.entity_observations WHERE tenant_id = %s"
                      " AND entity_id = %s RETURNING observation"):
        assert _rows(app_conn, statement, (share.src, share.alice), tenant=share.dst,
                     ask=True) == [], statement
    # Its own rows it does change (the same statements).
    assert _rows(app_conn, f"UPDATE cogdb.entities SET name = 'x' WHERE {where} RETURNING id",
                 (share.dst, share.dora), tenant=share.dst, ask=True) == [(share.dora,)]
    assert _rows(app_conn, "DELETE FROM cogdb.entity_observations WHERE tenant_id = %s"
                 " AND entity_id = %s RETURNING observation", (share.dst, share.dora),
                 tenant=share.dst, ask=True) == [("own fact",)]
    assert _rows(app_conn, f"DELETE FROM cogdb.entities WHERE {where} RETURNING id",
                 (share.dst, share.dora), tenant=share.dst, ask=True) == [(share.dora,)]
    # The write functions name their own tenant: a shared key is not theirs.
    assert _rows(app_conn, "SELECT cogdb.forget_entity('name:Alice')", tenant=share.dst,
                 ask=True) == [(False,)]
    assert _rows(app_conn, "SELECT cogdb.forget_observations('name:Alice', ARRAY['likes tea'])",
                 tenant=share.dst, ask=True) == [(0,)]
    for statement in ("SELECT * FROM cogdb.merge_entities('name:Dora', 'name:Alice')",
                      "SELECT * FROM cogdb.relate('name:Dora', 'name:Alice', 'relates_to')"):
        assert _ask_error(app_conn, statement, (), share.dst) == "CGN01", statement
    # upsert_entity of the same key writes the grantee's own entity, never the source's.
    assert _rows(app_conn, "SELECT created FROM cogdb.upsert_entity('Alice',"
                 " observations => ARRAY['planted'])", tenant=share.dst, ask=True) == [(True,)]
    # Rows naming the source tenant are refused outright.
    assert refused(app_conn, "INSERT INTO cogdb.entities (tenant_id, id, external_id, name)"
                   " VALUES (%s, cogdb.entity_id_for('', 'Zed'), 'Zed', 'Zed')",
                   (share.src,), tenant=share.dst) in ("CGA02", "42501")
    assert _ask_error(app_conn, "INSERT INTO cogdb.entity_observations (tenant_id, entity_id,"
                      " observation) VALUES (%s, %s, 'planted')", (share.src, share.alice),
                      share.dst) in ("CGA02", "42501")
    assert db.super.execute(snapshot, (share.src,)).fetchall() == before


# --------------------------------------------------------------------------- grants

def test_entity_criteria_are_checked_and_strict_tenants_refused(app_conn, share):
    for scope, field in (({"entity_ids": ["Alice"]}, "entity_ids"),
                         ({"entity_types": [""]}, "entity_types"),
                         ({"entity_types": ["x" * 101]}, "entity_types")):
        with pytest.raises(Exception) as info:
            _grant(share, **scope)
        assert getattr(info.value, "field", None) == field, scope
    with pytest.raises(Exception) as info:
        share.admin.grant_share(share.src, share.strict, entity_types=["person"])
    assert getattr(info.value, "sqlstate", None) == "CGF01"
    assert share.admin.list_shares(share.src) == []
    # The grantee's admin can re-share its own entities, never the source's.
    share.admin.grant_share(share.dst, share.other, entity_types=["person"])
    _grant(share, entity_types=["person"])
    assert _names(app_conn, tenant=share.other, ask=True) == {("Dora", share.dst)}


def test_a_shared_entity_read_is_noted_in_the_sources_chain(app_conn, db, share):
    _grant(share, entity_types=["person"])
    _rows(app_conn, GET, ("name:Alice", True), tenant=share.dst)
    _rows(app_conn, LIST, (True,), tenant=share.dst)
    _rows(app_conn, LIST, (False,), tenant=share.dst)           # not asked: no note
    # note_shared_read commits with the caller's transaction: these ran rolled back.
    assert db.super.execute("SELECT count(*) FROM cogdb.audit_records WHERE tenant_id = %s"
                            " AND action = 'share.read'", (share.src,)).fetchone()[0] == 0
    app_conn.autocommit = True
    with app_conn.transaction():
        app_conn.execute(SET_CONTEXT, (str(share.dst), None))
        app_conn.execute(GET, ("name:Alice", True)).fetchall()
        app_conn.execute(LIST, (True,)).fetchall()
    notes = db.super.execute("SELECT details FROM cogdb.audit_records WHERE tenant_id = %s"
                             " AND action = 'share.read' ORDER BY seq", (share.src,)).fetchall()
    assert [(n[0]["via"], n[0].get("entities"), n[0]["grantee"]) for n in notes] == [
        ("get_entity", 1, str(share.dst)), ("list_entities", 1, str(share.dst))]
    assert "Alice" not in json.dumps([n[0] for n in notes])


def test_no_context_reads_no_shared_entity(app_conn, share):
    _grant(share, entity_types=["person"])
    assert _rows(app_conn, ENTITIES) == []
    assert _rows(app_conn, ENTITIES, ask=True) == []
    assert _names(app_conn, tenant=share.dst, ask=True) == {("Alice", share.src),
                                                            ("Dora", share.dst)}


# --------------------------------------------------------------------------- hybrid search

HYBRID = ("SELECT kind, id, tenant_id FROM cogdb.hybrid_search(query_text => %s,"
          " query_vector => %s::vector, k => 50, include_shared => %s::boolean)")


def _memories(conn, tenant, rows, user=None) -> None:
    conn.autocommit = True
    with conn.transaction():
        conn.execute(SET_CONTEXT, (str(tenant), None if user is None else str(user)))
        conn.execute("SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                     (json.dumps(rows), [vec(i + 2) for i in range(len(rows))]))


@pytest.fixture
def texts(share, app_conn):
    """src: zebra memories tagged x (shared by tag), tagged y (not), private (never), and
    entities Zebra Corp (person) and Zebra Works (project); dst: its own zebra memory."""
    _memories(app_conn, share.src, [
        {"id": "z-x", "human_content": "zebra crossing alpha", "tags": ["x"]},
        {"id": "z-y", "human_content": "zebra crossing beta", "tags": ["y"]},
        {"id": "z-p", "human_content": "zebra crossing gamma", "tags": ["x"],
         "visibility": "private"}], user=share.src_user)
    _entity(app_conn, share.src, "Zebra Corp", "person", ["crossing delta"])
    _entity(app_conn, share.src, "Zebra Works", "project", ["crossing epsilon"])
    _memories(app_conn, share.dst, [{"id": "z-own", "human_content": "zebra own"}])
    return share


def _keys(rows):
    return {(r[0], r[1], r[2]) for r in rows}


def test_hybrid_search_text_half_matches_only_covered_rows(app_conn, texts):
    s = texts
    own = {("memory", "z-own", s.dst)}
    # No grant: asking changes nothing.
    assert _keys(_rows(app_conn, HYBRID, ("zebra", None, True), tenant=s.dst)) == own
    _grant(s, tags=["x"], entity_types=["person"])
    corp = _rows(app_conn, "SELECT id FROM cogdb.entities WHERE name = 'Zebra Corp'",
                 tenant=s.src)[0][0]
    assert _keys(_rows(app_conn, HYBRID, ("zebra", None, False), tenant=s.dst)) == own
    assert _keys(_rows(app_conn, HYBRID, ("zebra", None, True), tenant=s.dst)) == own | {
        ("memory", "z-x", s.src), ("entity", corp, s.src)}
    # A token only uncovered rows hold matches nothing: beta (tag y), gamma (private),
    # epsilon (a project's observation).
    for word in ("beta", "gamma", "epsilon"):
        assert _rows(app_conn, HYBRID, (word, None, True), tenant=s.dst) == [], word
    # Positive control: the source finds them (gamma is its user's private memory).
    for word in ("beta", "epsilon"):
        assert _rows(app_conn, HYBRID, (word, None, False), tenant=s.src) != [], word
    # The definer itself: nothing unless asked, and then the covered rows only.
    cand = "SELECT tenant_id, kind, id FROM cogdb.shared_text_candidates(cogdb.text_query(%s))"
    assert _rows(app_conn, cand, ("crossing",), tenant=s.dst) == []
    assert _keys(_rows(app_conn, cand, ("crossing",), tenant=s.dst, ask=True)) == {
        (s.src, "memory", "z-x"), (s.src, "entity", corp)}
    assert _rows(app_conn, cand, ("crossing",), tenant=s.other, ask=True) == []


def test_hybrid_search_vector_half_shares_like_search(app_conn, texts):
    s = texts
    _grant(s, tags=["x"])
    q = vec(2)  # z-x's vector
    got = _keys(_rows(app_conn, HYBRID, (None, q, True), tenant=s.dst))
    # Tagged x: z-x and the fixture's m-1; never z-y (tag y) or z-p (private).
    assert {k for k in got if k[2] == s.src} == {("memory", "z-x", s.src),
                                                 ("memory", "m-1", s.src)}
    assert _keys(_rows(app_conn, HYBRID, (None, q, False), tenant=s.dst)) == {
        ("memory", "z-own", s.dst)}


def test_shared_text_is_matched_as_the_source_matches_its_own(app_conn, share):
    """Recall on shared data: with a grant covering everything a tenant holds, the grantee's
    hybrid search finds in it exactly what the tenant finds for itself, in the same order."""
    words = ["apple", "pear", "plum", "fig", "kiwi", "lime"]
    rows = [{"id": f"f-{i}", "human_content": " ".join(words[j % 6] for j in range(i, i + 3)),
             "tags": ["all"]} for i in range(60)]
    _memories(app_conn, share.src, rows)
    _grant(share, tags=["all"])
    query = ("SELECT id FROM cogdb.hybrid_search(query_text => %s, k => 40,"
             " include_entities => false, include_shared => %s::boolean) WHERE tenant_id = %s")
    for q in ("apple pear", "kiwi", "fig -lime", "plum or fig"):
        own = _rows(app_conn, query, (q, False, share.src), tenant=share.src)
        shared = _rows(app_conn, query, (q, True, share.src), tenant=share.dst)
        assert own and shared == own, q
