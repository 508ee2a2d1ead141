"""Fixtures for the adapters' suites: a fresh tenant (the per-test database clone is fresh
too), and the clients as the app login."""
from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

#: langchain-tests' fake embeddings make 6-dimensional vectors.
LANGCHAIN_MODEL = "langchain-fake-6"


@pytest.fixture
def store_tenant(admin) -> SimpleNamespace:
    """A tenant with one user, and the 6-d model langchain-tests' embeddings need."""
    tag = uuid.uuid4().hex[:8]
    tenant = admin.create_tenant(f"Adapters {tag}", external_id=f"adapters-{tag}")
    user = admin.create_user(tenant.id, email=f"u-{tag}@adapters.example")
    admin.register_model(LANGCHAIN_MODEL, 6)
    return SimpleNamespace(id=tenant.id, user=user.id, model=LANGCHAIN_MODEL)
