"""Sharing through the Python client and the CLI (revision 0015): the admin's grant, list and
revoke; include_shared on search and get; errors naming the field and leaving the database
unchanged; the audit note a shared read leaves in the source tenant's chain. The isolation
guarantees themselves are tests/isolation/test_sharing_isolation.py's."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from helpers import cli, one_error, vec

import cogdb


@pytest.fixture
def pair(admin, client):
    tag = uuid.uuid4().hex[:8]
    lab = admin.create_tenant(f"Lab {tag}", isolation_level="shared").id
    partner = admin.create_tenant(f"Partner {tag}", isolation_level="federated").id
    with client.scope(lab) as s:
        s.remember_many([{"id": "proto-1", "human": "Assay protocol v3", "tags": ["protocols"]},
                         {"id": "hr-1", "human": "Salary bands", "tags": ["hr"]}],
                        [vec(1), vec(2)])
    with client.scope(partner) as s:
        s.remember("Partner's own note", "", vec(3))
    return lab, partner


def test_grant_search_get_list_revoke_through_the_client(admin, client, pair):
    lab, partner = pair
    grant = admin.grant_share(lab, partner, tags=["protocols"])
    assert isinstance(grant, uuid.UUID)
    with client.scope(partner) as s:
        hits = s.search(vec(1), 5, include_shared=True)
        assert [(h.id, h.tenant_id) for h in hits if h.tenant_id == lab] == [("proto-1", lab)]
        assert {h.tenant_id for h in s.search(vec(1), 5)} == {partner}
        m = s.get("proto-1", include_shared=True)
        assert (m.id, m.tenant_id, m.human_content) == ("proto-1", lab, "Assay protocol v3")
        assert s.get("proto-1") is None and s.get("hr-1", include_shared=True) is None
    given, = admin.list_shares(lab)
    assert (given["direction"], given["id"], given["grantee_id"], given["tags"],
            given["live"]) == ("given", grant, partner, ["protocols"], True)
    received, = admin.list_shares(partner)
    assert (received["direction"], received["source_tenant_id"]) == ("received", lab)
    assert [g["id"] for g in admin.list_shares() if g["tenant_id"] == lab] == [grant]
    assert admin.revoke_share(lab, grant) is True
    assert admin.list_shares(lab)[0]["live"] is False
    assert [g for g in admin.list_shares() if g["tenant_id"] == lab] == []
    with client.scope(partner) as s:
        assert s.get("proto-1", include_shared=True) is None


def test_async_client_passes_include_shared(db, admin, pair):
    from bridge import AsyncBridge

    lab, partner = pair
    admin.grant_share(lab, partner, memory_ids=["proto-1"])
    c = AsyncBridge(db.app_url, pool_size=1)
    try:
        with c.scope(partner) as s:
            assert "proto-1" in [h.id for h in s.search(vec(1), 5, include_shared=True)]
            assert s.get("proto-1", include_shared=True).tenant_id == lab
    finally:
        c.close()


@pytest.mark.parametrize("kwargs, field, error", [
    ({}, "context_types", cogdb.InvalidInput),
    ({"context_types": ["no-such-type"]}, "context_types", cogdb.InvalidInput),
    ({"tags": [""]}, "tags", cogdb.InvalidInput),
    ({"tags": "protocols"}, "tags", cogdb.InvalidInput),
    ({"memory_ids": ["bad id!"]}, "memory_ids", cogdb.InvalidInput),
    ({"tags": ["x"], "expires_at": datetime.now(UTC) - timedelta(days=1)}, "expires_at",
     cogdb.InvalidInput),
])
def test_bad_grants_name_the_field_and_change_nothing(db, admin, pair, kwargs, field, error):
    lab, partner = pair
    with pytest.raises(error) as info:
        admin.grant_share(lab, partner, **kwargs)
    assert info.value.field == field and info.value.hint
    assert db.super.execute("SELECT count(*) FROM cogdb.share_grants").fetchone() == (0,)
    assert db.super.execute("SELECT count(*) FROM cogdb.share_receipts").fetchone() == (0,)


def test_unknown_tenants_and_grants_are_not_found(admin, pair):
    lab, partner = pair
    zero = uuid.UUID(int=0)
    for args, field in (((zero, partner), "tenant_id"), ((lab, zero), "grantee_id")):
        with pytest.raises(cogdb.NotFound) as info:
            admin.grant_share(*args, tags=["x"])
        assert info.value.field == field
    with pytest.raises(cogdb.InvalidInput) as info:
        admin.grant_share(lab, lab, tags=["x"])
    assert info.value.field == "grantee_id"
    with pytest.raises(cogdb.NotFound) as info:
        admin.revoke_share(lab, zero)
    assert info.value.field == "grant_id"


def test_a_shared_read_is_noted_in_the_source_tenants_chain(db, admin, client, pair):
    lab, partner = pair
    admin.grant_share(lab, partner, tags=["protocols", "hr"])
    with client.scope(partner) as s:
        s.search(vec(1), 5, include_shared=True)
        s.get("hr-1", include_shared=True)
        s.search(vec(1), 5)                          # not asked: no note
    cur = db.super.cursor(row_factory=psycopg.rows.dict_row)
    notes = cur.execute("SELECT * FROM cogdb.audit_records WHERE tenant_id = %s"
                        " AND action = 'share.read' ORDER BY seq", (lab,)).fetchall()
    assert [(n["details"]["via"], n["details"]["memories"], n["details"]["grantee"])
            for n in notes] == [("search", 2, str(partner)), ("get", 1, str(partner))]
    text = json.dumps([n["details"] for n in notes])
    assert "proto-1" not in text and "Assay" not in text and "hr-1" not in text
    assert cur.execute("SELECT count(*) AS n FROM cogdb.audit_records WHERE tenant_id = %s"
                       " AND action = 'share.read'", (partner,)).fetchone()["n"] == 0
    assert cur.execute("SELECT * FROM cogdb.audit_verify(%s)", (lab,)).fetchone()["ok"]


def test_share_cli(db, pair):
    lab, partner = (str(t) for t in pair)
    r = cli(db, "share", "grant", "--tenant", lab, "--to", partner, "--tag", "protocols",
            "--expires", "2099-01-01", "--json")
    assert r.exit_code == 0, r.output
    grant = json.loads(r.stdout)["id"]
    r = cli(db, "search", "--tenant", partner, "--include-shared", "assay", "--json")
    assert r.exit_code == 0, r.output
    assert [h["tenant_id"] for h in json.loads(r.stdout) if h["id"] == "proto-1"] == [lab]
    r = cli(db, "get", "--tenant", partner, "--include-shared", "proto-1", "--json")
    assert json.loads(r.stdout)["tenant_id"] == lab
    r = cli(db, "share", "list", "--tenant", lab)
    assert r.exit_code == 0 and grant in r.stdout and "tags=protocols" in r.stdout
    r = cli(db, "share", "list", "--json")
    assert [g["id"] for g in json.loads(r.stdout) if g["tenant_id"] == lab] == [grant]
    r = cli(db, "share", "revoke", "--tenant", lab, grant, "--json")
    assert json.loads(r.stdout) == {"revoked": True}
    r = cli(db, "get", "--tenant", partner, "--include-shared", "proto-1")
    assert r.exit_code == 1
    one_error(cli(db, "share", "grant", "--tenant", lab, "--to", partner), "at least one of",
              1)


def test_neighbors_include_shared_through_the_clients_and_the_cli(db, admin, client, pair):
    """A walk from a shared memory: the sync and async clients and the CLI pass
    include_shared, each node says its tenant, and the source's chain notes the read."""
    from bridge import AsyncBridge

    lab, partner = pair
    with client.scope(lab) as s:
        s.remember_many([{"id": "proto-2", "human": "Assay protocol v4", "tags": ["protocols"]}],
                        [vec(4)])
        s.relate("memory:proto-1", "memory:proto-2", "led_to")
        s.relate("memory:proto-1", "memory:hr-1", "relates_to")
    admin.grant_share(lab, partner, tags=["protocols"])
    with client.scope(partner) as s:
        assert s.neighbors("memory:proto-1") == []  # not asked
        n, = s.neighbors("memory:proto-1", include_shared=True)  # never hr-1
        assert (n.node, n.depth, n.type, n.tenant_id, n.label) == (
            "memory:proto-2", 1, "led_to", lab, "Assay protocol v4")
    with client.scope(lab) as s:  # the own walk: tenant_id is its own
        assert {(x.node, x.tenant_id) for x in s.neighbors("memory:proto-1")} == {
            ("memory:proto-2", lab), ("memory:hr-1", lab)}
    c = AsyncBridge(db.app_url, pool_size=1)
    try:
        with c.scope(partner) as s:
            assert [x.node for x in s.neighbors("memory:proto-1", include_shared=True)] == [
                "memory:proto-2"]
    finally:
        c.close()
    r = cli(db, "neighbors", "--tenant", str(partner), "--include-shared", "memory:proto-1",
            "--json")
    assert r.exit_code == 0, r.output
    assert [(x["node"], x["tenant_id"]) for x in json.loads(r.stdout)] == [
        ("memory:proto-2", str(lab))]
    r = cli(db, "neighbors", "--tenant", str(partner), "--include-shared", "memory:proto-1")
    assert r.exit_code == 0 and f"(tenant {lab})" in r.stdout
    r = cli(db, "neighbors", "--tenant", str(partner), "memory:proto-1")
    assert r.exit_code == 0 and "no neighbors" in r.stdout
    notes = db.super.execute("SELECT details FROM cogdb.audit_records WHERE tenant_id = %s"
                             " AND action = 'share.read' ORDER BY seq", (lab,)).fetchall()
    assert [(d["via"], d["memories"]) for d, in notes] == [("neighbors", 2)] * 4  # four walks asked


def test_entities_and_hybrid_search_shared_through_the_clients_and_the_cli(db, admin, client,
                                                                            pair):
    """The README's entity example (revision 0022): an entity_types grant; get_entity,
    list_entities and hybrid_search with include_shared through the sync and async clients
    and the CLI, each result naming its tenant; bad entity criteria name their field and
    write nothing."""
    from bridge import AsyncBridge

    lab, partner = pair
    r = cli(db, "entity", "upsert", "--tenant", str(lab), "Acme Corp", "--type", "customer",
            "--observation", "renews in March")
    assert r.exit_code == 0, r.output
    with client.scope(lab) as s:
        s.upsert_entity("Hidden Ltd", type="supplier", observations=["not shared"])
    r = cli(db, "share", "grant", "--tenant", str(lab), "--to", str(partner),
            "--entity-type", "customer", "--json")
    assert r.exit_code == 0, r.output
    with client.scope(partner) as s:
        assert s.get_entity("Acme Corp") is None  # not asked
        acme = s.get_entity("Acme Corp", include_shared=True)
        assert (acme.name, acme.tenant_id, acme.observations) == (
            "Acme Corp", lab, ["renews in March"])
        assert s.get_entity("Hidden Ltd", include_shared=True) is None
        assert [(e.name, e.tenant_id) for e in s.list_entities(include_shared=True)] == [
            ("Acme Corp", lab)]
        assert s.list_entities() == []
        hits = s.hybrid_search("march", include_shared=True, embed=False)
        assert [(h.kind, h.name, h.tenant_id) for h in hits] == [("entity", "Acme Corp", lab)]
        assert s.hybrid_search("march", embed=False) == []
    c = AsyncBridge(db.app_url, pool_size=1)
    try:
        with c.scope(partner) as s:
            assert s.get_entity("Acme Corp", include_shared=True).tenant_id == lab
            assert [h.tenant_id for h in s.hybrid_search("march", include_shared=True,
                                                         embed=False)] == [lab]
    finally:
        c.close()
    r = cli(db, "entity", "get", "--tenant", str(partner), "--include-shared", "Acme Corp",
            "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["tenant_id"] == str(lab), r.output
    r = cli(db, "entity", "get", "--tenant", str(partner), "Acme Corp")
    assert r.exit_code == 1
    r = cli(db, "entity", "list", "--tenant", str(partner), "--include-shared")
    assert r.exit_code == 0 and f"Acme Corp  (customer)  (tenant {lab})" in r.stdout, r.output
    r = cli(db, "search", "--tenant", str(partner), "--hybrid", "--text-only",
            "--include-shared", "march", "--json")
    assert r.exit_code == 0, r.output
    assert [(h["name"], h["tenant_id"]) for h in json.loads(r.stdout)] == [
        ("Acme Corp", str(lab))]
    r = cli(db, "share", "list", "--tenant", str(lab))
    assert "entity-types=customer" in r.stdout
    before = len(admin.list_shares(lab))
    with pytest.raises(cogdb.InvalidInput) as info:
        admin.grant_share(lab, partner, entity_ids=["Acme Corp"])
    assert info.value.field == "entity_ids"
    one_error(cli(db, "share", "grant", "--tenant", str(lab), "--to", str(partner),
                  "--entity-type", ""), "entity_types", 1)
    assert len(admin.list_shares(lab)) == before
    notes = db.super.execute("SELECT details FROM cogdb.audit_records WHERE tenant_id = %s"
                             " AND action = 'share.read' ORDER BY seq", (lab,)).fetchall()
    assert {d["via"] for d, in notes} == {"get_entity", "list_entities", "hybrid_search"}
    assert all(d.get("entities", 0) >= 1 and "Acme" not in json.dumps(d) for d, in notes)
