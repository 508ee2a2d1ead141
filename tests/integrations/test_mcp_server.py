"""``cogdb mcp`` end to end: the SDK's own client starts the server over stdio (a real
subprocess, as an MCP host would) and calls its tools as the app login."""
from __future__ import annotations

import pytest
from helpers import cli
from mcp_client import server

from cogdb.integrations.mcp.knowledge_tools import DEFINITIONS

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def anyio_backend():
    return "asyncio"



def text(result) -> str:
    return result.content[0].text


async def test_tools_results_and_errors(db, tenants):
    async with server(db, "--tenant", str(tenants.a), "--user", str(tenants.a1)) as s:
        tools = {t.name: t for t in (await s.list_tools()).tools}
        assert sorted(tools) == sorted(["forget", "remember", "search", *DEFINITIONS])
        for name in ("forget", "remember", "search"):  # the graph tools: test_mcp_knowledge
            schema = tools[name].input_schema
            assert schema["additionalProperties"] is False
            assert not {"tenant", "tenant_id", "user", "user_id"} & set(schema["properties"])

        made = await s.call_tool("remember", {"text": "The deploy runs on Fridays",
                                              "tags": ["ops"], "metadata": {"team": "infra"}})
        assert not made.is_error
        mid = made.structured_content["id"]
        assert text(made) == f"Remembered {mid}"
        await s.call_tool("remember", {"text": "Lunch is at noon", "private": True})

        found = await s.call_tool("search", {"query": "deploy Fridays", "k": 5})
        assert not found.is_error
        results = found.structured_content["results"]
        assert results[0]["id"] == mid and results[0]["text"] == "The deploy runs on Fridays"
        assert 0 < results[0]["similarity"] <= 1 and results[0]["tags"] == ["ops"]
        assert '"results"' in text(found)  # the structured result as JSON text
        narrowed = await s.call_tool("search", {"query": "deploy", "metadata_filter":
                                                {"team": "sales"}})
        assert narrowed.structured_content == {"results": []}

        gone = await s.call_tool("forget", {"id": mid})
        assert gone.structured_content == {"forgotten": True} and text(gone) == "Forgotten"
        again = await s.call_tool("forget", {"id": mid})
        assert again.structured_content == {"forgotten": False} and not again.is_error

        # errors are tool results carrying the reason
        missing = await s.call_tool("remember", {})
        assert missing.is_error and "'text' is a required property" in text(missing)
        smuggled = await s.call_tool("remember", {"text": "x", "tenant": str(tenants.b)})
        assert smuggled.is_error and "Additional properties" in text(smuggled)
        bad_k = await s.call_tool("search", {"query": "x", "k": 0})
        assert bad_k.is_error and "k" in text(bad_k)
        cogdb_error = await s.call_tool("search", {"query": "x", "metadata_filter":
                                                   {"n": {"$regex": "."}}})
        assert cogdb_error.is_error
        assert "metadata_filter: unknown operator '$regex'" in text(cogdb_error)
        assert "HINT:" in text(cogdb_error)
        bad_id = await s.call_tool("remember", {"text": "x", "context_type": "poem"})
        assert bad_id.is_error and "context_type" in text(bad_id)
        unknown = await s.call_tool("no_such_tool", {})
        assert unknown.is_error and text(unknown) == "Unknown tool: no_such_tool"


async def test_two_servers_for_two_tenants_cannot_see_each_other(db, tenants):
    async with server(db, "--tenant", str(tenants.a)) as a, \
            server(db, "--tenant", str(tenants.b)) as b:
        mine = (await a.call_tool("remember", {"text": "secret plan of tenant A"})
                ).structured_content["id"]
        await b.call_tool("remember", {"text": "tenant B's own note"})
        seen_by_b = (await b.call_tool("search", {"query": "secret plan of tenant A"})
                     ).structured_content["results"]
        assert [r["text"] for r in seen_by_b] == ["tenant B's own note"]
        assert (await b.call_tool("forget", {"id": mine})).structured_content == {
            "forgotten": False}
        seen_by_a = (await a.call_tool("search", {"query": "secret plan"})
                     ).structured_content["results"]
        assert [r["id"] for r in seen_by_a] == [mine]


async def test_an_identity_decides_tenant_and_user(db, admin, tenants):
    admin.create_user(tenants.a, email="oidc-user@a.example", auth_provider="oidc",
                      external_id="sub-123")
    async with server(db, "--identity", "oidc:sub-123") as s:
        await s.call_tool("remember", {"text": "only for the oidc user", "private": True})
    # the same tenant's other user does not see the private memory; the owner does
    async with server(db, "--tenant", str(tenants.a), "--user", str(tenants.a1)) as other:
        assert (await other.call_tool("search", {"query": "oidc user"})
                ).structured_content["results"] == []
    async with server(db, "--identity", "oidc:sub-123") as s:
        hits = (await s.call_tool("search", {"query": "oidc user"})).structured_content
        assert [r["text"] for r in hits["results"]] == ["only for the oidc user"]


@pytest.mark.parametrize("args, message", [
    ((), "the server needs a tenant"),
    (("--tenant", "not-a-uuid"), "tenant must be a UUID"),
    (("--identity", "oidc:nobody"), "no cogdb user has the identity oidc:nobody"),
])
def test_a_server_without_a_valid_identity_does_not_start(db, args, message):
    result = cli(db, "mcp", *args)
    assert result.exit_code == 1 and message in result.output, result.output


def test_the_knowledge_tools_are_written_down_with_the_reference_schemas():
    assert sorted(DEFINITIONS) == sorted([
        "create_entities", "create_relations", "add_observations", "delete_entities",
        "delete_observations", "delete_relations", "read_graph", "search_nodes", "open_nodes"])
    add = DEFINITIONS["add_observations"].input_schema
    assert add["required"] == ["observations"]
    item = add["properties"]["observations"]["items"]
    assert item["required"] == ["entityName", "contents"]
