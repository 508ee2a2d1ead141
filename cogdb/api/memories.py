"""Memories: the stored record, and remember / remember_many / get / forget in a scope.

Each method is one call of the SQL function of the same name; tenant and owner come from the
scope's context, never from arguments.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, fields
from datetime import datetime
from typing import Any

import numpy as np
from psycopg.types.json import Jsonb

from ..db.errors import InvalidInput
from ..db.pool import MIGRATION_AWARE
from ..db.scope import Compute, Statement, Steps
from ..db.values import as_uuid, as_vectors, check_json, jsonable
from .operation import operation

#: Short names remember() accepts for the two contents.
ALIASES = {"human": "human_content", "assistant": "assistant_content"}


@dataclass(frozen=True)
class Memory:
    """A stored memory as ``get`` returns it (``embedding`` included): the fields of
    :data:`cogdb.api.fields.MEMORY_FIELDS` plus tenant, owner, model, embedding and
    anonymised_at (set by the retention purge only)."""

    id: str
    tenant_id: uuid.UUID | None = None
    owner_user_id: uuid.UUID | None = None
    visibility: str | None = None
    conversation_id: str | None = None
    sequence_index: int | None = None
    human_content: str | None = None
    assistant_content: str | None = None
    summary: str | None = None
    context_type: str | None = None
    source: str | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None
    intent_type: str | None = None
    complexity: str | None = None
    technical_depth: int | None = None
    emotional_valence: str | None = None
    urgency: str | None = None
    conversation_mode: str | None = None
    action_required: bool | None = None
    has_code: bool | None = None
    has_error: bool | None = None
    tags: list[str] | dict[str, Any] | None = None
    cluster_id: int | None = None
    cluster_label: str | None = None
    cluster_confidence: float | None = None
    access_count: int | None = None
    last_accessed: datetime | None = None
    metadata: dict[str, Any] | None = None
    session_id: uuid.UUID | None = None
    model: str | None = None
    embedding: np.ndarray | None = None
    #: When the retention purge anonymised it (a policy's action 'anonymise'), else None.
    anonymised_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Memory:
        """The row's fields (others are ignored; missing ones take their defaults). Built
        without the frozen dataclass's per-field __setattr__: a search maps ten rows of ~30
        fields per call, and that was a fifth of scope.search's time."""
        defaults = _defaults(cls)
        values = dict(defaults)
        for key, value in row.items():
            if key in defaults:
                values[key] = value
        embedding = values.get("embedding")
        if embedding is not None and not isinstance(embedding, np.ndarray):
            values["embedding"] = embedding.to_numpy()
        obj = object.__new__(cls)
        obj.__dict__.update(values)
        return obj


_DEFAULTS: dict[type, dict[str, Any]] = {}


def _defaults(cls: type) -> dict[str, Any]:
    """Field name -> default of a Memory dataclass (every field has one but ``id``)."""
    found = _DEFAULTS.get(cls)
    if found is None:
        found = {f.name: (None if f.default is MISSING else f.default) for f in fields(cls)}
        _DEFAULTS[cls] = found
    return found


#: The filters search and list_memories share, as named arguments of the SQL functions.
FILTER_ARGS = (
    "only_conversation => %s::text, only_source => %s::text, only_context_type => %s::text,"
    " tags_any => %s::text[], created_after => %s::timestamptz,"
    " created_before => %s::timestamptz, only_owner => %s::uuid, only_visibility => %s::text,"
    " metadata_filter => %s::jsonb")
FILTERS = ("conversation", "source", "context_type", "tags_any", "created_after",
           "created_before", "owner", "visibility", "metadata_filter")


def _filter_params(filters: Mapping[str, Any]) -> list[Any]:
    """The values of FILTER_ARGS, in order, from keyword arguments named as FILTERS."""
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise InvalidInput(f"unknown filter(s) {', '.join(sorted(unknown))}; filters are "
                           + ", ".join(FILTERS), field=sorted(unknown)[0])
    for name in ("conversation", "source", "context_type", "visibility", "tags_any",
                 "metadata_filter"):
        check_json(filters.get(name), name)
    tags = filters.get("tags_any")
    metadata = filters.get("metadata_filter")
    return [filters.get("conversation"), filters.get("source"), filters.get("context_type"),
            list(tags) if tags is not None else None, filters.get("created_after"),
            filters.get("created_before"), as_uuid(filters.get("owner"), "owner",
                                                   required=False),
            filters.get("visibility"), Jsonb(metadata) if metadata is not None else None]


def embed_texts(payload: Sequence[Mapping[str, Any]]) -> list[str]:
    """The text a memory's vector is made from: human, a newline, assistant. The model
    migration's batches read the same (cogdb.model_migration_batch)."""
    return [f"{p.get('human_content', '')}\n{p.get('assistant_content', '')}" for p in payload]


#: remember_many's statement; with the tenant's model migration in progress, if any (one
#: statement either way: the second vectors cost a statement only during a migration).
REMEMBER = ("SELECT r.id FROM cogdb.remember_many(%s::jsonb, %b::vector[], %s::text) AS r"
            " ORDER BY r.ordinality")
REMEMBER_MIGRATING = (
    "SELECT r.id, t.from_model, t.to_model"
    " FROM cogdb.remember_many(%s::jsonb, %b::vector[], %s::text) AS r"
    " LEFT JOIN cogdb.migration_target() AS t ON true ORDER BY r.ordinality")


class MemoryMethods:
    """remember, remember_many, get, get_many, list_memories, forget and forget_many; mixed
    into :class:`cogdb.Scope` and :class:`cogdb.AsyncScope` (where they are awaitable)."""

    #: (model, texts) -> (the model's name, one vector per text); from cogdb.api.client
    _embed: Callable[[str | None, Sequence[str]], Steps[tuple[str, np.ndarray]]]

    def _prepare(self, items: Sequence[Mapping[str, Any]],
                 embeddings: Sequence[Any] | np.ndarray | None,
                 model: str | None) -> Steps[tuple[list[dict], list, str | None]]:
        payload: list[dict[str, Any]] = []
        for i, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise InvalidInput(f"memory #{i} must be a mapping of field names to values",
                                   field="memories")
            record = {ALIASES.get(k, k): v for k, v in item.items()}
            for key, value in record.items():
                check_json(value, key, f" (memory #{i})" if len(items) > 1 else "")
            payload.append({k: jsonable(v) for k, v in record.items() if v is not None})
        if embeddings is None:
            model, matrix = yield from self._embed(model, embed_texts(payload))
            vectors = list(matrix)
        else:
            if len(embeddings) != len(payload):
                raise InvalidInput(f"{len(payload)} memories but {len(embeddings)} embeddings",
                                   field="embeddings")
            vectors = as_vectors(embeddings, "embedding")
        return payload, vectors, model

    @operation
    def remember(self, human: str = "", assistant: str = "", embedding: Any = None, *,
                 model: str | None = None, private: bool = False, **fields: Any) -> Steps[str]:
        """Store one memory; returns its id. Without ``embedding``, ``human`` and
        ``assistant`` are embedded by the embedder of ``model`` (default: the tenant's).
        ``private=True`` makes it visible to the scope's user only. Other keyword arguments
        are memory fields (tags, metadata, source, expires_at, …)."""
        if private:
            fields["visibility"] = "private"
        item = {"human_content": human, "assistant_content": assistant, **fields}
        ids = yield from MemoryMethods.remember_many.steps(
            self, [item], None if embedding is None else [embedding], model=model)
        return ids[0]

    @operation
    def remember_many(self, memories: Sequence[Mapping[str, Any]],
                      embeddings: Sequence[Any] | np.ndarray | None = None, *,
                      model: str | None = None) -> Steps[list[str]]:
        """Store several memories in one statement; ids come back in input order. All or
        nothing: one invalid memory refuses the batch and nothing is written."""
        if not memories:
            return []
        payload, vectors, model = yield from self._prepare(memories, embeddings, model)
        # %b: vectors travel in binary; as text, 5,000 of 384-d took 1.9 s to send, 27x more.
        aware = MIGRATION_AWARE.get(self._connection.info.dsn, False)
        rows = yield Statement(REMEMBER_MIGRATING if aware else REMEMBER,
                               (Jsonb(payload), vectors, model), prepare=True)
        ids = [r["id"] for r in rows]
        if aware and rows[0]["to_model"] is not None:
            yield from self._second_vectors(ids, payload, model, rows[0])
        return ids

    def _second_vectors(self, ids: list[str], payload: list[dict], model: str | None,
                        target: Mapping[str, Any]) -> Steps[None]:
        """While the tenant migrates to another model (cogdb.migration_target, asked in the
        remember statement itself), embed the memories just written with that model too and
        store the vectors in the same transaction (cogdb.remember_embeddings), so they need
        no re-embedding before the cutover (docs/scale-out.md, "Re-embedding without
        downtime"). A memory of another model than the migration's source, or a target model
        this client cannot embed, is left to the migration's final pass."""
        if model not in (None, target["from_model"]):
            return
        to_model = target["to_model"]
        try:
            _, matrix = yield from self._embed(to_model, embed_texts(payload))
        except InvalidInput:  # no embedder for it here: the final pass embeds them
            return
        yield Statement("SELECT cogdb.remember_embeddings(%s::text[], %s::text, %b::vector[])",
                        (ids, to_model, list(matrix)), prepare=True)

    @operation
    def get(self, memory_id: str, *, include_shared: bool = False) -> Steps[Memory | None]:
        """The memory, or None when it is missing, expired or not visible to this scope.
        ``include_shared=True``: when this scope's tenant has no such memory, one that
        another tenant's live grant shares with it (``tenant_id`` says whose; if several
        tenants share that id, the first by tenant id)."""
        check_json(memory_id, "id")
        rows = yield Statement("SELECT * FROM cogdb.get(%s::text, %s::boolean)",
                               (memory_id, bool(include_shared)), prepare=True)
        return Memory.from_row(rows[0]) if rows else None

    @operation
    def get_many(self, memory_ids: Sequence[str]) -> Steps[list[Memory]]:
        """The memories of these ids that this scope may see (cogdb.get for each, in one
        statement), in the order of ``memory_ids``; missing and invisible ids are left out."""
        ids = _id_list(memory_ids)
        if not ids:
            return []
        rows = yield Statement(
            "SELECT g.* FROM unnest(%s::text[]) WITH ORDINALITY AS i(id, ord),"
            " LATERAL cogdb.get(i.id) AS g ORDER BY i.ord", (ids,))
        return [Memory.from_row(r) for r in rows]

    @operation
    def list_memories(self, page_size: int = 20, *,
                      before: tuple[datetime, str] | None = None, model: str | None = None,
                      **filters: Any) -> Steps[list[Memory]]:
        """The memories this scope may see, newest first, ``page_size`` of them (1-1000).
        For the next page pass ``before=(last.created_at, last.id)`` of the last one. Takes
        the filters of :meth:`search` (conversation, source, tags_any, metadata_filter, …)
        and ``model`` (any model when None)."""
        params = _filter_params(filters)
        before_at, before_id = before if before is not None else (None, None)
        check_json(before_id, "before")
        rows = yield Statement(
            "SELECT * FROM cogdb.list_memories(page_size => %s::integer,"
            " before_created_at => %s::timestamptz, before_id => %s::text,"
            f" {FILTER_ARGS}, model => %s::text)",
            (page_size, before_at, before_id, *params, model), prepare=True)
        return [Memory.from_row(r) for r in rows]

    @operation
    def forget(self, memory_id: str) -> Steps[bool]:
        """Delete the memory; False when it is missing or not visible to this scope."""
        check_json(memory_id, "id")
        rows = yield Statement("SELECT cogdb.forget(%s::text) AS deleted", (memory_id,),
                               prepare=True)
        return bool(rows[0]["deleted"])

    @operation
    def forget_many(self, memory_ids: Sequence[str]) -> Steps[int]:
        """Delete the memories of these ids (cogdb.forget for each, in one statement); how
        many were deleted. Missing and invisible ids count as not deleted."""
        ids = _id_list(memory_ids)
        if not ids:
            return 0
        rows = yield Statement(
            "SELECT count(*) FILTER (WHERE cogdb.forget(i.id)) AS deleted"
            " FROM unnest(%s::text[]) AS i(id)", (ids,))
        return int(rows[0]["deleted"])


def _id_list(memory_ids: Sequence[str]) -> list[str]:
    if isinstance(memory_ids, str):
        raise InvalidInput("pass a list of ids, not one string", field="id")
    ids = list(dict.fromkeys(memory_ids))
    for i in ids:
        check_json(i, "id")
    return ids


class EmbeddingSteps:
    """How a scope embeds text: with the client's own embedder when it makes the model,
    else with the embedder the model registry names. Mixed into both scopes."""

    _client: Any  # cogdb.Client or cogdb.AsyncClient: .embedder and .embedder_for()

    def _embed(self, model: str | None, texts: Sequence[str]
               ) -> Steps[tuple[str, np.ndarray]]:
        """Embed ``texts`` for ``model`` (default: the tenant's)."""
        own = self._client.embedder
        if own is not None and model in (None, own.model):
            matrix = yield Compute(own.embed, (texts,))
            return own.model, matrix
        rows = yield Statement(
            "SELECT r.name, r.dimensions, m.embedder FROM cogdb.resolve_model(%s::text) r"
            " JOIN cogdb.embedding_models m ON m.name = r.name", (model,))
        row = rows[0]
        embedder = self._client.embedder_for(row["name"], row["dimensions"], row["embedder"])
        matrix = yield Compute(embedder.embed, (texts,))
        return row["name"], matrix
