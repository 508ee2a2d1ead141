"""The knowledge calls are scope operations like remember and search: the same steps run on
the sync and the async client (conftest's contract_client)."""
from __future__ import annotations

import pytest
from helpers import vec


@pytest.fixture
def client(contract_client):
    return contract_client


def test_entities_relationships_traversal_and_hybrid_on_both_clients(client, tenants, db):
    with client.scope(tenants.a, tenants.a1) as s:
        mid = s.remember("the platypus deploy runbook", embedding=vec(3))
        acme = s.upsert_entity("Acme", type="customer", data={"tier": {"level": 1}})
        s.upsert_entity("Acme", data={"tier": {"since": 2020}})
        s.relate(acme, f"memory:{mid}", "relates_to")
    with client.scope(tenants.a, tenants.a1) as s:
        got = s.get_entity(acme)
        assert got.data == {"tier": {"level": 1, "since": 2020}} and got.update_count == 2
        assert [n.depth for n in s.neighbors(acme)] == [1]
        assert [h.id for h in s.hybrid_search("platypus", embed=False)] == [mid]
    assert db.super.execute("SELECT count(*) FROM cogdb.memory_accesses").fetchone() == (0,)
    with client.scope(tenants.a, tenants.a1) as s:
        s.hybrid_search("platypus", embed=False, record_access=True)
    assert db.super.execute("SELECT count(*) FROM cogdb.memory_accesses").fetchone() == (1,)
    with client.scope(tenants.b, tenants.b1) as s:  # another tenant sees none of it
        assert s.get_entity(acme) is None
