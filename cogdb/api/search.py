"""Search: the k nearest memories a scope may see (one call of ``cogdb.search``)."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from ..db.scope import Statement, Steps
from ..db.values import as_vector, check_json
from .memories import FILTER_ARGS, Memory, _filter_params
from .operation import operation

#: How many memories a search returns unless told.
DEFAULT_K = 10
#: The default of the database setting search.max_k (the server enforces the one in force).
MAX_K = 1000


@dataclass(frozen=True)
class SearchHit(Memory):
    """A search result: the memory's fields and its cosine similarity to the query
    (1 - cosine distance; 1.0 means the same direction). ``plan`` is the path the search
    took: ``exact``, or ``ann:<index>`` for the tenant's own ANN index. ``tenant_id`` is
    the memory's tenant: the scope's own, or with ``include_shared`` the tenant that
    shared it."""

    similarity: float = 0.0
    plan: str | None = None


class SearchMethods:
    """search; mixed into :class:`cogdb.Scope` and :class:`cogdb.AsyncScope`."""

    #: from cogdb.api.memories.EmbeddingSteps
    tenant_id: uuid.UUID
    _embed: Callable[[str | None, Sequence[str]], Steps[tuple[str, np.ndarray]]]

    @operation
    def search(self, query: str | Sequence[float] | np.ndarray, k: int = DEFAULT_K, *,
               model: str | None = None, conversation: str | None = None,
               source: str | None = None, context_type: str | None = None,
               tags_any: Sequence[str] | None = None, created_after: datetime | None = None,
               created_before: datetime | None = None, owner: uuid.UUID | str | None = None,
               visibility: str | None = None, metadata_filter: Mapping[str, Any] | None = None,
               ef_search: int | None = None, record_access: bool = False,
               include_shared: bool = False) -> Steps[list[SearchHit]]:
        """The k nearest memories this scope may see, nearest first (ties by id).

        A text query is embedded by the embedder of ``model`` (default: the tenant's
        default model), as the model registry names it. Filters narrow the candidates
        before ranking, on both plan paths: conversation, source, context_type, tags_any
        (any of these tags: a list's strings or an object's keys), created_after/before,
        owner, visibility, and metadata_filter on top-level metadata keys
        (``{"customer": "acme", "priority": {"$gte": 2}}``; operators $eq $ne $gt $gte $lt
        $lte $in $nin). ``ef_search`` tunes the ANN path. ``record_access=True`` records the
        memories returned, in a call of its own after the search (``record_access``), which
        ``cogdb maintain`` folds into access_count and last_accessed (own memories only).
        ``include_shared=True`` adds the memories other tenants' live grants share with
        this scope's tenant, each labelled with its ``tenant_id`` (read-only; each source
        tenant's audit chain notes how many it returned)."""
        if isinstance(query, str):
            check_json(query, "query")
            model, matrix = yield from self._embed(model, [query])
            vector = matrix[0]
        else:
            vector = as_vector(query, "query")
        params = _filter_params({
            "conversation": conversation, "source": source, "context_type": context_type,
            "tags_any": tags_any, "created_after": created_after,
            "created_before": created_before, "owner": owner, "visibility": visibility,
            "metadata_filter": metadata_filter})
        rows = yield Statement(
            "SELECT * FROM cogdb.search(query => %b::vector, k => %s::integer,"
            f" model => %s::text, {FILTER_ARGS}, ef_search => %s::integer,"
            " include_shared => %s::boolean)",
            (vector, k, model, *params, ef_search, bool(include_shared)), prepare=True)
        hits = [SearchHit.from_row(r) for r in rows]
        if record_access and hits:
            # Own memories only: record_access reads memories without asking for shared
            # rows, so a shared id would not count anyway.
            own = [h.id for h in hits if h.tenant_id in (None, self.tenant_id)]
            if own:
                yield Statement("SELECT cogdb.record_access(%s::text[])", (own,))
        return hits
