"""End-to-end: provision as the admin login, remember and search as the app login."""
import pytest
from helpers import unit_vector


@pytest.fixture
def client(contract_client):
    """Every test here runs against the sync client and the async one (conftest)."""
    return contract_client


def test_remember_then_search_in_own_tenant(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        mid = s.remember("how do I reset my password", "use the reset link",
                         unit_vector(hot=3))
        hits = s.search(unit_vector(hot=3), k=5)
    assert [h.id for h in hits] == [mid]
    assert abs(hits[0].similarity - 1.0) < 1e-6
