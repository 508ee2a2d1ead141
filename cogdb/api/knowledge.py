"""Knowledge: entities, relationships, traversal, hybrid search, access tracking and
statistics in a scope. Each method is one call of the SQL function of the same name in
``sql/functions/knowledge/``; tenant and owner come from the scope's context.

Nodes are named by references, as the SQL functions take them: ``memory:<id>``,
``entity:<id>``, ``name:<name>`` (an entity keyed by its name) and
``key:<system>:<external id>``. The methods also take a :class:`~cogdb.Memory`, an
:class:`Entity` or an :class:`EntityUpsert` (their reference), and a bare string without one
of those prefixes as a name (``"Acme Corp"`` is ``name:Acme Corp``).
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import numpy as np
from psycopg.types.json import Jsonb

from ..db.errors import InvalidInput
from ..db.pool import ENTITY_MIGRATION_AWARE
from ..db.scope import Statement, Steps
from ..db.values import as_uuid, as_vector, check_json
from .memories import FILTER_ARGS, Memory, _filter_params
from .operation import operation

#: The prefixes of a node reference (cogdb.resolve_node).
REF_PREFIXES = ("memory:", "entity:", "name:", "key:")
#: The relationship types every tenant has (cogdb.builtin_relationship_types()).
BUILTIN_TYPES = ("led_to", "relates_to", "depends_on", "produces", "belongs_to")
#: neighbors(): the default and largest depth, and the default and largest result.
DEFAULT_DEPTH, MAX_DEPTH = 2, 5
DEFAULT_NEIGHBORS, MAX_NEIGHBORS = 100, 1000
#: list_entities(): the default and largest page.
DEFAULT_ENTITY_PAGE, MAX_ENTITY_PAGE = 100, 1000
#: hybrid_search(): the RRF constant and how many results each half contributes.
DEFAULT_RRF_K = 60
DEFAULT_CANDIDATES = 50


def _from_row(cls: type, row: Mapping[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in row.items() if k in names})


@dataclass(frozen=True)
class Entity:
    """An entity as ``get_entity`` returns it: its key (system, external_id; system ''
    means keyed by name), type, name, data, observations (oldest first) and the keys of the
    entities merged into it (``aliases``). ``tenant_id``: the tenant it lives in (another
    tenant's only with ``include_shared``)."""

    id: str
    system: str = ""
    external_id: str = ""
    entity_type: str = "thing"
    name: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    visibility: str = "tenant"
    owner_user_id: uuid.UUID | None = None
    update_count: int = 1
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    model: str | None = None
    observations: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    tenant_id: uuid.UUID | None = None

    @property
    def ref(self) -> str:
        return f"entity:{self.id}"


@dataclass(frozen=True)
class EntityUpsert:
    """What ``upsert_entity`` returns: the entity's id, whether the call created it, and
    its update_count (every upsert counts)."""

    id: str
    created: bool
    update_count: int

    @property
    def ref(self) -> str:
        return f"entity:{self.id}"


@dataclass(frozen=True)
class EntitySummary:
    """A name-keyed entity as ``list_entities`` returns it: its id, key (``external_id``,
    the name that ``name:<name>`` resolves), display name, type and observations (oldest
    first), and the tenant it lives in (another tenant's only with ``include_shared``)."""

    id: str
    external_id: str
    name: str
    entity_type: str
    observations: list[str]
    visibility: str
    owner_user_id: uuid.UUID | None
    update_count: int
    first_seen: datetime
    last_seen: datetime
    tenant_id: uuid.UUID | None = None

    @property
    def ref(self) -> str:
        return f"entity:{self.id}"


@dataclass(frozen=True)
class EntityRelation:
    """A current relationship between two entities as ``entity_relations`` returns it: its
    id and type, and each end's id, key (system, external_id) and display name."""

    id: str
    type: str
    from_id: str
    from_system: str
    from_external_id: str
    from_name: str
    to_id: str
    to_system: str
    to_external_id: str
    to_name: str
    strength: float
    confidence: float
    visibility: str
    valid_from: datetime
    recorded_at: datetime


@dataclass(frozen=True)
class MergeResult:
    """What ``merge_entities`` did: the survivor's id, the merged entity's id (now its
    alias), and what moved (as far as this scope can see)."""

    id: str
    merged: str
    observations_moved: int
    relationships_moved: int
    relationships_superseded: int


@dataclass(frozen=True)
class Recorded:
    """What ``relate`` did: the record's id, whether it wrote one (False: the same fact was
    already recorded as given), and the records it superseded."""

    id: str
    created: bool
    superseded: list[str]


@dataclass(frozen=True)
class Relationship:
    """A relationship record seen from one node: ``edge_direction`` is ``out`` (from that
    node) or ``in``, ``other`` the node at the other end. valid_from/valid_to: when the fact
    held; recorded_at/superseded_at: when cogdb learned it and when a later record replaced
    it (superseded_by)."""

    id: str
    type: str
    edge_direction: str
    other: str
    from_node: str
    to_node: str
    strength: float
    confidence: float
    metadata: dict[str, Any]
    visibility: str
    owner_user_id: uuid.UUID | None
    valid_from: datetime
    valid_to: datetime | None
    recorded_at: datetime
    superseded_at: datetime | None
    superseded_by: str | None


@dataclass(frozen=True)
class RelationshipType:
    name: str
    builtin: bool
    exclusive: bool
    description: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Neighbor:
    """A node reached by ``neighbors``: its reference, depth, the relationship it was
    reached by (``via``, type, direction, strength), the path from the start (references,
    start first), a label (an entity's name, a memory's first 200 characters) and the
    tenant the node belongs to (another tenant's only with ``include_shared``)."""

    node: str
    kind: str
    id: str
    depth: int
    via: str
    type: str
    edge_direction: str
    strength: float
    path: list[str]
    label: str | None = None
    tenant_id: uuid.UUID | None = None


@dataclass(frozen=True)
class HybridHit:
    """A hybrid search result: a memory or an entity (``kind``) with its fused ``score``,
    its rank in each half (None where a half did not find it), the cosine ``similarity`` of
    the vector half and the ``text_score`` (ts_rank) of the text half. Memory fields are set
    for memories, ``name`` and ``entity_type`` for entities. ``plan`` names the halves that
    ran and the vector search's path; ``tenant_id`` the tenant the node lives in (another
    tenant's only with ``include_shared``)."""

    kind: str
    id: str
    score: float
    text_rank: int | None = None
    vector_rank: int | None = None
    similarity: float | None = None
    text_score: float | None = None
    name: str | None = None
    entity_type: str | None = None
    conversation_id: str | None = None
    human_content: str | None = None
    assistant_content: str | None = None
    summary: str | None = None
    context_type: str | None = None
    source: str | None = None
    created_at: datetime | None = None
    visibility: str | None = None
    owner_user_id: uuid.UUID | None = None
    tags: list[str] | dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    plan: str | None = None
    tenant_id: uuid.UUID | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.id}"


def node_ref(node: Any, field_name: str = "node") -> str:
    """The reference of a node: a Memory, Entity, EntityUpsert, a reference string, or a
    bare name."""
    if isinstance(node, Memory):
        return f"memory:{node.id}"
    if isinstance(node, (Entity, EntityUpsert, HybridHit)):
        return node.ref
    if isinstance(node, Neighbor):
        return node.node
    if not isinstance(node, str) or not node:
        raise InvalidInput(f"{field_name} must be a node reference such as memory:<id>, "
                           f"entity:<id> or name:<name>, got {node!r}", field=field_name)
    check_json(node, field_name)
    return node if node.startswith(REF_PREFIXES) else f"name:{node}"


class KnowledgeMethods:
    """The knowledge layer; mixed into :class:`cogdb.Scope`."""

    _embed: Callable[[str | None, Sequence[str]], Steps[tuple[str, np.ndarray]]]

    # ------------------------------------------------------------------ entities

    @operation
    def upsert_entity(self, key: str, *, system: str = "", type: str | None = None,
                      name: str | None = None, data: Mapping[str, Any] | None = None,
                      observations: Sequence[str] | None = None,
                      visibility: str | None = None, embedding: Any = None,
                      model: str | None = None, embed: bool = False) -> Steps[EntityUpsert]:
        """Create or update the entity keyed (``system``, ``key``); with system ''
        (default) ``key`` is the entity's name. ``data`` merges into the stored document key
        by key (nested objects recursively; scalars and lists are replaced by the newer
        value, and so is an object by a scalar or the other way round); type, name,
        visibility and embedding replace the stored ones when given; observations are added
        once each. Race-free, and every call counts in update_count.

        ``embed=True`` embeds the name and the observations given with the model's
        embedder (default: the tenant's model), so hybrid search finds the entity by
        meaning; or pass ``embedding`` yourself."""
        for label, value in (("key", key), ("system", system), ("type", type),
                             ("name", name), ("data", data), ("visibility", visibility)):
            check_json(value, label)
        obs = list(observations) if observations is not None else None
        check_json(obs, "observations")
        vector = text = None
        if embedding is not None:
            vector = as_vector(embedding, "embedding")
        elif embed:
            text = "\n".join([name or key, *(obs or [])])
            model, matrix = yield from self._embed(model, [text])
            vector = matrix[0]
        # While the tenant migrates to another model, an entity embedded here gets that
        # model's vector too (docs/scale-out.md, "Re-embedding without downtime").
        aware = text is not None and ENTITY_MIGRATION_AWARE.get(self._connection.info.dsn,
                                                                 False)
        row = (yield Statement(
            "SELECT u.*" + (", t.from_model, t.to_model" if aware else "") +
            " FROM cogdb.upsert_entity(external_id => %s::text, system => %s::text,"
            " entity_type => %s::text, name => %s::text, data => %s::jsonb,"
            " observations => %s::text[], visibility => %s::text, embedding => %b::vector,"
            " model => %s::text) AS u"
            + (" LEFT JOIN cogdb.migration_target() AS t ON true" if aware else ""),
            (key, system, type, name, Jsonb(dict(data)) if data is not None else None, obs,
             visibility, vector, model)))[0]
        if aware and row["to_model"] is not None and model == row["from_model"]:
            yield from self._entity_second_vector(row["id"], text, row["to_model"])
        return _from_row(EntityUpsert, row)

    def _entity_second_vector(self, entity_id: str, text: str, to_model: str) -> Steps[None]:
        """Embed the entity's text with the model its tenant migrates to and store that
        vector in the same transaction (cogdb.remember_entity_embeddings), so the entity
        needs no re-embedding before the cutover. A model this client cannot embed is left
        to the migration's final pass, as is an embedding passed in (its text is unknown)."""
        try:
            _, matrix = yield from self._embed(to_model, [text])
        except InvalidInput:
            return
        yield Statement("SELECT cogdb.remember_entity_embeddings(%s::text[], %s::text,"
                        " %b::vector[])", ([entity_id], to_model, [matrix[0]]))

    @operation
    def get_entity(self, ref: Any, *, include_shared: bool = False) -> Steps[Entity | None]:
        """The entity (an alias resolves to its survivor) with its observations and
        aliases, or None when it is missing or not visible to this scope.
        ``include_shared=True``: when this scope's tenant has no such entity, one of that key
        that another tenant's live grant shares (``tenant_id`` says which; the first source
        by id if several do), noted in the source's audit chain (cogdb.get_entity)."""
        rows = yield Statement("SELECT * FROM cogdb.get_entity(%s::text, %s::boolean)",
                             (node_ref(ref, "ref"), bool(include_shared)))
        return _from_row(Entity, rows[0]) if rows else None

    @operation
    def merge_entities(self, survivor: Any, other: Any) -> Steps[MergeResult]:
        """Merge ``other`` into ``survivor``: observations and relationships move, data
        merges (the survivor's values win), and ``other`` becomes an alias whose key
        resolves to the survivor."""
        row = (yield Statement("SELECT * FROM cogdb.merge_entities(%s::text, %s::text)",
                            (node_ref(survivor, "survivor"), node_ref(other, "other"))))[0]
        return _from_row(MergeResult, row)

    @operation
    def forget_entity(self, ref: Any) -> Steps[bool]:
        """Delete the entity with its observations, aliases and relationships; False when it
        is missing or not visible to this scope."""
        rows = yield Statement("SELECT cogdb.forget_entity(%s::text) AS deleted",
                             (node_ref(ref, "ref"),))
        return bool(rows[0]["deleted"])

    @operation
    def list_entities(self, after: str | None = None, max_rows: int = DEFAULT_ENTITY_PAGE, *,
                      containing: str | None = None, include_shared: bool = False,
                      after_tenant: uuid.UUID | str | None = None) -> Steps[list[EntitySummary]]:
        """A page of the name-keyed entities this scope can see, in name order (byte order
        of the key), with type and observations: at most ``max_rows`` (1-1000) after the name
        ``after``. For the next page pass the last one's ``external_id``. ``containing``
        keeps those whose name, type or an observation contains that text (any case).
        ``include_shared=True`` adds the entities other tenants' live grants share (ordered
        by name, then tenant id; a name can repeat, so pass the last one's ``tenant_id`` as
        ``after_tenant`` too), noted in each source's audit chain."""
        for label, value in (("after", after), ("containing", containing)):
            check_json(value, label)
        rows = yield Statement(
            "SELECT * FROM cogdb.list_entities(after => %s::text, max_rows => %s::integer,"
            " containing => %s::text, include_shared => %s::boolean,"
            " after_tenant => %s::uuid)",
            (after, max_rows, containing, bool(include_shared),
             None if after_tenant is None else as_uuid(after_tenant, "after_tenant")))
        return [_from_row(EntitySummary, r) for r in rows]

    @operation
    def forget_observations(self, ref: Any, observations: Sequence[str]) -> Steps[int]:
        """Remove these observations from the entity (a visible one); how many were removed.
        Observations it does not have, and a missing or invisible entity, remove nothing."""
        if isinstance(observations, str):
            raise InvalidInput("pass a list of observations, not one string",
                               field="observations")
        obs = list(observations)
        check_json(obs, "observations")
        rows = yield Statement("SELECT cogdb.forget_observations(%s::text, %s::text[]) AS n",
                             (node_ref(ref, "ref"), obs))
        return int(rows[0]["n"])

    @operation
    def entity_relations(self, names: Sequence[str]) -> Steps[list[EntityRelation]]:
        """The current relationships between two entities that touch any of the name-keyed
        entities ``names`` (visible to this scope), with both ends' keys and names."""
        if isinstance(names, str):
            raise InvalidInput("pass a list of names, not one string", field="names")
        names = list(names)
        if not names:
            return []
        check_json(names, "names")
        rows = yield Statement("SELECT * FROM cogdb.entity_relations(%s::text[])", (names,))
        return [_from_row(EntityRelation, r) for r in rows]

    # ------------------------------------------------------------------ relationships

    @operation
    def register_relationship_type(self, name: str, description: str | None = None, *,
                                   exclusive: bool = False) -> Steps[str]:
        """Register a relationship type for the tenant (idempotent for the same
        definition). An exclusive type holds one current target per source node: a new
        one supersedes the old."""
        for label, value in (("name", name), ("description", description)):
            check_json(value, label)
        rows = yield Statement("SELECT cogdb.register_relationship_type(%s::text, %s::text,"
                             " %s::boolean) AS name", (name, description, exclusive))
        return rows[0]["name"]

    @operation
    def relationship_types(self) -> Steps[list[RelationshipType]]:
        """The tenant's relationship types: the five built in, then the registered ones."""
        rows = yield Statement("SELECT * FROM cogdb.list_relationship_types()")
        return [_from_row(RelationshipType, r) for r in rows]

    @operation
    def relate(self, from_node: Any, to_node: Any, type: str = "relates_to", *,
               strength: float | None = None, confidence: float | None = None,
               metadata: Mapping[str, Any] | None = None, valid_from: datetime | None = None,
               valid_to: datetime | None = None, visibility: str = "tenant") -> Steps[Recorded]:
        """Record that ``from_node`` relates to ``to_node`` (both visible to this scope).
        Recording the same fact again with other attributes, or a new target of an
        exclusive type, supersedes the old record; nothing is deleted."""
        for label, value in (("type", type), ("metadata", metadata),
                             ("visibility", visibility)):
            check_json(value, label)
        row = (yield Statement(
            "SELECT * FROM cogdb.relate(%s::text, %s::text, %s::text, %s::real, %s::real,"
            " %s::jsonb, %s::timestamptz, %s::timestamptz, %s::text)",
            (node_ref(from_node, "from_node"), node_ref(to_node, "to_node"), type, strength,
             confidence, Jsonb(dict(metadata)) if metadata is not None else None, valid_from,
             valid_to, visibility)))[0]
        return _from_row(Recorded, row)

    @operation
    def relationships(self, node: Any, *, direction: str = "both",
                      types: Sequence[str] | None = None, as_of: datetime | None = None,
                      known_at: datetime | None = None,
                      history: bool = False) -> Steps[list[Relationship]]:
        """The relationship records of ``node``: the current facts by default; those valid
        at ``as_of``; what cogdb knew at ``known_at``; or, with ``history``, every record,
        superseded ones included, oldest first."""
        check_json(list(types) if types is not None else None, "types")
        rows = yield Statement(
            "SELECT * FROM cogdb.list_relationships(%s::text, %s::text, %s::text[],"
            " %s::timestamptz, %s::timestamptz, %s::boolean)",
            (node_ref(node), direction, list(types) if types is not None else None, as_of,
             known_at, history))
        return [_from_row(Relationship, r) for r in rows]

    @operation
    def neighbors(self, start: Any, max_depth: int = DEFAULT_DEPTH, *,
                  types: Sequence[str] | None = None, direction: str = "both",
                  as_of: datetime | None = None, known_at: datetime | None = None,
                  limit: int = DEFAULT_NEIGHBORS,
                  include_shared: bool = False) -> Steps[list[Neighbor]]:
        """The nodes reachable from ``start`` (breadth first, each once, nearest first, at
        most ``limit``) through the relationships this scope can see, with depth, edge and
        path. Paths never pass through a node this scope cannot see.

        ``include_shared=True``: when this scope's tenant has no such node and ``start`` is a
        memory another tenant's live grant shares, the walk runs in that tenant, through its
        relationships between memories the grant covers (``tenant_id`` names it)."""
        check_json(list(types) if types is not None else None, "types")
        rows = yield Statement(
            "SELECT * FROM cogdb.neighbors(%s::text, %s::integer, %s::text[], %s::text,"
            " %s::timestamptz, %s::timestamptz, %s::integer, %s::boolean)",
            (node_ref(start, "start"), max_depth, list(types) if types is not None else None,
             direction, as_of, known_at, limit, bool(include_shared)))
        return [_from_row(Neighbor, r) for r in rows]

    # ------------------------------------------------------------------ hybrid search

    @operation
    def hybrid_search(self, query: str | None, k: int = 10, *,
                      vector: Sequence[float] | np.ndarray | None = None, embed: bool = True,
                      model: str | None = None, conversation: str | None = None,
                      source: str | None = None, context_type: str | None = None,
                      tags_any: Sequence[str] | None = None,
                      created_after: datetime | None = None,
                      created_before: datetime | None = None,
                      owner: uuid.UUID | str | None = None, visibility: str | None = None,
                      metadata_filter: Mapping[str, Any] | None = None,
                      rrf_k: int = DEFAULT_RRF_K, text_weight: float = 1.0,
                      vector_weight: float = 1.0, candidates: int = DEFAULT_CANDIDATES,
                      include_entities: bool = True, ef_search: int | None = None,
                      record_access: bool = False,
                      include_shared: bool = False) -> Steps[list[HybridHit]]:
        """Full-text and vector ranking fused by reciprocal rank fusion, over memories and
        entities. ``query`` runs the text half (web-search syntax); its embedding (by the
        model's embedder, unless ``embed=False``), or ``vector``, runs the vector half. Pass
        ``query=None`` with a vector for vector-only, ``embed=False`` for text-only. The
        filters are :meth:`search`'s. ``record_access=True`` records the memories returned
        (:meth:`record_access`, own memories only). ``include_shared=True`` adds what
        other tenants' live grants share, in both halves (each hit's ``tenant_id`` says
        whose), noted in each source's audit chain."""
        check_json(query, "query")
        vec = None
        if vector is not None:
            vec = as_vector(vector, "vector")
        elif query and embed and vector_weight > 0:
            model, matrix = yield from self._embed(model, [query])
            vec = matrix[0]
        params = _filter_params({
            "conversation": conversation, "source": source, "context_type": context_type,
            "tags_any": tags_any, "created_after": created_after,
            "created_before": created_before, "owner": owner, "visibility": visibility,
            "metadata_filter": metadata_filter})
        rows = yield Statement(
            "SELECT * FROM cogdb.hybrid_search(query_text => %s::text,"
            " query_vector => %b::vector, k => %s::integer, model => %s::text,"
            f" {FILTER_ARGS}, ef_search => %s::integer, rrf_k => %s::integer,"
            " text_weight => %s::float8, vector_weight => %s::float8,"
            " candidates => %s::integer, include_entities => %s::boolean,"
            " include_shared => %s::boolean)",
            (query, vec, k, model, *params, ef_search, rrf_k, text_weight, vector_weight,
             candidates, include_entities, bool(include_shared)))
        hits = [_from_row(HybridHit, r) for r in rows]
        if record_access:  # its steps, in this operation: the async scope awaits them too
            yield from KnowledgeMethods.record_access.steps(
                self, [h.id for h in hits if h.kind == "memory"
                       and h.tenant_id in (None, self.tenant_id)])
        return hits

    # ------------------------------------------------------------------ tracking, stats

    @operation
    def record_access(self, ids: Sequence[str]) -> Steps[int]:
        """Record that these memories were accessed (those visible to this scope); returns
        how many. Search stays read-only: this is its own call, and ``cogdb maintain``
        folds the log into access_count and last_accessed."""
        ids = list(ids)
        if not ids:
            return 0
        check_json(ids, "ids")
        rows = yield Statement("SELECT cogdb.record_access(%s::text[]) AS n", (ids,))
        return int(rows[0]["n"])

    @operation
    def index_pending_text(self, max_rows: int | None = None) -> Steps[int]:
        """Index now the text of this tenant's memories that bulk inserts queued (a statement
        of at least the setting text.defer_min_rows memories defers it; ``cogdb maintain``
        indexes them otherwise), so hybrid search matches their words at once; returns how
        many, of every user of the tenant. ``max_rows``: at most this many (None: all)."""
        if max_rows is not None and (isinstance(max_rows, bool) or not isinstance(max_rows, int)
                                     or max_rows < 1):
            raise InvalidInput(f"max_rows must be a whole number of at least 1, got {max_rows!r}",
                               field="max_rows", hint="Leave it out to index everything queued.")
        rows = yield Statement("SELECT cogdb.index_pending_text(%s::integer) AS n", (max_rows,))
        return int(rows[0]["n"])

    @operation
    def stats(self) -> Steps[dict[str, Any]]:
        """The tenant's statistics: memories by context type, source and visibility,
        entities, observations, relationships, bytes and last activity (kept by triggers)."""
        return (yield Statement("SELECT cogdb.stats() AS stats"))[0]["stats"]
