"""langchain-tests' standard VectorStore suite, unmodified (sync and async): the fixture is
the only cogdb code here. Each test gets a fresh database clone and tenant, so the store
starts empty."""
from __future__ import annotations

import pytest
from langchain_tests.integration_tests import VectorStoreIntegrationTests

import cogdb
from cogdb.integrations.langchain import CogdbVectorStore


class TestCogdbVectorStore(VectorStoreIntegrationTests):
    @pytest.fixture
    async def vectorstore(self, db, store_tenant):  # type: ignore[override]
        client = cogdb.connect(db.app_url, pool_size=2)
        async_client = await cogdb.connect_async(db.app_url, pool_size=2)
        try:
            yield CogdbVectorStore(self.get_embeddings(), tenant=store_tenant.id,
                                   user=store_tenant.user, client=client,
                                   async_client=async_client, model=store_tenant.model)
        finally:
            client.close()
            await async_client.close()
