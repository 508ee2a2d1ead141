"""Search: the k nearest memories a scope may see (one call of ``cogdb.search``)."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from ..db.values import as_uuid, as_vector, check_text
from ..embedders import Embedder
from .memories import Memory

#: How many memories a search returns unless told.
DEFAULT_K = 10
#: The default of the database setting search.max_k (the server enforces the one in force).
MAX_K = 1000


@dataclass(frozen=True)
class SearchHit(Memory):
    """A search result: the memory's fields and its cosine similarity to the query
    (1 - cosine distance; 1.0 means the same direction). ``plan`` is the path the search
    took: ``exact``, or ``ann:<index>`` for the tenant's own ANN index."""

    similarity: float = 0.0
    plan: str | None = None


class SearchMethods:
    """search; mixed into :class:`cogdb.Scope`."""

    _embedder: Embedder
    _execute: Callable[..., list[dict[str, Any]]]  # from cogdb.db.scope.ScopeBase

    def search(self, query: str | Sequence[float] | np.ndarray, k: int = DEFAULT_K, *,
               model: str | None = None, conversation: str | None = None,
               source: str | None = None, context_type: str | None = None,
               tags_any: Sequence[str] | None = None, created_after: datetime | None = None,
               created_before: datetime | None = None, owner: uuid.UUID | str | None = None,
               visibility: str | None = None, ef_search: int | None = None
               ) -> list[SearchHit]:
        """The k nearest memories this scope may see, nearest first (ties by id).
        A text query is embedded with the client's embedder (and searches its model).
        Filters (conversation, source, context_type, tags_any, created_after/before, owner,
        visibility) narrow the candidates before ranking; ``ef_search`` tunes the ANN path."""
        if isinstance(query, str):
            check_text(query, "query")
            vector = self._embedder.embed([query])[0]
            model = model or self._embedder.model
        else:
            vector = as_vector(query, "query")
        for name, value in (("conversation", conversation), ("source", source),
                            ("context_type", context_type)):
            check_text(value, name)
        owner_s = as_uuid(owner, "owner", required=False)
        rows = self._execute(
            "SELECT * FROM cogdb.search(query => %b::vector, k => %s::integer,"
            " model => %s::text, only_conversation => %s::text, only_source => %s::text,"
            " only_context_type => %s::text, tags_any => %s::text[],"
            " created_after => %s::timestamptz, created_before => %s::timestamptz,"
            " only_owner => %s::uuid, only_visibility => %s::text, ef_search => %s::integer)",
            (vector, k, model, conversation, source, context_type,
             list(tags_any) if tags_any is not None else None, created_after, created_before,
             owner_s, visibility, ef_search))
        return [SearchHit.from_row(r) for r in rows]
