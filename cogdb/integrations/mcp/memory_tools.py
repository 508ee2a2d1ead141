"""cogdb's own tools: ``remember``, ``search``, ``forget``.

No tool takes a tenant or a user: they are the server's (its configuration), and every
input schema says ``additionalProperties: false``, so a client that sends ``tenant`` gets a
validation error rather than a silently ignored argument.
"""
from __future__ import annotations

from typing import Any

from mcp.types import Tool, ToolAnnotations

from ...api.async_client import AsyncScope
from ...api.knowledge import HybridHit
from ...api.search import SearchHit
from .tools import ToolSpec

#: At most this many results per search call (cogdb itself allows up to settings.search.max_k).
MAX_RESULTS = 100

_METADATA = {"type": "object", "description": "A JSON object of your own (top-level keys "
             "are filterable: see search's metadata_filter)."}
_TAGS = {"type": "array", "items": {"type": "string"}}

REMEMBER = Tool(
    name="remember", title="Remember",
    description="Store a memory (a fact, a note, or a question with its answer) in this "
                "server's cogdb tenant. Returns its id.",
    input_schema={
        "type": "object",
        "properties": {
            "text": {"type": "string", "minLength": 1,
                     "description": "What to remember (for a turn: the user's message)."},
            "answer": {"type": "string", "description": "The assistant's answer, for a turn."},
            "tags": {**_TAGS, "description": "Tags to find it by."},
            "metadata": _METADATA,
            "context_type": {"type": "string", "description":
                             "conversation, fact, entity, document or note (default: note)."},
            "private": {"type": "boolean", "description":
                        "Visible to this server's user only (default: the whole tenant)."},
        },
        "required": ["text"],
        "additionalProperties": False,
    },
    output_schema={"type": "object", "properties": {"id": {"type": "string"}},
                   "required": ["id"], "additionalProperties": False},
    annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False,
                                idempotent_hint=False, open_world_hint=False),
)

_HIT = {
    "type": "object",
    "properties": {
        "id": {"type": "string"}, "text": {"type": "string"}, "answer": {"type": "string"},
        "similarity": {"type": ["number", "null"], "description":
                       "Cosine similarity to the query (hybrid: null when only the words "
                       "matched)."},
        "tags": {}, "metadata": {"type": "object"},
        "context_type": {"type": "string"}, "created_at": {"type": "string"},
        "kind": {"type": "string", "description": "hybrid: memory or entity."},
        "score": {"type": "number", "description": "hybrid: the fused (RRF) score."},
        "entity_type": {"type": "string", "description": "hybrid, for an entity."},
    },
    "required": ["id", "text", "similarity"],
}

SEARCH = Tool(
    name="search", title="Search memories",
    description="The memories nearest in meaning to a query, nearest first, with their "
                "cosine similarity (1 = same direction); or, with mode hybrid, memories and "
                "entities ranked by their words and their meaning together. Only this "
                "server's tenant (and its user's private memories) are searched.",
    input_schema={
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 1},
            "k": {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS, "default": 10,
                  "description": "How many memories to return."},
            "tags_any": {**_TAGS, "description": "Only memories with any of these tags."},
            "metadata_filter": {"type": "object", "description":
                                'e.g. {"customer": "acme", "priority": {"$gte": 2}}; '
                                "operators $eq $ne $gt $gte $lt $lte $in $nin."},
            "mode": {"enum": ["semantic", "hybrid"], "default": "semantic", "description":
                     "semantic: by meaning, memories only. hybrid: words and meaning fused "
                     "(reciprocal rank fusion), memories and knowledge-graph entities "
                     "(the filters leave entities out)."},
        },
        "required": ["query"],
        "additionalProperties": False,
    },
    output_schema={"type": "object", "properties": {"results": {"type": "array",
                                                                "items": _HIT}},
                   "required": ["results"], "additionalProperties": False},
    annotations=ToolAnnotations(read_only_hint=True, destructive_hint=False,
                                idempotent_hint=True, open_world_hint=False),
)

FORGET = Tool(
    name="forget", title="Forget",
    description="Delete a memory by id. Returns whether one was deleted (an id that is "
                "missing or not yours to delete gives false).",
    input_schema={"type": "object", "properties": {"id": {"type": "string", "minLength": 1}},
                  "required": ["id"], "additionalProperties": False},
    output_schema={"type": "object", "properties": {"forgotten": {"type": "boolean"}},
                   "required": ["forgotten"], "additionalProperties": False},
    annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True,
                                idempotent_hint=True, open_world_hint=False),
)


async def remember(s: AsyncScope, args: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {"context_type": args.get("context_type", "note"),
                              "source": "assistant"}
    for key in ("tags", "metadata"):
        if key in args:
            fields[key] = args[key]
    mid = await s.remember(args["text"], args.get("answer", ""),
                           private=bool(args.get("private", False)), **fields)
    return {"id": mid}


def _hit(h: SearchHit) -> dict[str, Any]:
    return {"id": h.id, "text": h.human_content or "", "answer": h.assistant_content or "",
            "similarity": h.similarity, "tags": h.tags, "metadata": h.metadata or {},
            "context_type": h.context_type or "",
            "created_at": h.created_at.isoformat() if h.created_at else ""}


async def semantic_search(s: AsyncScope, args: dict[str, Any]) -> dict[str, Any]:
    hits = await s.search(args["query"], k=args.get("k", 10), tags_any=args.get("tags_any"),
                          metadata_filter=args.get("metadata_filter"))
    return {"results": [_hit(h) for h in hits]}


def _hybrid_hit(h: HybridHit) -> dict[str, Any]:
    hit = {"id": h.id, "kind": h.kind, "score": h.score, "similarity": h.similarity,
           "text": (h.human_content or "") if h.kind == "memory" else (h.name or ""),
           "created_at": h.created_at.isoformat() if h.created_at else ""}
    if h.kind == "memory":
        hit.update(answer=h.assistant_content or "", tags=h.tags,
                   metadata=h.metadata or {}, context_type=h.context_type or "")
    else:
        hit["entity_type"] = h.entity_type or ""
    return hit


async def hybrid_search(s: AsyncScope, args: dict[str, Any]) -> dict[str, Any]:
    hits = await s.hybrid_search(args["query"], k=args.get("k", 10),
                                 tags_any=args.get("tags_any"),
                                 metadata_filter=args.get("metadata_filter"))
    return {"results": [_hybrid_hit(h) for h in hits]}


#: search's modes (the input schema's "mode").
SEARCH_MODES = {"semantic": semantic_search, "hybrid": hybrid_search}


async def search(s: AsyncScope, args: dict[str, Any]) -> dict[str, Any]:
    return await SEARCH_MODES[args.get("mode", "semantic")](s, args)


async def forget(s: AsyncScope, args: dict[str, Any]) -> dict[str, Any]:
    return {"forgotten": await s.forget(args["id"])}


TOOLS = [
    ToolSpec(REMEMBER, remember, text=lambda r: f"Remembered {r['id']}"),
    ToolSpec(SEARCH, search),
    ToolSpec(FORGET, forget, text=lambda r: "Forgotten" if r["forgotten"]
             else "No memory with that id to forget"),
]
