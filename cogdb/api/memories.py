"""Memories: the stored record, and remember / remember_many / get / forget in a scope.

Each method is one call of the SQL function of the same name; tenant and owner come from the
scope's context, never from arguments.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import numpy as np
from psycopg.types.json import Jsonb

from ..db.errors import InvalidInput
from ..db.values import as_vector, check_text, jsonable
from ..embedders import Embedder

#: Short names remember() accepts for the two contents.
ALIASES = {"human": "human_content", "assistant": "assistant_content"}


@dataclass(frozen=True)
class Memory:
    """A stored memory as ``get`` returns it (``embedding`` included): the fields of
    :data:`cogdb.api.fields.MEMORY_FIELDS` plus tenant, owner, model and embedding."""

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
    tags: list[str] | None = None
    cluster_id: int | None = None
    cluster_label: str | None = None
    cluster_confidence: float | None = None
    access_count: int | None = None
    last_accessed: datetime | None = None
    model: str | None = None
    embedding: np.ndarray | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Memory:
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in row.items() if k in names}
        if values.get("embedding") is not None and not isinstance(values["embedding"], np.ndarray):
            values["embedding"] = values["embedding"].to_numpy()
        return cls(**values)


class MemoryMethods:
    """remember, remember_many, get and forget; mixed into :class:`cogdb.Scope`."""

    _embedder: Embedder
    _execute: Callable[..., list[dict[str, Any]]]  # from cogdb.db.scope.ScopeBase

    def _prepare(self, items: Sequence[Mapping[str, Any]],
                 embeddings: Sequence[Any] | np.ndarray | None) -> tuple[list[dict], list]:
        payload: list[dict[str, Any]] = []
        for i, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise InvalidInput(f"memory #{i} must be a mapping of field names to values",
                                   field="memories")
            record = {ALIASES.get(k, k): v for k, v in item.items()}
            for key, value in record.items():
                where = f" (memory #{i})" if len(items) > 1 else ""
                check_text(value, key, where)
                if key == "tags" and value is not None:
                    for tag in value:
                        check_text(tag, "tags", where)
            payload.append({k: jsonable(v) for k, v in record.items() if v is not None})
        if embeddings is None:
            texts = [f"{p.get('human_content', '')}\n{p.get('assistant_content', '')}"
                     for p in payload]
            vectors = list(self._embedder.embed(texts))
        else:
            if len(embeddings) != len(payload):
                raise InvalidInput(f"{len(payload)} memories but {len(embeddings)} embeddings",
                                   field="embeddings")
            vectors = [as_vector(e, "embedding", f" (memory #{i})" if len(payload) > 1 else "")
                       for i, e in enumerate(embeddings)]
        return payload, vectors

    def remember(self, human: str = "", assistant: str = "", embedding: Any = None, *,
                 model: str | None = None, private: bool = False, **fields: Any) -> str:
        """Store one memory; returns its id. Without ``embedding`` the client's embedder
        embeds ``human`` and ``assistant``. ``private=True`` makes it visible to the scope's
        user only. Other keyword arguments are memory fields (tags, source, expires_at, …)."""
        if private:
            fields["visibility"] = "private"
        item = {"human_content": human, "assistant_content": assistant, **fields}
        return self.remember_many([item], None if embedding is None else [embedding],
                                  model=model)[0]

    def remember_many(self, memories: Sequence[Mapping[str, Any]],
                      embeddings: Sequence[Any] | np.ndarray | None = None, *,
                      model: str | None = None) -> list[str]:
        """Store several memories in one statement; ids come back in input order. All or
        nothing: one invalid memory refuses the batch and nothing is written."""
        if not memories:
            return []
        payload, vectors = self._prepare(memories, embeddings)
        if embeddings is None and model is None:
            model = self._embedder.model
        # %b: vectors travel in binary; as text, 5,000 of 384-d took 1.9 s to send, 27x more.
        rows = self._execute(
            "SELECT r.id FROM cogdb.remember_many(%s::jsonb, %b::vector[], %s::text) AS r"
            " ORDER BY r.ordinality",
            (Jsonb(payload), vectors, model))
        return [r["id"] for r in rows]

    def get(self, memory_id: str) -> Memory | None:
        """The memory, or None when it is missing, expired or not visible to this scope."""
        check_text(memory_id, "id")
        rows = self._execute("SELECT * FROM cogdb.get(%s::text)", (memory_id,))
        return Memory.from_row(rows[0]) if rows else None

    def forget(self, memory_id: str) -> bool:
        """Delete the memory; False when it is missing or not visible to this scope."""
        check_text(memory_id, "id")
        rows = self._execute("SELECT cogdb.forget(%s::text) AS deleted", (memory_id,))
        return bool(rows[0]["deleted"])
