"""Sharing between tenants (revision 0015), as the app login: what a read grant shows, to
whom, through which paths, and what it never allows. memories__tenant_fence widens to "own
tenant, or a live grant covering this row" only for calls that ask (search/get with
include_shared); a plain SELECT sees its own tenant; no write reaches a shared row; grants
and their copies are fenced like every tenant table. Each negative sits beside its positive
control. These run in the policy-mutation runs with the rest of tests/isolation/: a
loosened memories__tenant_fence, memories__owner_updates, memories__owner_deletes,
share_grants or share_receipts fence fails here."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import psycopg
import pytest
from helpers import SET_CONTEXT, assert_rls_applies, explained, refused, vec

import cogdb

#: The flag search/get set for their own statements (cogdb.share_request); set by hand here
#: to prove that even a caller who asks for shared rows cannot write them.
ASK = "SELECT cogdb.share_request(true)"


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


def _ids(conn, query, params=(), **ctx) -> set[str]:
    return {r[0] for r in _rows(conn, query, params, **ctx)}


def _put(conn, tenant, rows, user=None) -> None:
    conn.autocommit = True
    with conn.transaction():
        conn.execute(SET_CONTEXT, (str(tenant), None if user is None else str(user)))
        vectors = [vec(r.pop("hot")) for r in rows]
        conn.execute("SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                     (json.dumps([{"human_content": r["id"], **r} for r in rows]), vectors))


SEARCH = ("SELECT id, tenant_id FROM cogdb.search(%s::vector, 50,"
          " include_shared => %s::boolean)")
GET = "SELECT id, tenant_id FROM cogdb.get(%s::text, %s::boolean)"


@pytest.fixture
def share(admin, app_conn):
    """Tenants at level shared: src (the granting one), dst (the grantee), other (no
    grant); strict (level strict). src has a covered memory (type ctx[0], tag project-x), a
    private one of the same type and tag, one of type ctx[1] tagged hr, and one only an
    explicit id grant names; dst and other have one memory each."""
    tag = uuid.uuid4().hex[:8]
    made = {name: admin.create_tenant(f"{name} {tag}", isolation_level=level).id
            for name, level in (("src", "shared"), ("dst", "shared"), ("other", "federated"),
                                ("strict", "strict"))}
    ns = SimpleNamespace(**made)
    ns.src_user = admin.create_user(ns.src, email=f"u-{tag}@src.example").id
    ns.ctx = _rows(app_conn, "SELECT cogdb.allowed_values('context_type')")[0][0][:2]
    _put(app_conn, ns.src, [
        {"id": "s-kept", "context_type": ns.ctx[0], "tags": ["project-x"], "hot": 1},
        {"id": "s-private", "context_type": ns.ctx[0], "tags": ["project-x"], "hot": 2,
         "visibility": "private"},
        {"id": "s-hr", "context_type": ns.ctx[1], "tags": ["hr"], "hot": 3},
        {"id": "s-named", "context_type": ns.ctx[1], "hot": 4},
    ], user=ns.src_user)
    _put(app_conn, ns.dst, [{"id": "d-own", "hot": 5}])
    _put(app_conn, ns.other, [{"id": "o-own", "hot": 6}])
    ns.admin = admin
    return ns


def _grant(share, **scope):
    return share.admin.grant_share(share.src, share.dst, **scope)


def _expire(db, grant) -> None:
    """Backdates a grant (both sides) so that it expired a second ago: setup as superuser."""
    for table in ("share_grants", "share_receipts"):
        db.super.execute(f"UPDATE cogdb.{table} SET created_at = now() - interval '1 hour',"
                         " expires_at = now() - interval '1 second' WHERE id = %s", (grant,))


# --------------------------------------------------------------------------- reads

def test_search_shows_what_a_live_grant_covers_only_when_asked(app_conn, share):
    q = vec(1)
    # Without a grant: asking changes nothing.
    assert _ids(app_conn, SEARCH, (q, True), tenant=share.dst) == {"d-own"}
    _grant(share, context_types=[share.ctx[0]], tags=["project-x"])
    rows = _rows(app_conn, SEARCH, (q, True), tenant=share.dst)
    assert set(rows) == {("d-own", share.dst), ("s-kept", share.src)}  # labelled
    # Not asked: own rows only; another tenant holds no grant: own rows only.
    assert _ids(app_conn, SEARCH, (q, False), tenant=share.dst) == {"d-own"}
    assert _ids(app_conn, SEARCH, (q, True), tenant=share.other) == {"o-own"}
    # The granting tenant's own search is unchanged.
    assert _ids(app_conn, SEARCH, (q, True), tenant=share.src, user=share.src_user) == {
        "s-kept", "s-private", "s-hr", "s-named"}


def test_plain_select_sees_only_its_own_tenant_even_with_a_grant(app_conn, share):
    _grant(share, context_types=[share.ctx[0], share.ctx[1]])
    plain = "SELECT id FROM cogdb.memories"
    assert _ids(app_conn, plain, tenant=share.dst) == {"d-own"}
    assert _ids(app_conn, plain) == set()
    # Positive control: the same SELECT, asking, sees the grant's rows (and never private).
    assert _ids(app_conn, plain, tenant=share.dst, ask=True) == {
        "d-own", "s-kept", "s-hr", "s-named"}
    # After search/get returned, the request is over: the next statement sees its own rows.
    with app_conn.transaction(force_rollback=True):
        app_conn.execute(SET_CONTEXT, (str(share.dst), None))
        assert len(app_conn.execute(SEARCH, (vec(1), True)).fetchall()) == 4
        assert {r[0] for r in app_conn.execute(plain)} == {"d-own"}
        assert app_conn.execute(GET, ("s-kept", True)).fetchall() == [("s-kept", share.src)]
        assert {r[0] for r in app_conn.execute(plain)} == {"d-own"}


@pytest.mark.parametrize("scope, visible", [
    ({"tags": ["project-x"]}, {"s-kept"}),
    ({"tags": ["hr", "project-x"]}, {"s-kept", "s-hr"}),
    ({"context_types": ["ctx1"]}, {"s-hr", "s-named"}),
    ({"context_types": ["ctx1"], "tags": ["hr"]}, {"s-hr"}),
    ({"memory_ids": ["s-named", "s-private", "nope"]}, {"s-named"}),
])
def test_a_grant_covers_every_criterion_it_names_and_never_private(app_conn, share, scope,
                                                                    visible):
    scope = {k: [share.ctx[1] if v == "ctx1" else v for v in vs] for k, vs in scope.items()}
    _grant(share, **scope)
    assert _ids(app_conn, SEARCH, (vec(1), True), tenant=share.dst) == {"d-own"} | visible


def test_get_of_a_shared_id_with_a_grant_without_and_when_not_asked(app_conn, share):
    assert _rows(app_conn, GET, ("s-kept", True), tenant=share.dst) == []
    _grant(share, tags=["project-x"])
    assert _rows(app_conn, GET, ("s-kept", True), tenant=share.dst) == [("s-kept", share.src)]
    assert _rows(app_conn, GET, ("s-kept", False), tenant=share.dst) == []
    assert _rows(app_conn, GET, ("s-private", True), tenant=share.dst) == []
    assert _rows(app_conn, GET, ("s-hr", True), tenant=share.dst) == []
    assert _rows(app_conn, GET, ("s-kept", True), tenant=share.other) == []
    # Its own id first: dst's own memory of that id hides nothing and is never replaced.
    assert _rows(app_conn, GET, ("d-own", True), tenant=share.dst) == [("d-own", share.dst)]


def test_revocation_applies_at_the_grantees_next_statement(app_conn, share):
    grant = _grant(share, tags=["project-x"])
    app_conn.autocommit = True
    with app_conn.transaction(force_rollback=True):
        app_conn.execute(SET_CONTEXT, (str(share.dst), None))
        assert {r[0] for r in app_conn.execute(SEARCH, (vec(1), True))} == {"d-own", "s-kept"}
        assert share.admin.revoke_share(share.src, grant) is True
        assert {r[0] for r in app_conn.execute(SEARCH, (vec(1), True))} == {"d-own"}
        assert app_conn.execute(GET, ("s-kept", True)).fetchall() == []
    assert share.admin.revoke_share(share.src, grant) is False


def test_an_expired_grant_shows_nothing(app_conn, db, share):
    grant = _grant(share, tags=["project-x"], expires_at=datetime.now(UTC) + timedelta(days=1))
    assert "s-kept" in _ids(app_conn, SEARCH, (vec(1), True), tenant=share.dst)
    _expire(db, grant)
    assert _ids(app_conn, SEARCH, (vec(1), True), tenant=share.dst) == {"d-own"}
    assert _rows(app_conn, GET, ("s-kept", True), tenant=share.dst) == []
    assert _ids(app_conn, "SELECT id FROM cogdb.memories", tenant=share.dst, ask=True) == {
        "d-own"}


def test_a_shared_memory_past_its_own_expiry_is_not_shown(app_conn, db, share):
    _grant(share, tags=["project-x"])
    assert "s-kept" in _ids(app_conn, SEARCH, (vec(1), True), tenant=share.dst)
    with db.super.transaction():  # setup as superuser, past memories' own triggers
        db.super.execute("SET LOCAL session_replication_role = replica")
        db.super.execute("UPDATE cogdb.memories SET created_at = now() - interval '1 hour',"
                         " expires_at = now() - interval '1 second'"
                         " WHERE tenant_id = %s AND id = 's-kept'", (share.src,))
    assert _ids(app_conn, SEARCH, (vec(1), True), tenant=share.dst) == {"d-own"}
    assert _ids(app_conn, "SELECT id FROM cogdb.memories", tenant=share.dst, ask=True) == {
        "d-own"}


# --------------------------------------------------------------------------- writes

def test_no_write_reaches_a_shared_row_even_when_asking(app_conn, db, share):
    _grant(share, tags=["project-x"])
    where = "tenant_id = %s AND id = 's-kept'"
    before = db.super.execute(f"SELECT summary, xmin::text FROM cogdb.memories WHERE {where}",
                              (share.src,)).fetchone()
    # Positive control: asking, the dst context reads the row …
    assert _rows(app_conn, f"SELECT id FROM cogdb.memories WHERE {where}", (share.src,),
                 tenant=share.dst, ask=True) == [("s-kept",)]
    # … and reaches none of it to change, lock or delete; its own row it does.
    for statement in (f"UPDATE cogdb.memories SET summary = 'x' WHERE {where} RETURNING id",
                      f"DELETE FROM cogdb.memories WHERE {where} RETURNING id",
                      f"SELECT id FROM cogdb.memories WHERE {where} FOR UPDATE",
                      f"SELECT id FROM cogdb.memories WHERE {where} FOR SHARE"):
        assert _rows(app_conn, statement, (share.src,), tenant=share.dst, ask=True) == [], (
            statement)
    assert _rows(app_conn, "UPDATE cogdb.memories SET summary = 'x' WHERE id = 'd-own'"
                 " RETURNING id", tenant=share.dst, ask=True) == [("d-own",)]
    assert _rows(app_conn, "DELETE FROM cogdb.memories WHERE id = 'd-own' RETURNING id",
                 tenant=share.dst, ask=True) == [("d-own",)]
    # forget() names its own tenant: a shared id is not its to forget.
    assert _rows(app_conn, "SELECT cogdb.forget('s-kept')", tenant=share.dst, ask=True) in (
        [(False,)], [(0,)])
    # Writing a row into the granting tenant is refused outright.
    assert refused(app_conn, "INSERT INTO cogdb.memories (tenant_id, id, human_content, model,"
                   " embedding) VALUES (%s, 'planted', 'x', 'cogdb-hash-384', %s)",
                   (share.src, vec(9)), tenant=share.dst) in ("CGA02", "42501")
    after = db.super.execute(f"SELECT summary, xmin::text FROM cogdb.memories WHERE {where}",
                             (share.src,)).fetchone()
    assert after == before
    assert db.super.execute("SELECT count(*) FROM cogdb.memories WHERE tenant_id = %s",
                            (share.src,)).fetchone()[0] == 4


# --------------------------------------------------------------------------- grants

def test_grants_and_receipts_are_visible_only_in_their_own_tenant(app_conn, share):
    grant = _grant(share, tags=["project-x"])
    grants = "SELECT id, grantee_id FROM cogdb.share_grants"
    receipts = "SELECT id, source_tenant_id FROM cogdb.share_receipts"
    assert _rows(app_conn, grants, tenant=share.src) == [(grant, share.dst)]
    assert _rows(app_conn, grants, tenant=share.dst) == []
    assert _rows(app_conn, grants, tenant=share.other) == []
    assert _rows(app_conn, grants) == []
    assert _rows(app_conn, receipts, tenant=share.dst) == [(grant, share.src)]
    assert _rows(app_conn, receipts, tenant=share.src) == []
    assert _rows(app_conn, receipts, tenant=share.other) == []
    assert _rows(app_conn, receipts) == []


@pytest.mark.parametrize("statement", [
    "UPDATE cogdb.share_receipts SET expires_at = NULL",
    "UPDATE cogdb.share_receipts SET tags = NULL, context_types = '{{a}}'",
    "DELETE FROM cogdb.share_receipts",
    "INSERT INTO cogdb.share_receipts (id, source_tenant_id, tags)"
    " VALUES (gen_random_uuid(), '{src}', '{{x}}')",
    "INSERT INTO cogdb.share_grants (grantee_id, tags) VALUES ('{other}', '{{x}}')",
    "UPDATE cogdb.share_grants SET expires_at = NULL",
    "SELECT cogdb.grant_share('{dst}', '{other}', memory_ids => '{{s-kept}}')",
    "SELECT cogdb.grant_share('{src}', '{dst}', tags => '{{project-x}}')",
    "SELECT cogdb.revoke_share('{src}', '{grant}')",
])
def test_the_recipient_cannot_extend_widen_or_reshare(app_conn, share, statement):
    grant = _grant(share, tags=["project-x"], expires_at=datetime.now(UTC) + timedelta(days=1))
    text = statement.format(src=share.src, dst=share.dst, other=share.other, grant=grant)
    assert refused(app_conn, text, tenant=share.dst) == "42501"
    # Positive control: still exactly the one time-boxed grant, and it still shows its row.
    rows = _rows(app_conn, "SELECT id, expires_at IS NOT NULL, tags FROM cogdb.share_receipts",
                 tenant=share.dst)
    assert rows == [(grant, True, ["project-x"])]
    assert "s-kept" in _ids(app_conn, SEARCH, (vec(1), True), tenant=share.dst)


def test_a_reshare_by_the_recipients_admin_shares_its_own_rows_only(app_conn, share):
    _grant(share, tags=["project-x"])
    # dst's admin grants other the ids of src's rows: ids name dst's own memories.
    share.admin.grant_share(share.dst, share.other, memory_ids=["s-kept", "d-own"])
    assert _ids(app_conn, SEARCH, (vec(1), True), tenant=share.other) == {"o-own", "d-own"}
    assert _rows(app_conn, GET, ("s-kept", True), tenant=share.other) == []
    assert _rows(app_conn, GET, ("d-own", True), tenant=share.other) == [("d-own", share.dst)]


def test_reasserting_a_time_boxed_grant_keeps_its_expiry(app_conn, share):
    soon = datetime.now(UTC) + timedelta(days=1)
    grant = _grant(share, tags=["project-x"], expires_at=soon)
    assert _grant(share, tags=["project-x"]) == grant
    assert _grant(share, tags=["project-x"], expires_at=soon + timedelta(days=30)) == grant
    expiry = "SELECT expires_at FROM cogdb.share_receipts WHERE id = %s"
    assert _rows(app_conn, expiry, (grant,), tenant=share.dst) == [(soon,)]
    # Positive control: an earlier expiry is taken (never later), on both sides.
    sooner = soon - timedelta(hours=12)
    assert _grant(share, tags=["project-x"], expires_at=sooner) == grant
    assert _rows(app_conn, expiry, (grant,), tenant=share.dst) == [(sooner,)]
    assert _rows(app_conn, "SELECT expires_at FROM cogdb.share_grants WHERE id = %s", (grant,),
                 tenant=share.src) == [(sooner,)]


def test_a_strict_tenant_neither_grants_nor_receives(app_conn, share):
    for src, dst, field in ((share.strict, share.dst, "tenant_id"),
                            (share.src, share.strict, "grantee_id")):
        with pytest.raises(cogdb.FeatureDisabled) as info:
            share.admin.grant_share(src, dst, tags=["project-x"])
        assert info.value.field == field
    assert share.admin.list_shares(share.strict) == []
    assert share.admin.list_shares(share.src) == []
    _put(app_conn, share.strict, [{"id": "x-own", "tags": ["project-x"], "hot": 7}])
    assert _ids(app_conn, SEARCH, (vec(1), True), tenant=share.strict) == {"x-own"}
    # Positive control: the same grant between two sharing tenants is made and shows.
    _grant(share, tags=["project-x"])
    assert "s-kept" in _ids(app_conn, SEARCH, (vec(1), True), tenant=share.dst)


def test_no_context_sees_no_grant_and_no_shared_row(app_conn, share):
    _grant(share, tags=["project-x"])
    assert _rows(app_conn, "SELECT cogdb.live_grants()") == [(None,)]
    assert _rows(app_conn, "SELECT id FROM cogdb.memories", ask=False) == []
    assert _rows(app_conn, "SELECT cogdb.live_grants()", ask=True) == [(None,)]
    assert _rows(app_conn, "SELECT cogdb.live_grants()", tenant=share.dst, ask=True) != [(None,)]


def test_the_sources_retention_hides_what_it_shares(app_conn, db, share):
    _grant(share, tags=["project-x", "hr"])
    with db.super.transaction():  # setup as superuser: both memories three days old
        db.super.execute("SET LOCAL session_replication_role = replica")
        db.super.execute("UPDATE cogdb.memories SET created_at = now() - interval '3 days'"
                         " WHERE tenant_id = %s AND id IN ('s-kept', 's-hr')", (share.src,))
    both = {"d-own", "s-kept", "s-hr"}
    assert _ids(app_conn, SEARCH, (vec(1), True), tenant=share.dst) == both
    # Positive control: a week's limit keeps both, for the grantee too.
    share.admin.set_retention(share.src, max_age="7 days")
    assert _ids(app_conn, SEARCH, (vec(1), True), tenant=share.dst) == both
    # A one-day limit on ctx[1]: the source no longer sees s-hr; the grantee sees neither
    # (conservatively, nothing older than the source's shortest max_age is shared).
    share.admin.set_retention(share.src, context_type=share.ctx[1], max_age="1 day")
    assert _ids(app_conn, "SELECT id FROM cogdb.memories WHERE id IN ('s-kept', 's-hr')",
                tenant=share.src) == {"s-kept"}
    assert _ids(app_conn, SEARCH, (vec(1), True), tenant=share.dst) == {"d-own"}
    assert _ids(app_conn, "SELECT id FROM cogdb.memories", tenant=share.dst, ask=True) == {
        "d-own"}
    assert _rows(app_conn, GET, ("s-kept", True), tenant=share.dst) == []


# --------------------------------------------------------------------------- side channels

def _removed(conn, query, params, tenant, user=None) -> tuple[int, float]:
    """EXPLAIN ANALYZE of ``query`` in the tenant's (and user's) context: the rows its
    filters removed (summed over the plan) and the rows it returned."""
    nodes = list(explained(conn, query, params, tenant=tenant, user=user))
    return (sum(node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
                for node in nodes), nodes[0]["Actual Rows"])


def test_explain_analyze_counts_no_row_of_another_tenant(app_conn, share):
    """The fence's first conjunct (tenant_id among readable_tenants()) is an index condition:
    a query naming another tenant reads none of its rows, so EXPLAIN ANALYZE cannot count
    them, private ones included, per tenant or per user. Control: the same measurement in
    the tenant's own context does count the rows a filter removes."""
    by_tenant = "SELECT id FROM cogdb.memories WHERE tenant_id = %s"
    by_user = by_tenant + " AND owner_user_id = %s"
    for tenant in (share.dst, share.strict):
        assert _removed(app_conn, by_tenant, (share.src,), tenant) == (0, 0)
        assert _removed(app_conn, by_user, (share.src, share.src_user), tenant) == (0, 0)
    _grant(share, context_types=[share.ctx[0]])  # a grant, not asked for: still nothing
    assert _removed(app_conn, by_tenant, (share.src,), share.dst) == (0, 0)
    # control: in src's own context a filter the index cannot apply removes src's rows
    removed, returned = _removed(app_conn, by_tenant + " AND human_content = 'none'",
                                 (share.src,), share.src)
    # its tenant-visible rows at least; the private one too unless the plan applies the
    # visibility policy as an index condition (a BitmapOr of two indexes, which fetches it not)
    assert returned == 0 and removed in (3, 4)
    # ... and as the private row's owner, all four (the private one included)
    assert _removed(app_conn, by_tenant + " AND human_content = 'none'", (share.src,),
                    share.src, share.src_user) == (4, 0)


def test_a_grantee_records_no_access_in_its_source(app_conn, db, share):
    """record_access (a definer) names the context's own tenant: a grantee that asks for
    shared rows records its own memories' accesses, never its source's (which cogdb
    maintain would fold into the source's access_count). Control: its own id is recorded."""
    _grant(share, context_types=[share.ctx[0]])
    src_before = db.super.execute("SELECT count(*) FROM cogdb.memory_accesses"
                                  " WHERE tenant_id = %s", (share.src,)).fetchone()[0]
    app_conn.autocommit = True
    with app_conn.transaction():
        app_conn.execute(SET_CONTEXT, (str(share.dst), None))
        app_conn.execute(ASK)
        assert {"s-kept", "d-own"} <= {r[0] for r in app_conn.execute(
            "SELECT id FROM cogdb.memories")}  # the shared row is readable here
        recorded = app_conn.execute("SELECT cogdb.record_access(%s)",
                                    (["s-kept", "d-own"],)).fetchone()[0]
    assert recorded == 1
    assert db.super.execute("SELECT count(*) FROM cogdb.memory_accesses WHERE tenant_id = %s",
                            (share.src,)).fetchone()[0] == src_before
    assert db.super.execute("SELECT count(*) FROM cogdb.memory_accesses WHERE tenant_id = %s"
                            " AND memory_id = 'd-own'", (share.dst,)).fetchone()[0] == 1


# --------------------------------------------------------------------------- traversal

NEIGHBORS = ("SELECT node, depth, tenant_id FROM cogdb.neighbors(%s::text, 3,"
             " include_shared => %s::boolean)")
SRC_EDGES = "SELECT id FROM cogdb.relationships WHERE tenant_id = %s"


@pytest.fixture
def graph(share, client, app_conn):
    """src's graph: s-kept -> s-hr -> s-named (tenant-visible), s-kept -> s-private (the src
    user's private memory), s-kept -> entity Acme, and a private edge s-named -> s-kept of
    the src user; dst has d-own -> d-two."""
    with client.scope(share.src, share.src_user) as s:
        share.acme = s.upsert_entity("Acme").id
        s.relate("memory:s-kept", "memory:s-hr", "relates_to")
        s.relate("memory:s-hr", "memory:s-named", "relates_to")
        s.relate("memory:s-kept", "memory:s-private", "relates_to")
        s.relate("memory:s-kept", f"entity:{share.acme}", "belongs_to")
        s.relate("memory:s-named", "memory:s-kept", "depends_on", visibility="private")
    _put(app_conn, share.dst, [{"id": "d-two", "hot": 7}])
    with client.scope(share.dst) as s:
        s.relate("memory:d-own", "memory:d-two", "relates_to")
    return share


def test_neighbors_walks_a_shared_memory_within_the_grant_only_when_asked(app_conn, graph):
    g = graph
    # Control: the source walks its whole graph (its user sees its private memory and edge).
    own = _rows(app_conn, NEIGHBORS, ("memory:s-kept", False), tenant=g.src, user=g.src_user)
    assert {r[0] for r in own} == {"memory:s-hr", "memory:s-named", "memory:s-private",
                                   f"entity:{g.acme}"}
    # No grant: nothing, asked or not.
    assert _rows(app_conn, NEIGHBORS, ("memory:s-kept", True), tenant=g.dst) == []
    _grant(g, context_types=[g.ctx[0], g.ctx[1]])  # covers s-kept, s-hr, s-named
    rows = _rows(app_conn, NEIGHBORS, ("memory:s-kept", True), tenant=g.dst)
    # Labelled with the source; never the private memory, the entity or the private edge.
    assert rows == [("memory:s-hr", 1, g.src), ("memory:s-named", 2, g.src)]
    assert _rows(app_conn, NEIGHBORS, ("memory:s-named", True), tenant=g.dst) == [
        ("memory:s-hr", 1, g.src), ("memory:s-kept", 2, g.src)]
    # Not asked, or another tenant: nothing; dst's own start walks dst's own graph only.
    assert _rows(app_conn, NEIGHBORS, ("memory:s-kept", False), tenant=g.dst) == []
    assert _rows(app_conn, NEIGHBORS, ("memory:s-kept", True), tenant=g.other) == []
    assert _rows(app_conn, NEIGHBORS, ("memory:d-own", True), tenant=g.dst) == [
        ("memory:d-two", 1, g.dst)]
    # A plain SELECT of the source's edges sees them only when asking, and only the covered.
    assert _rows(app_conn, SRC_EDGES, (g.src,), tenant=g.dst) == []
    assert len(_rows(app_conn, SRC_EDGES, (g.src,), tenant=g.dst, ask=True)) == 2


def test_neighbors_stops_where_the_grant_stops(app_conn, db, graph):
    g = graph
    grant = _grant(g, tags=["project-x"], context_types=[g.ctx[0]])  # s-kept only
    assert _rows(app_conn, NEIGHBORS, ("memory:s-kept", True), tenant=g.dst) == []
    assert _rows(app_conn, NEIGHBORS, ("memory:s-hr", True), tenant=g.dst) == []
    wide = _grant(g, memory_ids=["s-hr"])  # control: a second grant adds s-hr
    assert _rows(app_conn, NEIGHBORS, ("memory:s-kept", True), tenant=g.dst) == [
        ("memory:s-hr", 1, g.src)]
    g.admin.revoke_share(g.src, wide)
    assert _rows(app_conn, NEIGHBORS, ("memory:s-kept", True), tenant=g.dst) == []
    g.admin.revoke_share(g.src, grant)
    assert _rows(app_conn, NEIGHBORS, ("memory:s-kept", True), tenant=g.dst) == []


def test_no_write_reaches_a_shared_relationship_even_when_asking(app_conn, db, graph):
    g = graph
    _grant(g, context_types=[g.ctx[0], g.ctx[1]])
    before = db.super.execute("SELECT id, strength, xmin::text FROM cogdb.relationships"
                              " WHERE tenant_id = %s ORDER BY id", (g.src,)).fetchall()
    shared = _rows(app_conn, SRC_EDGES, (g.src,), tenant=g.dst, ask=True)
    assert len(shared) == 2  # control: asking, dst reads them
    where = "tenant_id = %s"
    for statement in (f"UPDATE cogdb.relationships SET superseded_at = now() WHERE {where}"
                      " RETURNING id",
                      f"SELECT id FROM cogdb.relationships WHERE {where} FOR UPDATE",
                      f"SELECT id FROM cogdb.relationships WHERE {where} FOR SHARE"):
        assert _rows(app_conn, statement, (g.src,), tenant=g.dst, ask=True) == [], statement
    # its own relationships it updates and locks, asking or not
    mine = "tenant_id = cogdb.current_tenant_id()"
    assert len(_rows(app_conn, f"UPDATE cogdb.relationships SET superseded_at = now()"
                     f" WHERE {mine} RETURNING id", tenant=g.dst, ask=True)) == 1
    assert len(_rows(app_conn, f"SELECT id FROM cogdb.relationships WHERE {mine} FOR UPDATE",
                     tenant=g.dst, ask=True)) == 1
    # DELETE and other columns are not the app's on any relationship
    assert _ask_error(app_conn, f"DELETE FROM cogdb.relationships WHERE {where}", (g.src,),
                      tenant=g.dst) == "42501"
    # Writing a relationship into the source, between two memories it shares, is refused.
    insert = ("INSERT INTO cogdb.relationships (tenant_id, from_memory_id, to_memory_id, type)"
              " VALUES (%s, 's-hr', 's-kept', 'relates_to')")
    assert _ask_error(app_conn, insert, (g.src,), tenant=g.dst) in ("CGA02", "42501")
    own = ("INSERT INTO cogdb.relationships (tenant_id, from_memory_id, to_memory_id, type)"
           " VALUES (%s, 'd-own', 'd-two', 'led_to')")
    assert _ask_error(app_conn, own, (g.dst,), tenant=g.dst) is None  # control: its own
    after = db.super.execute("SELECT id, strength, xmin::text FROM cogdb.relationships"
                             " WHERE tenant_id = %s ORDER BY id", (g.src,)).fetchall()
    assert after == before


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


def test_relate_and_list_relationships_while_asking_stay_in_the_own_tenant(app_conn, db,
                                                                          graph):
    """A transaction that asked for shared rows reads the source's relationships too, and
    memory ids repeat across tenants: relate() must still find, supersede and write records
    of the context's own tenant only, and list_relationships() list its own (revision 0035;
    found by its review). dst keeps memories with the source's ids s-kept and s-hr; the
    source has s-kept -> s-hr relates_to, which the grant lets dst read."""
    g = graph
    _grant(g, context_types=[g.ctx[0], g.ctx[1]])
    _put(app_conn, g.dst, [{"id": "s-kept", "hot": 1}, {"id": "s-hr", "hot": 2}])
    src_edge = db.super.execute(
        "SELECT id FROM cogdb.relationships WHERE tenant_id = %s AND from_memory_id = 's-kept'"
        " AND to_memory_id = 's-hr'", (g.src,)).fetchone()[0]
    assert src_edge in _ids(app_conn, SRC_EDGES, (g.src,), tenant=g.dst, ask=True)  # control
    relate = "SELECT id, created FROM cogdb.relate('memory:s-kept', 'memory:s-hr', 'relates_to')"
    listed = "SELECT id FROM cogdb.list_relationships('memory:s-kept')"
    for ask in (False, True):
        (rel_id, created), = _rows(app_conn, relate, tenant=g.dst, ask=ask)
        assert created and rel_id != src_edge, ask
        assert _ids(app_conn, listed, tenant=g.dst, ask=ask) == set(), ask
    with app_conn.transaction():
        app_conn.execute(SET_CONTEXT, (str(g.dst), None))
        own = app_conn.execute(relate).fetchone()[0]
    assert _ids(app_conn, listed, tenant=g.dst, ask=True) == {own}
    (again, created), = _rows(app_conn, relate, tenant=g.dst, ask=True)
    assert (again, created) == (own, False)  # the own record found again, nothing written
    assert db.super.execute("SELECT tenant_id FROM cogdb.relationships WHERE id = %s",
                            (own,)).fetchone()[0] == g.dst

