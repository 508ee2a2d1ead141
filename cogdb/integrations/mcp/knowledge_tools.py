"""The knowledge-graph tools of the reference MCP memory server
(``@modelcontextprotocol/server-memory``), ready for cogdb's entities and relationships.

Not served yet: they need the knowledge layer (SQL functions such as cogdb.upsert_entity,
relationships, neighbors) being built on another branch. When it lands, write one handler
per tool below (``handler(scope, args) -> dict``, as in memory_tools.py), list them in
``TOOLS``, and the server (``server.py``) publishes them with nothing else to change.

``knowledge_tools.json`` beside this file is the reference server's exact ``tools/list``
output (names, titles, descriptions, input and output schemas, annotations), captured from
version 0.6.3; :data:`DEFINITIONS` loads it, so the schemas clients see will be identical.
One planned departure: ``read_graph`` takes optional ``limit`` and ``cursor`` (a tenant's
graph can be large); a client that sends ``{}``, as for the reference, gets the first page.

Semantics to reproduce (reference src/memory/index.ts), with ``Entity {name, entityType,
observations: string[]}`` and ``Relation {from, to, relationType}``:

- ``create_entities {entities: [{name, entityType, observations}]}``: skips an entity whose
  name exists (its type and observations are ignored, even when different); returns only
  the new ones: ``{entities: [...]}``.
- ``create_relations {relations: [{from, to, relationType}]}``: skips exact (from, to, type)
  duplicates; does not check that the endpoints exist; returns ``{relations: [new...]}``.
- ``add_observations {observations: [{entityName, contents: string[]}]}``: an unknown entity
  fails the whole call with ``Entity with name X not found`` (nothing saved); observations
  already present are skipped; returns ``{results: [{entityName, addedObservations}]}``.
- ``delete_entities {entityNames: string[]}``: removes the entities and every relation from
  or to them; unknown names are ignored; text ``Entities deleted successfully``, structured
  ``{success: true, message: "Entities deleted successfully"}``.
- ``delete_observations {deletions: [{entityName, observations: string[]}]}``: missing
  entities or observations are ignored; ``Observations deleted successfully`` (same shape).
- ``delete_relations {relations: [{from, to, relationType}]}``: exact-match removal;
  ``Relations deleted successfully``.
- ``read_graph {}``: the whole graph, ``{entities, relations}`` (paged here).
- ``search_nodes {query}``: case-insensitive substring match on name, entityType or any
  observation; relations where from OR to is a matched entity; ``{entities, relations}``.
- ``open_nodes {names: string[]}``: exact names, missing ones ignored; relations where
  from OR to is an opened entity; ``{entities, relations}``.

Results: ``content: [{type: "text", text: JSON.stringify(result, null, 2)}]`` (Python:
``json.dumps(result, indent=2, ensure_ascii=False)``) plus ``structuredContent``; a handler
error is a tool result with ``isError: true`` and the message as its text (no structured
content), never a JSON-RPC error. All of it happens inside the server's tenant: the graph of
one tenant is invisible to a server configured for another.
"""
from __future__ import annotations

import json
from pathlib import Path

from mcp.types import Tool

from .tools import ToolSpec

#: The reference server's tool definitions, by name, exactly as it publishes them.
DEFINITIONS: dict[str, Tool] = {
    t["name"]: Tool.model_validate(t)
    for t in json.loads((Path(__file__).with_name("knowledge_tools.json")).read_text("utf-8"))
}

#: The knowledge-graph tools this server publishes: none until the knowledge layer lands.
TOOLS: list[ToolSpec] = []
