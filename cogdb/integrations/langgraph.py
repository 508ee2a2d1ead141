"""LangGraph's long-term memory store on cogdb: ``CogdbStore`` (sync) and ``AsyncCogdbStore``
(``pip install 'cogdb[langgraph]'``).

Items live in ``cogdb.store_items`` and their vectors in ``cogdb.store_vectors``, tenant
tables behind the same RESTRICTIVE tenant fence as memories (revision 0007). The store's
tenant (and user) come from its constructor: a namespace is only a path *inside* that
tenant, so ``("tenant-b", …)`` written by tenant A's store is still tenant A's. Items are
tenant-wide: every user of the tenant sees them (LangGraph apps usually put the user id in
the namespace; that is the app's convention, not an isolation boundary — use one tenant per
isolated party, or cogdb memories with ``private=True`` for per-user privacy).

Every operation of a ``batch`` runs in one scope (one transaction, context first), in input
order; consecutive puts are one ``cogdb.store_put`` call. Texts to embed (the index
config's ``fields``, or a put's ``index=[…]``) are embedded once per batch, before the
transaction. Search is ``cogdb.store_search``: a namespace prefix matched label by label,
filters on the value's top-level keys ($eq $ne $gt $gte $lt $lte, also $in $nin; numbers
compare as numbers), and with a query, the items ranked by the best cosine similarity of
their vectors (an exact scan while the candidates are few, the tenant's own HNSW index —
built by ``cogdb maintain`` — when it is large). TTL (minutes, LangGraph's
``TTLConfig``): reads refresh it when asked, ``omit_expired`` hides expired items before
the sweep, and expired items are deleted by ``store.sweep_ttl()`` /
``start_ttl_sweeper()`` or, for every tenant, by ``cogdb maintain``.
"""
from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from langgraph.store.base import (
    BaseStore,
    GetOp,
    IndexConfig,
    Item,
    ListNamespacesOp,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
    ensure_embeddings,
    get_text_at_path,
)
from psycopg.types.json import Jsonb

from ..api.async_client import AsyncClient
from ..api.client import Client
from ..db.errors import CogdbError
from ..db.scope import Statement, Steps
from ..db.values import as_vector, check_json

GET = ("SELECT * FROM cogdb.store_get(%s::text[], %s::text, refresh_ttl => %s::boolean,"
       " omit_expired => %s::boolean)")
SEARCH = ("SELECT * FROM cogdb.store_search(%s::text[], %b::vector, %s::jsonb, %s::integer,"
          " %s::integer, refresh_ttl => %s::boolean, omit_expired => %s::boolean)")
SEARCH_NO_QUERY = ("SELECT * FROM cogdb.store_search(%s::text[], NULL, %s::jsonb, %s::integer,"
                   " %s::integer, refresh_ttl => %s::boolean, omit_expired => %s::boolean)")
LIST = ("SELECT namespace FROM cogdb.store_list_namespaces(%s::jsonb, %s::integer, %s::integer,"
        " %s::integer, omit_expired => %s::boolean)")
PUT = "SELECT cogdb.store_put(%s::jsonb, %s::jsonb, %b::vector[]) AS written"
SWEEP = "SELECT cogdb.store_sweep() AS deleted"


class _Plan:
    """A batch's texts to embed, collected before the transaction."""

    def __init__(self) -> None:
        self.documents: list[str] = []
        self.queries: list[str] = []
        #: per op index: for a put, [(field, position in documents)]; for a search, the
        #: position in queries
        self.put_texts: dict[int, list[tuple[str, int]]] = {}
        self.search_query: dict[int, int] = {}


class _StoreBase(BaseStore):
    supports_ttl = True

    def __init__(self, *, tenant: uuid.UUID | str, user: uuid.UUID | str | None = None,
                 index: IndexConfig | None = None, ttl: TTLConfig | None = None) -> None:
        self.tenant, self.user = tenant, user
        self.index_config = dict(index) if index else None
        self.embeddings = ensure_embeddings(index["embed"]) if index else None
        self.index_fields = list((index or {}).get("fields") or ["$"])
        self.ttl_config = ttl
        self._sweeper: threading.Thread | asyncio.Task | None = None
        self._stop_sweeper = threading.Event()

    @property
    def _omit_expired(self) -> bool:
        return bool(self.ttl_config and self.ttl_config.get("omit_expired", False))

    # ------------------------------------------------------------------ planning

    def _plan(self, ops: Sequence[Op]) -> _Plan:
        plan = _Plan()
        for i, op in enumerate(ops):
            if isinstance(op, PutOp) and op.value is not None and self.embeddings is not None \
                    and op.index is not False:
                paths = self.index_fields if op.index is None else list(op.index)
                texts: list[tuple[str, int]] = []
                for path in paths:
                    found = get_text_at_path(op.value, path)
                    for n, text in enumerate(found):
                        field = path if len(found) == 1 else f"{path}#{n}"
                        texts.append((field, len(plan.documents)))
                        plan.documents.append(text)
                plan.put_texts[i] = texts
            elif isinstance(op, SearchOp) and op.query and self.embeddings is not None:
                plan.search_query[i] = len(plan.queries)
                plan.queries.append(op.query)
        return plan

    # ------------------------------------------------------------------ the operations

    def _steps(self, ops: Sequence[Op], plan: _Plan, documents: Sequence[Any],
               queries: Sequence[Any]) -> Steps[list[Result]]:
        results: list[Result] = [None] * len(ops)
        i = 0
        while i < len(ops):
            op = ops[i]
            if isinstance(op, PutOp):
                j = i
                while j < len(ops) and isinstance(ops[j], PutOp):
                    j += 1
                yield self._put_statement(ops, range(i, j), plan, documents)
                i = j
                continue
            if isinstance(op, GetOp):
                rows = yield Statement(GET, (list(op.namespace), str(op.key),
                                             bool(op.refresh_ttl), self._omit_expired))
                results[i] = _item(rows[0]) if rows else None
            elif isinstance(op, SearchOp):
                results[i] = yield from self._search(op, plan.search_query.get(i), queries)
            elif isinstance(op, ListNamespacesOp):
                conditions = None
                if op.match_conditions:
                    conditions = Jsonb([{"match_type": c.match_type, "path": list(c.path)}
                                        for c in op.match_conditions])
                rows = yield Statement(LIST, (conditions, op.max_depth, op.limit, op.offset,
                                              self._omit_expired))
                results[i] = [tuple(r["namespace"]) for r in rows]
            else:
                raise CogdbError(f"unknown store operation {type(op).__name__}")
            i += 1
        return results

    def _search(self, op: SearchOp, query_at: int | None, queries: Sequence[Any]
                ) -> Steps[list[SearchItem]]:
        check_json(op.filter, "filter")
        filt = Jsonb(dict(op.filter)) if op.filter else None
        prefix = list(op.namespace_prefix)
        if query_at is not None:
            vector = as_vector(queries[query_at], "query")
            rows = yield Statement(SEARCH, (prefix, vector, filt, op.limit, op.offset,
                                            bool(op.refresh_ttl), self._omit_expired))
        else:
            rows = yield Statement(SEARCH_NO_QUERY, (prefix, filt, op.limit, op.offset,
                                                     bool(op.refresh_ttl), self._omit_expired))
        return [_search_item(r) for r in rows]

    def _put_statement(self, ops: Sequence[Op], positions: Iterable[int], plan: _Plan,
                       documents: Sequence[Any]) -> Statement:
        items: list[dict[str, Any]] = []
        keys: list[dict[str, Any]] = []
        vectors: list[np.ndarray] = []
        for i in positions:
            op = ops[i]
            assert isinstance(op, PutOp)
            check_json(op.value, "value")
            check_json(list(op.namespace), "namespace")
            items.append({"namespace": list(op.namespace), "key": str(op.key),
                          "value": (dict(op.value) if isinstance(op.value, Mapping)
                                    else op.value),
                          "ttl_minutes": op.ttl})
            for field, at in plan.put_texts.get(i, []):
                keys.append({"item": len(items), "field": field})
                vectors.append(as_vector(documents[at], "embedding"))
        return Statement(PUT, (Jsonb(items), Jsonb(keys), vectors))

    def _check_ttl(self, ops: Iterable[Op]) -> list[Op]:
        ops = list(ops)
        for op in ops:
            if isinstance(op, PutOp) and op.ttl is not None and op.ttl <= 0:
                raise CogdbError(f"ttl must be a positive number of minutes, got {op.ttl}")
        return ops


def _item(row: dict[str, Any]) -> Item:
    return Item(value=row["value"], key=row["key"], namespace=tuple(row["namespace"]),
                created_at=row["created_at"], updated_at=row["updated_at"])


def _search_item(row: dict[str, Any]) -> SearchItem:
    return SearchItem(namespace=tuple(row["namespace"]), key=row["key"], value=row["value"],
                      created_at=row["created_at"], updated_at=row["updated_at"],
                      score=row["score"])


class CogdbStore(_StoreBase):
    """A LangGraph ``BaseStore`` in one cogdb tenant, over the sync client.

    ``index={"dims": 384, "embed": embeddings_or_function, "fields": ["text"]}`` enables
    semantic search; ``ttl={"default_ttl": 60, "refresh_on_read": True}`` (minutes) TTLs.
    ``abatch`` runs ``batch`` in a worker thread."""

    def __init__(self, client: Client, *, tenant: uuid.UUID | str,
                 user: uuid.UUID | str | None = None, index: IndexConfig | None = None,
                 ttl: TTLConfig | None = None) -> None:
        super().__init__(tenant=tenant, user=user, index=index, ttl=ttl)
        self.client = client

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        ops = self._check_ttl(ops)
        plan = self._plan(ops)
        documents = self.embeddings.embed_documents(plan.documents) if plan.documents else []
        queries = [self.embeddings.embed_query(q) for q in plan.queries]  # type: ignore[union-attr]
        with self.client.scope(self.tenant, self.user) as s:
            return s._run(self._steps(ops, plan, documents, queries))

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        return await asyncio.to_thread(self.batch, list(ops))

    def sweep_ttl(self) -> int:
        """Delete this tenant's expired items now; returns how many."""
        with self.client.scope(self.tenant, self.user) as s:
            return int(s._run(_sweep()))

    def start_ttl_sweeper(self, sweep_interval_minutes: float | None = None) -> threading.Thread:
        """Sweep this tenant every ``sweep_interval_minutes`` (default: the TTL config's
        ``sweep_interval_minutes``, else 5) in a daemon thread until ``stop_ttl_sweeper``."""
        interval = 60 * (sweep_interval_minutes
                         or (self.ttl_config or {}).get("sweep_interval_minutes") or 5)
        self._stop_sweeper.clear()

        def loop() -> None:
            while not self._stop_sweeper.wait(interval):
                self.sweep_ttl()
        self._sweeper = threading.Thread(target=loop, name="cogdb-store-sweeper", daemon=True)
        self._sweeper.start()
        return self._sweeper

    def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        self._stop_sweeper.set()
        if isinstance(self._sweeper, threading.Thread):
            self._sweeper.join(timeout)
            return not self._sweeper.is_alive()
        return True


class AsyncCogdbStore(_StoreBase):
    """A LangGraph ``BaseStore`` in one cogdb tenant, over the async client (native
    ``abatch``). Construct it in the event loop that uses it; the sync methods may then be
    called from other threads (they run on that loop), not from the loop itself."""

    def __init__(self, client: AsyncClient, *, tenant: uuid.UUID | str,
                 user: uuid.UUID | str | None = None, index: IndexConfig | None = None,
                 ttl: TTLConfig | None = None) -> None:
        super().__init__(tenant=tenant, user=user, index=index, ttl=ttl)
        self.client = client
        self.loop = asyncio.get_running_loop()

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        ops = self._check_ttl(ops)
        plan = self._plan(ops)
        documents = (await self.embeddings.aembed_documents(plan.documents)  # type: ignore[union-attr]
                     if plan.documents else [])
        queries = [await self.embeddings.aembed_query(q)  # type: ignore[union-attr]
                   for q in plan.queries]
        async with self.client.scope(self.tenant, self.user) as s:
            return await s._run(self._steps(ops, plan, documents, queries))

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        try:
            if asyncio.get_running_loop() is self.loop:
                raise asyncio.InvalidStateError(
                    "synchronous calls to AsyncCogdbStore cannot run in its own event loop; "
                    "use the a* methods (await store.aget(...)), or call from another thread")
        except RuntimeError:
            pass
        return asyncio.run_coroutine_threadsafe(self.abatch(list(ops)), self.loop).result()

    async def sweep_ttl(self) -> int:
        """Delete this tenant's expired items now; returns how many."""
        async with self.client.scope(self.tenant, self.user) as s:
            return int(await s._run(_sweep()))

    async def start_ttl_sweeper(self, sweep_interval_minutes: float | None = None
                                ) -> asyncio.Task:
        interval = 60 * (sweep_interval_minutes
                         or (self.ttl_config or {}).get("sweep_interval_minutes") or 5)

        async def loop() -> None:
            while True:
                await asyncio.sleep(interval)
                await self.sweep_ttl()
        self._sweeper = asyncio.create_task(loop())
        return self._sweeper

    async def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        if isinstance(self._sweeper, asyncio.Task):
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._sweeper, timeout)
        return True


def _sweep() -> Steps[int]:
    rows = yield Statement(SWEEP)
    return rows[0]["deleted"]


__all__ = ["AsyncCogdbStore", "CogdbStore"]
