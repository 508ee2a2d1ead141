"""The knowledge-graph tools of the reference MCP memory server
(``@modelcontextprotocol/server-memory``) on cogdb's entities and relationships.

``knowledge_tools.json`` beside this file is the reference server's exact ``tools/list``
output (names, titles, descriptions, input and output schemas, annotations), captured from
version 0.6.3; :data:`DEFINITIONS` loads it, so the schemas clients see are the reference's.
One change: ``read_graph`` takes optional ``limit`` and ``cursor`` and says ``truncated``
(and the ``nextCursor``) in its result, because a tenant's graph can be large; a client that
sends ``{}``, as to the reference, gets the first page.

The reference's ``Entity {name, entityType, observations}`` is a name-keyed cogdb entity
(system '', key = name: ``name:<name>``) with its observations; ``Relation {from, to,
relationType}`` a current cogdb relationship between two such entities. Semantics (the
reference's, src/memory/index.ts, unless marked *cogdb*):

- ``create_entities``: an entity whose name exists is skipped (its type and observations
  are ignored, even when different); returns the new ones. *cogdb*: a name repeated in one
  call is created once; observations are trimmed and kept once each; with an embedder the
  name and observations are embedded, so ``search_nodes`` finds the entity by meaning.
- ``create_relations``: exact duplicates are skipped; returns the new ones. *cogdb*: both
  ends must exist (else ``Entity with name X not found``, nothing saved); the type is
  normalised to cogdb's form (``"works at"`` → ``works_at``: lower case, runs of other
  characters → ``_``) and registered for the tenant when it is new; an entity cannot relate
  to itself; a type registered as exclusive supersedes the entity's previous target.
- ``add_observations``: an unknown entity fails the whole call with ``Entity with name X not
  found`` (nothing saved); observations already present are skipped.
- ``delete_entities``: the entities and every relation from or to them; unknown names are
  ignored.
- ``delete_observations``: missing entities or observations are ignored.
- ``delete_relations``: *cogdb*: the fact is ended (``valid_to`` = now), not erased: it
  leaves the graph and stays in the relationship's history (``cogdb relationships
  --history``). Relations that do not exist are ignored.
- ``read_graph``: a page of entities in name order (byte order) and the relations from
  them; each relation appears on the page of its ``from`` entity.
- ``search_nodes``: entities whose name, type or an observation contains the query (case
  insensitive), after those cogdb's hybrid search ranks (full text over names and
  observations, and by meaning when an embedder is configured: similarity at least
  :data:`MIN_SIMILARITY`), at most :data:`MAX_SEARCH` of them; relations from or to them.
  Memories share the hybrid ranking's :data:`MAX_SEARCH` places, so in a tenant with many
  matching memories an entity may be found by its substring only.
- ``open_nodes``: exact names, missing ones ignored; relations from or to them.

Relations are shown only between name-keyed entities (a relation to a memory, or to an
entity keyed by another system, has no reference form here). Every tool runs in the server's
scope: its tenant and user, never an argument (a stray ``tenant`` is ignored, as the
reference's schemas allow extra properties). Each tool call is one transaction: all or
nothing.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any

from mcp.types import Tool
from psycopg.types.json import Jsonb

from ...api.async_client import AsyncScope
from ...api.knowledge import EntitySummary, KnowledgeMethods
from ...db.errors import InvalidInput, NotFound
from ...db.scope import Statement, Steps
from .tools import ToolSpec

#: The reference server's tool definitions, by name, exactly as it publishes them.
DEFINITIONS: dict[str, Tool] = {
    t["name"]: Tool.model_validate(t)
    for t in json.loads((Path(__file__).with_name("knowledge_tools.json")).read_text("utf-8"))
}


#: read_graph: entities per page by default, and at most.
DEFAULT_PAGE, MAX_PAGE = 100, 500
#: search_nodes: at most this many entities; an entity found only by meaning needs at least
#: this cosine similarity to the query (nearest neighbours always exist, related or not).
MAX_SEARCH = 100
MIN_SIMILARITY = 0.3
#: The limits of sql/tables/entities.sql and entity_observations.sql, checked here so an
#: error names the tool's own field (entities[2].name) rather than the SQL argument.
NAME_MAX, TYPE_MAX, OBSERVATION_MAX = 500, 100, 2000
#: cogdb's relationship type form (sql/tables/relationships.sql).
TYPE_FORM = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

Json = dict[str, Any]


# --------------------------------------------------------------------------- input checks

def _name(value: str, field: str) -> str:
    if not value.strip() or len(value) > NAME_MAX:
        raise InvalidInput(f"{field} must be a name of 1-{NAME_MAX} characters, got "
                           f"{value[:60]!r}", field=field)
    return value


def _entity_type(value: str, field: str) -> str:
    if not value.strip() or len(value) > TYPE_MAX:
        raise InvalidInput(f"{field} must be 1-{TYPE_MAX} characters, got {value[:60]!r}",
                           field=field, hint="e.g. person, organization, project")
    return value


def _observations(values: Sequence[str], field: str) -> list[str]:
    """Trimmed (as cogdb stores them) and each once, in order."""
    out: dict[str, None] = {}
    for i, value in enumerate(values):
        text = value.strip()
        if not text or len(text) > OBSERVATION_MAX:
            raise InvalidInput(f"{field}[{i}] must be an observation of 1-{OBSERVATION_MAX} "
                               f"characters, got {value[:60]!r}", field=f"{field}[{i}]",
                               hint="An observation is one short fact, e.g. 'prefers email'.")
        out[text] = None
    return list(out)


def relation_type(value: str, field: str) -> str:
    """cogdb's form of a relation type: "works at" -> works_at (accents dropped, lower case,
    runs of other characters -> _)."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:63].rstrip("_")
    if not TYPE_FORM.match(name):
        raise InvalidInput(f"{field} {value[:60]!r} has no usable relation type form: it "
                           "needs letters, starting with one", field=field,
                           hint="e.g. works_at, reports to, depends-on")
    return name


def _missing(name: str, field: str) -> NotFound:
    """The reference's message; the field in the hint (nothing was saved)."""
    return NotFound(f"Entity with name {name} not found", field=field,
                    hint=f"{field}: create it first with create_entities (names are exact); "
                         "nothing was saved.")


# --------------------------------------------------------------------------- shared steps

def _entity_text(name: str, observations: Sequence[str]) -> str:
    """What an entity's embedding is made of (as Scope.upsert_entity(embed=True) does)."""
    return "\n".join([name, *observations])


def _embeddings(s: AsyncScope, texts: list[str]) -> Steps[tuple[str | None, list | None]]:
    """(model, one vector per text) when the client or the tenant's model has an embedder;
    (None, None) otherwise: then entities are found by their words only."""
    if not texts:
        return None, None
    if s._client.embedder is None:
        rows = yield Statement(
            "SELECT m.embedder FROM cogdb.resolve_model(NULL) r"
            " JOIN cogdb.embedding_models m ON m.name = r.name")
        if not rows or rows[0]["embedder"] is None:
            return None, None
    model, matrix = yield from s._embed(None, texts)
    return model, list(matrix)


def _entity(row: Json) -> Json:
    """The reference's Entity of a cogdb entity row (get_entity or list_entities)."""
    return {"name": row["external_id"] if row["system"] == "" else row["name"],
            "entityType": row["entity_type"], "observations": list(row["observations"])}


def _summary(e: EntitySummary) -> Json:
    """The reference's Entity of a list_entities row (always name-keyed)."""
    return {"name": e.external_id, "entityType": e.entity_type,
            "observations": list(e.observations)}


def _relations(s: AsyncScope, names: list[str],
               keep: Callable[[Any], bool] = lambda r: True) -> Steps[list[Json]]:
    """The reference's Relations touching these name-keyed entities: both ends name-keyed."""
    rows = yield from KnowledgeMethods.entity_relations.steps(s, names)
    return [{"from": r.from_external_id, "to": r.to_external_id, "relationType": r.type}
            for r in rows if r.from_system == "" and r.to_system == "" and keep(r)]


# --------------------------------------------------------------------------- the tools

def create_entities(s: AsyncScope, args: Json) -> Steps[Json]:
    new: dict[str, Json] = {}
    for i, e in enumerate(args["entities"]):
        name = _name(e["name"], f"entities[{i}].name")
        item = {"name": name, "entityType": _entity_type(e["entityType"],
                                                         f"entities[{i}].entityType"),
                "observations": _observations(e["observations"],
                                              f"entities[{i}].observations")}
        new.setdefault(name, item)  # a name repeated in the call: the first one
    if not new:
        return {"entities": []}
    rows = yield Statement(
        "SELECT u.name FROM unnest(%s::text[]) AS u(name)"
        " CROSS JOIN LATERAL cogdb.resolve_node('name:' || u.name, 'name') AS r"
        " WHERE r.kind = 'entity'", (list(new),))
    for r in rows:  # existing names are skipped (an alias's too)
        new.pop(r["name"], None)
    items = list(new.values())
    if not items:
        return {"entities": []}
    model, vectors = yield from _embeddings(
        s, [_entity_text(e["name"], e["observations"]) for e in items])
    rows = yield Statement(
        "SELECT x.n, u.created FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS x(e, n)"
        " CROSS JOIN LATERAL cogdb.upsert_entity(x.e ->> 'name',"
        "  entity_type => x.e ->> 'entityType',"
        "  observations => ARRAY(SELECT o FROM jsonb_array_elements_text(x.e -> 'observations')"
        "                        WITH ORDINALITY AS j(o, k) ORDER BY k),"
        "  embedding => (%b::public.vector[])[x.n], model => %s::text) AS u"
        " ORDER BY x.n", (Jsonb(items), vectors, model))
    return {"entities": [items[r["n"] - 1] for r in rows if r["created"]]}


def create_relations(s: AsyncScope, args: Json) -> Steps[Json]:
    rels = []
    for i, r in enumerate(args["relations"]):
        item = {"from": _name(r["from"], f"relations[{i}].from"),
                "to": _name(r["to"], f"relations[{i}].to"),
                "relationType": relation_type(r["relationType"],
                                              f"relations[{i}].relationType")}
        if item["from"] == item["to"]:
            raise InvalidInput(f"relations[{i}].to must be another entity than "
                               f"relations[{i}].from ({item['from']!r}): a relation joins "
                               "two different entities", field=f"relations[{i}].to")
        rels.append(item)
    if not rels:
        return {"relations": []}
    names = list(dict.fromkeys(n for r in rels for n in (r["from"], r["to"])))
    rows = yield Statement(
        "SELECT u.name FROM unnest(%s::text[]) AS u(name)"
        " CROSS JOIN LATERAL cogdb.resolve_node('name:' || u.name, 'name') AS r"
        " WHERE r.kind IS DISTINCT FROM 'entity'", (names,))
    missing = {r["name"] for r in rows}
    for i, r in enumerate(rels):
        for end in ("from", "to"):
            if r[end] in missing:
                raise _missing(r[end], f"relations[{i}].{end}")
    # New types are registered for the tenant (non-exclusive), as cogdb relation-type add.
    yield Statement(
        "SELECT cogdb.register_relationship_type(t.name)"
        " FROM (SELECT DISTINCT u.name FROM unnest(%s::text[]) AS u(name)) t"
        " WHERE NOT t.name = ANY (cogdb.builtin_relationship_types())"
        "   AND NOT EXISTS (SELECT FROM cogdb.relationship_types rt WHERE rt.name = t.name)",
        ([r["relationType"] for r in rels],))
    rows = yield Statement(
        "SELECT x.n, r.created"
        " FROM unnest(%s::text[], %s::text[], %s::text[]) WITH ORDINALITY AS x(f, t, type, n)"
        " CROSS JOIN LATERAL cogdb.relate('name:' || x.f, 'name:' || x.t, x.type) AS r"
        " ORDER BY x.n",
        ([r["from"] for r in rels], [r["to"] for r in rels], [r["relationType"] for r in rels]))
    return {"relations": [rels[r["n"] - 1] for r in rows if r["created"]]}


def add_observations(s: AsyncScope, args: Json) -> Steps[Json]:
    entries = [(_name(o["entityName"], f"observations[{i}].entityName"),
                _observations(o["contents"], f"observations[{i}].contents"))
               for i, o in enumerate(args["observations"])]
    if not entries:
        return {"results": []}
    names = list(dict.fromkeys(name for name, _ in entries))
    rows = yield Statement(
        "SELECT u.name, g.id, g.system, g.external_id, g.name AS label, g.observations"
        " FROM unnest(%s::text[]) AS u(name)"
        " LEFT JOIN LATERAL cogdb.get_entity('name:' || u.name) AS g ON true", (names,))
    found = {r["name"]: r for r in rows}
    for i, (name, _) in enumerate(entries):
        if found[name]["id"] is None:
            raise _missing(name, f"observations[{i}].entityName")
    have = {r["id"]: dict.fromkeys(r["observations"]) for r in rows}
    before = {k: len(v) for k, v in have.items()}
    results = []
    for name, contents in entries:
        known = have[found[name]["id"]]
        added = [c for c in contents if c not in known]
        known.update(dict.fromkeys(added))
        results.append({"entityName": name, "addedObservations": added})
    changed = {r["id"]: r for r in rows if len(have[r["id"]]) > before[r["id"]]}
    if changed:
        todo = [{"system": r["system"], "key": r["external_id"],
                 "observations": list(have[i])[before[i]:]} for i, r in changed.items()]
        model, vectors = yield from _embeddings(
            s, [_entity_text(r["label"], list(have[i])) for i, r in changed.items()])
        yield Statement(
            "SELECT count(*) FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS x(e, n)"
            " CROSS JOIN LATERAL cogdb.upsert_entity(x.e ->> 'key', system => x.e ->> 'system',"
            "  observations => ARRAY(SELECT o FROM jsonb_array_elements_text("
            "                        x.e -> 'observations') WITH ORDINALITY AS j(o, k)"
            "                        ORDER BY k),"
            "  embedding => (%b::public.vector[])[x.n], model => %s::text) AS u",
            (Jsonb(todo), vectors, model))
    return {"results": results}


def _done(message: str) -> Json:
    return {"success": True, "message": message}


def delete_entities(s: AsyncScope, args: Json) -> Steps[Json]:
    names = [n for n in dict.fromkeys(args["entityNames"]) if n.strip()]
    if names:  # unknown names are ignored; relations go with their entities (foreign keys)
        yield Statement("SELECT count(*) FILTER (WHERE cogdb.forget_entity('name:' || u.name))"
                        " FROM unnest(%s::text[]) AS u(name)", (names,))
    return _done("Entities deleted successfully")


def delete_observations(s: AsyncScope, args: Json) -> Steps[Json]:
    todo = [{"name": d["entityName"],
             "observations": [o.strip() for o in d["observations"]]}
            for d in args["deletions"] if d["entityName"].strip()]
    if not todo:
        return _done("Observations deleted successfully")
    rows = yield Statement(
        "SELECT x.e ->> 'name' AS name, cogdb.forget_observations('name:' || (x.e ->> 'name'),"
        "  ARRAY(SELECT jsonb_array_elements_text(x.e -> 'observations'))) AS removed"
        " FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS x(e, n) ORDER BY x.n",
        (Jsonb(todo),))
    changed = list(dict.fromkeys(r["name"] for r in rows if r["removed"]))
    if changed:  # the embedding follows the observations that remain
        yield from _reembed(s, changed)
    return _done("Observations deleted successfully")


def _reembed(s: AsyncScope, names: list[str]) -> Steps[None]:
    rows = yield Statement(
        "SELECT g.system, g.external_id AS key, g.name, g.observations"
        " FROM unnest(%s::text[]) AS u(name), LATERAL cogdb.get_entity('name:' || u.name) g",
        (names,))
    model, vectors = yield from _embeddings(s, [_entity_text(r["name"], r["observations"])
                                                for r in rows])
    if vectors is None:
        return
    yield Statement(
        "SELECT count(*) FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS x(e, n)"
        " CROSS JOIN LATERAL cogdb.upsert_entity(x.e ->> 'key', system => x.e ->> 'system',"
        "  embedding => (%b::public.vector[])[x.n], model => %s::text) AS u",
        (Jsonb([{"system": r["system"], "key": r["key"]} for r in rows]), vectors, model))


def delete_relations(s: AsyncScope, args: Json) -> Steps[Json]:
    rels = [(r["from"], r["to"], relation_type(r["relationType"],
                                              f"relations[{i}].relationType"))
            for i, r in enumerate(args["relations"]) if r["from"].strip() and r["to"].strip()]
    if rels:
        # Each current record of a wanted fact (shared, or the user's private one) is ended
        # now by cogdb.relate, which supersedes it with a closed copy: history is kept.
        yield Statement(
            "WITH wanted AS (SELECT * FROM unnest(%s::text[], %s::text[], %s::text[])"
            "                  AS w(f, t, type)),"
            " current AS MATERIALIZED ("
            "  SELECT DISTINCT r.from_external_id AS f, r.to_external_id AS t, r.type,"
            "         r.visibility"
            "    FROM cogdb.entity_relations(ARRAY(SELECT DISTINCT w.f FROM wanted w)) r"
            "    JOIN wanted w ON (w.f, w.t, w.type)"
            "                   = (r.from_external_id, r.to_external_id, r.type)"
            "   WHERE r.from_system = '' AND r.to_system = '')"
            " SELECT count(*) FROM current c"
            " CROSS JOIN LATERAL cogdb.relate('name:' || c.f, 'name:' || c.t, c.type,"
            "  valid_to => now(), visibility => c.visibility) AS r",
            ([r[0] for r in rels], [r[1] for r in rels], [r[2] for r in rels]))
    return _done("Relations deleted successfully")


def read_graph(s: AsyncScope, args: Json) -> Steps[Json]:
    limit = args.get("limit", DEFAULT_PAGE)
    page = yield from KnowledgeMethods.list_entities.steps(s, args.get("cursor"), limit + 1)
    truncated = len(page) > limit
    page = page[:limit]
    names = [e.external_id for e in page]
    on_page = set(names)
    relations = yield from _relations(s, names, lambda r: r.from_external_id in on_page)
    result: Json = {"entities": [_summary(e) for e in page],
                    "relations": relations, "truncated": truncated}
    if truncated:
        result["nextCursor"] = names[-1]
    return result


def search_nodes(s: AsyncScope, args: Json) -> Steps[Json]:
    query = args["query"]
    found: dict[str, Json] = {}
    if query.strip():
        model, vectors = yield from _embeddings(s, [query])
        rows = yield Statement(
            "SELECT g.* FROM cogdb.hybrid_search(query_text => %s::text,"
            "  query_vector => %b::public.vector, k => %s::integer, model => %s::text,"
            "  candidates => %s::integer) AS h"
            " CROSS JOIN LATERAL cogdb.get_entity('entity:' || h.id) AS g"
            " WHERE h.kind = 'entity' AND g.system = ''"
            "   AND (h.text_rank IS NOT NULL OR h.similarity >= %s::float8)"
            " ORDER BY h.score DESC, h.id",
            (query, vectors[0] if vectors else None, MAX_SEARCH, model, MAX_SEARCH,
             MIN_SIMILARITY))
        for r in rows:
            found.setdefault(r["external_id"], _entity(r))
    if len(found) < MAX_SEARCH:
        page = yield from KnowledgeMethods.list_entities.steps(s, None, MAX_SEARCH,
                                                               containing=query or None)
        for e in page:
            if len(found) < MAX_SEARCH:
                found.setdefault(e.external_id, _summary(e))
    relations = yield from _relations(s, list(found))
    return {"entities": list(found.values()), "relations": relations}


def open_nodes(s: AsyncScope, args: Json) -> Steps[Json]:
    names = [n for n in dict.fromkeys(args["names"]) if n.strip()]
    rows: list[Json] = []
    if names:
        rows = yield Statement(
            "SELECT g.* FROM unnest(%s::text[]) WITH ORDINALITY AS u(name, n),"
            " LATERAL cogdb.get_entity('name:' || u.name) AS g ORDER BY u.n", (names,))
    entities = {r["id"]: _entity(r) for r in rows}   # an alias and its survivor: once
    relations = yield from _relations(
        s, [r["external_id"] for r in rows if r["system"] == ""])
    return {"entities": list(entities.values()), "relations": relations}


# --------------------------------------------------------------------------- publishing

def _read_graph_tool() -> Tool:
    """The reference's read_graph, with paging: ``limit``/``cursor`` in, ``truncated`` (and
    ``nextCursor``) out."""
    tool = DEFINITIONS["read_graph"].model_copy(deep=True)
    tool.description = (f"Read the knowledge graph, a page of at most `limit` entities "
                        f"(default {DEFAULT_PAGE}) in name order with the relations from "
                        "them; when `truncated` is true, call again with `cursor` set to "
                        "`nextCursor` for the next page")
    tool.input_schema["properties"] = {
        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE,
                  "default": DEFAULT_PAGE, "description": "How many entities per page."},
        "cursor": {"type": "string", "description":
                   "nextCursor of the previous page (leave out for the first page)."},
    }
    out = tool.output_schema
    assert out is not None
    out["properties"]["truncated"] = {
        "type": "boolean", "description": "More entities follow: call again with cursor."}
    out["properties"]["nextCursor"] = {"type": "string"}
    out["required"] = [*out["required"], "truncated"]
    return tool


def _handler(steps: Callable[[AsyncScope, Json], Generator[Any, Any, Json]]):
    async def run(s: AsyncScope, args: Json) -> Json:
        return await s._run(steps(s, args))
    return run


def _text(message: str) -> Callable[[Json], str]:
    return lambda result: message


#: The knowledge-graph tools this server publishes, in the reference's order.
TOOLS: list[ToolSpec] = [
    ToolSpec(DEFINITIONS["create_entities"], _handler(create_entities)),
    ToolSpec(DEFINITIONS["create_relations"], _handler(create_relations)),
    ToolSpec(DEFINITIONS["add_observations"], _handler(add_observations)),
    ToolSpec(DEFINITIONS["delete_entities"], _handler(delete_entities),
             text=_text("Entities deleted successfully")),
    ToolSpec(DEFINITIONS["delete_observations"], _handler(delete_observations),
             text=_text("Observations deleted successfully")),
    ToolSpec(DEFINITIONS["delete_relations"], _handler(delete_relations),
             text=_text("Relations deleted successfully")),
    ToolSpec(_read_graph_tool(), _handler(read_graph)),
    ToolSpec(DEFINITIONS["search_nodes"], _handler(search_nodes)),
    ToolSpec(DEFINITIONS["open_nodes"], _handler(open_nodes)),
]
