"""``cogdb mcp``'s knowledge-graph tools end to end: the SDK's own client starts the server
over stdio (a real subprocess, as an MCP host would) and calls the reference memory server's
tools as the app login: each tool's result, errors naming the field, and two servers for two
tenants that cannot see or change each other's graph (a stray ``tenant`` argument
included)."""
from __future__ import annotations

import json

import pytest
from mcp_client import server

from cogdb.integrations.mcp.knowledge_tools import DEFINITIONS

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
GRAPH_TOOLS = sorted(DEFINITIONS)


@pytest.fixture
def anyio_backend():
    return "asyncio"



async def call(s, tool: str, args: dict) -> dict:
    """The tool's structured result; it must not be an error, and its text must be the
    reference's (the result as indented JSON, or the success message)."""
    result = await s.call_tool(tool, args)
    assert not result.is_error, result.content[0].text
    data = result.structured_content
    text = result.content[0].text
    assert text == (data["message"] if "message" in data else
                    json.dumps(data, indent=2, ensure_ascii=False))
    return data


async def call_ok(s, tool: str, args: dict) -> dict:
    result = await s.call_tool(tool, args)
    assert not result.is_error, result.content[0].text
    return result.structured_content


async def error(s, tool: str, args: dict) -> str:
    result = await s.call_tool(tool, args)
    assert result.is_error and result.structured_content is None
    return result.content[0].text


def rel(f: str, t: str, typ: str) -> dict:
    return {"from": f, "to": t, "relationType": typ}


async def test_the_graph_tools_results_and_errors(db, tenants, client):
    async with server(db, "--tenant", str(tenants.a), "--user", str(tenants.a1)) as s:
        tools = {t.name: t for t in (await s.list_tools()).tools}
        assert sorted(tools) == sorted(["forget", "remember", "search", *GRAPH_TOOLS])
        for name in GRAPH_TOOLS:   # the reference's schemas, read_graph's paging aside
            if name != "read_graph":
                assert tools[name].input_schema == DEFINITIONS[name].input_schema
                assert tools[name].output_schema == DEFINITIONS[name].output_schema
        assert set(tools["read_graph"].input_schema["properties"]) == {"limit", "cursor"}

        made = await call(s, "create_entities", {"entities": [
            {"name": "Alice", "entityType": "person", "observations": ["likes tea",
                                                                        " likes tea "]},
            {"name": "Acme", "entityType": "organization", "observations": ["makes anvils"]},
            {"name": "Alice", "entityType": "robot", "observations": []}]})
        assert made == {"entities": [
            {"name": "Alice", "entityType": "person", "observations": ["likes tea"]},
            {"name": "Acme", "entityType": "organization", "observations": ["makes anvils"]}]}
        again = await call(s, "create_entities", {"entities": [
            {"name": "Alice", "entityType": "robot", "observations": ["ignored"]},
            {"name": "Bob", "entityType": "person", "observations": []}]})
        assert [e["name"] for e in again["entities"]] == ["Bob"]     # existing names skipped

        related = await call(s, "create_relations", {"relations": [
            rel("Alice", "Acme", "works at"), rel("Bob", "Alice", "Knows"),
            rel("Alice", "Acme", "works_at")]})
        assert related == {"relations": [rel("Alice", "Acme", "works_at"),
                                          rel("Bob", "Alice", "knows")]}
        assert await call(s, "create_relations", {"relations": [
            rel("Alice", "Acme", "works at")]}) == {"relations": []}   # duplicates skipped
        # a missing end fails the whole call: nothing saved, no type registered
        text = await error(s, "create_relations", {"relations": [
            rel("Alice", "Bob", "mentors"), rel("Alice", "Nobody", "knows")]})
        assert text.startswith("Entity with name Nobody not found") and "relations[1].to" in text

        added = await call(s, "add_observations", {"observations": [
            {"entityName": "Alice", "contents": ["likes tea", "plays chess"]},
            {"entityName": "Acme", "contents": ["founded 1900"]},
            {"entityName": "Alice", "contents": ["plays chess", "reads"]}]})
        assert added == {"results": [
            {"entityName": "Alice", "addedObservations": ["plays chess"]},
            {"entityName": "Acme", "addedObservations": ["founded 1900"]},
            {"entityName": "Alice", "addedObservations": ["reads"]}]}
        text = await error(s, "add_observations", {"observations": [
            {"entityName": "Alice", "contents": ["never saved"]},
            {"entityName": "Nobody", "contents": ["x"]}]})
        assert text.startswith("Entity with name Nobody not found")
        assert "observations[1].entityName" in text

        opened = await call(s, "open_nodes", {"names": ["Alice", "Nobody"]})
        assert opened == {"entities": [{"name": "Alice", "entityType": "person", "observations":
                                        ["likes tea", "plays chess", "reads"]}],
                          "relations": [rel("Alice", "Acme", "works_at"),
                                        rel("Bob", "Alice", "knows")]}

        chess = await call(s, "search_nodes", {"query": "chess"})
        assert [e["name"] for e in chess["entities"]] == ["Alice"]
        assert rel("Bob", "Alice", "knows") in chess["relations"]
        part = await call(s, "search_nodes", {"query": "NVIL"})    # substrings, any case
        assert [e["name"] for e in part["entities"]] == ["Acme"]
        assert part["relations"] == [rel("Alice", "Acme", "works_at")]
        by_type = await call(s, "search_nodes", {"query": "person"})
        assert sorted(e["name"] for e in by_type["entities"]) == ["Alice", "Bob"]
        assert await call(s, "search_nodes", {"query": "zebra"}) == {"entities": [],
                                                                     "relations": []}

        # the memory tools' search, hybrid: memories and entities by words and meaning
        await call_ok(s, "remember", {"text": "Alice won the chess club final"})
        mixed = (await call(s, "search", {"query": "chess", "mode": "hybrid"}))["results"]
        assert {(h["kind"], h["text"]) for h in mixed} >= {
            ("entity", "Alice"), ("memory", "Alice won the chess club final")}
        assert all(h["score"] > 0 for h in mixed)
        assert "mode" in await error(s, "search", {"query": "chess", "mode": "fuzzy"})

        whole = await call(s, "read_graph", {})
        assert [e["name"] for e in whole["entities"]] == ["Acme", "Alice", "Bob"]
        assert whole["truncated"] is False and "nextCursor" not in whole
        assert len(whole["relations"]) == 2
        first = await call(s, "read_graph", {"limit": 2})
        assert [e["name"] for e in first["entities"]] == ["Acme", "Alice"]
        assert first["truncated"] is True and first["nextCursor"] == "Alice"
        assert first["relations"] == [rel("Alice", "Acme", "works_at")]
        rest = await call(s, "read_graph", {"limit": 2, "cursor": first["nextCursor"]})
        assert [e["name"] for e in rest["entities"]] == ["Bob"] and rest["truncated"] is False
        assert rest["relations"] == [rel("Bob", "Alice", "knows")]

        assert (await call(s, "delete_observations", {"deletions": [
            {"entityName": "Alice", "observations": ["plays chess", "never said"]},
            {"entityName": "Nobody", "observations": ["x"]}]}))["success"] is True
        assert await call(s, "delete_relations", {"relations": [
            rel("Bob", "Alice", "knows"), rel("Alice", "Nobody", "knows")]}) == {
            "success": True, "message": "Relations deleted successfully"}
        opened = await call(s, "open_nodes", {"names": ["Alice"]})
        assert opened["entities"][0]["observations"] == ["likes tea", "reads"]
        assert opened["relations"] == [rel("Alice", "Acme", "works_at")]
        assert (await call(s, "delete_entities", {"entityNames": ["Acme", "Nobody"]}))[
            "message"] == "Entities deleted successfully"
        after = await call(s, "read_graph", {})
        assert [e["name"] for e in after["entities"]] == ["Alice", "Bob"]
        assert after["relations"] == []

        # bad input: the error names the field
        for tool, args, field in [
            ("create_entities", {"entities": [{"name": " ", "entityType": "x",
                                               "observations": []}]}, "entities[0].name"),
            ("create_entities", {"entities": [{"name": "X", "entityType": "x",
                                               "observations": ["ok", ""]}]},
             "entities[0].observations[1]"),
            ("create_relations", {"relations": [rel("Alice", "Bob", "!!")]},
             "relations[0].relationType"),
            ("create_relations", {"relations": [rel("Alice", "Alice", "knows")]},
             "relations[0].to"),
            ("read_graph", {"limit": 0}, "limit"),
            ("add_observations", {"observations": [{"entityName": "Alice"}]},
             "'contents' is a required property at observations/0"),
            ("open_nodes", {"names": "Alice"}, "at names"),
        ]:
            assert field in await error(s, tool, args), (tool, args)
        assert [e["name"] for e in (await call(s, "read_graph", {}))["entities"]] == [
            "Alice", "Bob"]                                         # nothing changed

    # delete_relations ended the fact; its history is kept
    # (and the entities were embedded: the tenant's model has an embedder)
    with client.scope(tenants.a, tenants.a1) as scope:
        history = scope.relationships("Bob", history=True)
        assert scope.get_entity("Alice").model is not None
    assert [(r.type, r.valid_to is not None, r.superseded_at is not None)
            for r in history] == [("knows", False, True), ("knows", True, False)]


async def test_two_servers_for_two_tenants_cannot_see_or_change_each_others_graph(
        db, tenants):
    async with server(db, "--tenant", str(tenants.a)) as a, \
            server(db, "--tenant", str(tenants.b)) as b:
        await call(a, "create_entities", {"entities": [
            {"name": "Acme", "entityType": "org", "observations": ["secret plan of A"]},
            {"name": "Widget", "entityType": "product", "observations": []}]})
        await call(a, "create_relations", {"relations": [rel("Acme", "Widget", "produces")]})
        graph_of_a = await call(a, "read_graph", {})

        # B sees nothing of A's graph, however it asks (a stray tenant argument included)
        stray = {"tenant": str(tenants.a), "tenant_id": str(tenants.a)}
        assert await call(b, "read_graph", {**stray}) == {
            "entities": [], "relations": [], "truncated": False}
        assert await call(b, "open_nodes", {"names": ["Acme", "Widget"], **stray}) == {
            "entities": [], "relations": []}
        assert await call(b, "search_nodes", {"query": "secret plan", **stray}) == {
            "entities": [], "relations": []}
        # ... and cannot change it: its writes land in its own tenant or find nothing
        made = await call(b, "create_entities", {"entities": [
            {"name": "Acme", "entityType": "org", "observations": ["B's Acme"]}], **stray})
        assert [e["name"] for e in made["entities"]] == ["Acme"]   # new in B
        assert (await error(b, "create_relations", {"relations": [
            rel("Acme", "Widget", "produces")], **stray})).startswith(
            "Entity with name Widget not found")
        assert (await error(b, "add_observations", {"observations": [
            {"entityName": "Widget", "contents": ["planted"]}], **stray})).startswith(
            "Entity with name Widget not found")
        await call(b, "delete_observations", {"deletions": [
            {"entityName": "Acme", "observations": ["secret plan of A"]}], **stray})
        await call(b, "delete_relations", {"relations": [rel("Acme", "Widget", "produces")],
                                           **stray})
        await call(b, "delete_entities", {"entityNames": ["Acme", "Widget"], **stray})
        assert (await call(b, "read_graph", {}))["entities"] == []

        # control: A's graph is as it was
        assert await call(a, "read_graph", {}) == graph_of_a
        assert graph_of_a["relations"] == [rel("Acme", "Widget", "produces")]
        assert graph_of_a["entities"][0]["observations"] == ["secret plan of A"]
