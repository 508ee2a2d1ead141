"""LangChain's VectorStore on cogdb memories: ``CogdbVectorStore`` (``cogdb[langchain]``).

Each Document is one memory of the store's tenant: ``page_content`` is its
``human_content``, ``metadata`` its ``metadata`` object, ``id`` its id, the vector its
``embedding`` (of the store's ``model``), with ``context_type = 'document'``. Search is
``cogdb.search`` (exact, or the tenant's own ANN index when it is large); a LangChain filter
is cogdb's metadata filter (``{"k": v}``, ``{"k": {"$gte": 2}}``; $eq $ne $gt $gte $lt $lte
$in $nin on top-level metadata keys). Scores are cosine similarity (1 = same direction).

Tenant and user come from the constructor, never from a document or its metadata. A
``collection`` (optional) keeps several stores apart in one tenant: it is written to the
memories' ``conversation_id`` and every read filters on it; ``delete()`` without ids clears
the collection (and is refused without one).

Ids: cogdb's id rule is 1-128 letters, digits and ``_ . : -``, starting with a letter or a
digit. A LangChain id that fits (``"1"``, ``"foo"``, a UUID) is the memory's id as is. Any
other string is stored under ``lc_<40 hex of its SHA-256>`` with the original kept in the
memory's metadata under ``_langchain_id``; documents come back with the original id and
without that key. Adding an id again replaces the document (content, metadata and vector):
the old memory is forgotten and the new one remembered in one transaction.

Sync methods need ``client`` (:func:`cogdb.connect`), async ones ``async_client``
(:func:`cogdb.connect_async`, opened in the loop that uses it); given only one, the other
kind of method runs it in a thread (sync client) or is refused (async client).
"""
from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from ..api.async_client import AsyncClient
from ..api.client import Client
from ..api.memories import Memory
from ..db.errors import CogdbError, InvalidInput

ID_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
ID_MAX = 128
#: The metadata key that keeps a LangChain id which does not fit cogdb's id rule.
ORIGINAL_ID_KEY = "_langchain_id"
#: Memories per cogdb.list_memories page when delete() clears a collection.
CLEAR_PAGE = 1000


def memory_id(doc_id: str) -> str:
    """The memory id for a LangChain id: itself when it fits cogdb's rule, else a hash."""
    if not isinstance(doc_id, str):
        raise InvalidInput(f"ids must be strings, got {type(doc_id).__name__}", field="id")
    if len(doc_id) <= ID_MAX and ID_RULE.match(doc_id):
        return doc_id
    return "lc_" + hashlib.sha256(doc_id.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _document(m: Memory) -> Document:
    metadata = dict(m.metadata or {})
    original = metadata.pop(ORIGINAL_ID_KEY, None)
    return Document(id=original if original is not None else m.id,
                    page_content=m.human_content or "", metadata=metadata)


class CogdbVectorStore(VectorStore):
    """A LangChain VectorStore inside one cogdb tenant (and optionally one user)."""

    def __init__(self, embedding: Embeddings, *, tenant: uuid.UUID | str,
                 user: uuid.UUID | str | None = None, client: Client | None = None,
                 async_client: AsyncClient | None = None, model: str | None = None,
                 collection: str | None = None, private: bool = False) -> None:
        """``model``: the registered cogdb model whose dimensions ``embedding`` makes
        (default: the tenant's default model). ``private=True`` stores documents visible to
        ``user`` only."""
        if client is None and async_client is None:
            raise CogdbError("CogdbVectorStore needs client=cogdb.connect() or "
                             "async_client=await cogdb.connect_async()")
        if private and user is None:
            raise InvalidInput("private documents need a user", field="user")
        self.embedding = embedding
        self.tenant, self.user = tenant, user
        self.client, self.async_client = client, async_client
        self.model, self.collection, self.private = model, collection, private

    @property
    def embeddings(self) -> Embeddings:
        return self.embedding

    def _relevance_score_fn(self) -> Any:
        return lambda similarity: similarity  # cosine similarity already: 1 is best

    _select_relevance_score_fn = _relevance_score_fn

    # ---------------------------------------------------------------- building the rows

    def _records(self, texts: Sequence[str], metadatas: Sequence[dict] | None,
                 ids: Sequence[str | None] | None) -> tuple[list[str], list[dict]]:
        """(LangChain ids, memory records) for texts to add; a missing id gets a UUID. A
        later duplicate of an id replaces the earlier one, as a second add would."""
        if metadatas is not None and len(metadatas) != len(texts):
            raise InvalidInput(f"{len(texts)} texts but {len(metadatas)} metadatas",
                               field="metadatas")
        if ids is not None and len(ids) != len(texts):
            raise InvalidInput(f"{len(texts)} texts but {len(ids)} ids", field="ids")
        out_ids: list[str] = []
        records: list[dict] = []
        for i, text in enumerate(texts):
            doc_id = (ids[i] if ids is not None else None) or str(uuid.uuid4())
            mid = memory_id(doc_id)
            metadata = dict(metadatas[i]) if metadatas is not None else {}
            if mid != doc_id:
                metadata[ORIGINAL_ID_KEY] = doc_id
            record = {"id": mid, "human_content": text, "metadata": metadata,
                      "context_type": "document"}
            if self.collection is not None:
                record["conversation_id"] = self.collection
            if self.private:
                record["visibility"] = "private"
            out_ids.append(doc_id)
            records.append(record)
        return out_ids, records

    @staticmethod
    def _last_of_each(records: list[dict], vectors: Sequence[Any]) -> tuple[list, list]:
        last = {r["id"]: i for i, r in enumerate(records)}
        keep = sorted(last.values())
        return [records[i] for i in keep], [vectors[i] for i in keep]

    def _search_args(self, k: int, filter: dict | None) -> dict[str, Any]:
        return {"k": k, "model": self.model, "conversation": self.collection,
                "metadata_filter": filter}

    def _sync_client(self) -> Client:
        if self.client is None:
            raise CogdbError("this CogdbVectorStore has only an async client: use the a* "
                             "methods, or pass client=cogdb.connect()")
        return self.client

    # ---------------------------------------------------------------- sync

    def add_texts(self, texts: Iterable[str], metadatas: list[dict] | None = None, *,
                  ids: list[str] | None = None, **kwargs: Any) -> list[str]:
        texts = list(texts)
        if not texts:
            return []
        out_ids, records = self._records(texts, metadatas, ids)
        vectors = self.embedding.embed_documents(texts)
        records, vectors = self._last_of_each(records, vectors)
        with self._sync_client().scope(self.tenant, self.user) as s:
            s.forget_many([r["id"] for r in records])
            s.remember_many(records, vectors, model=self.model)
        return out_ids

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        with self._sync_client().scope(self.tenant, self.user) as s:
            if ids is not None:
                s.forget_many([memory_id(i) for i in ids])
                return True
            self._require_collection()
            while page := s.list_memories(CLEAR_PAGE, conversation=self.collection,
                                          model=self.model):
                s.forget_many([m.id for m in page])
        return True

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        with self._sync_client().scope(self.tenant, self.user) as s:
            found = s.get_many([memory_id(i) for i in ids])
        return [_document(m) for m in found if self._mine(m)]

    def similarity_search_with_score_by_vector(
            self, embedding: list[float], k: int = 4, filter: dict | None = None,
            **kwargs: Any) -> list[tuple[Document, float]]:
        with self._sync_client().scope(self.tenant, self.user) as s:
            hits = s.search(embedding, **self._search_args(k, filter))
        return [(_document(h), h.similarity) for h in hits]

    def similarity_search_by_vector(self, embedding: list[float], k: int = 4,
                                    filter: dict | None = None, **kwargs: Any
                                    ) -> list[Document]:
        return [d for d, _ in self.similarity_search_with_score_by_vector(embedding, k, filter)]

    def similarity_search_with_score(self, query: str, k: int = 4, filter: dict | None = None,
                                     **kwargs: Any) -> list[tuple[Document, float]]:
        return self.similarity_search_with_score_by_vector(
            self.embedding.embed_query(query), k, filter)

    def similarity_search(self, query: str, k: int = 4, filter: dict | None = None,
                          **kwargs: Any) -> list[Document]:
        return [d for d, _ in self.similarity_search_with_score(query, k, filter)]

    # ---------------------------------------------------------------- async

    async def aadd_texts(self, texts: Iterable[str], metadatas: list[dict] | None = None, *,
                         ids: list[str] | None = None, **kwargs: Any) -> list[str]:
        if self.async_client is None:
            return await super().aadd_texts(texts, metadatas, ids=ids, **kwargs)
        texts = list(texts)
        if not texts:
            return []
        out_ids, records = self._records(texts, metadatas, ids)
        vectors = await self.embedding.aembed_documents(texts)
        records, vectors = self._last_of_each(records, vectors)
        async with self.async_client.scope(self.tenant, self.user) as s:
            await s.forget_many([r["id"] for r in records])
            await s.remember_many(records, vectors, model=self.model)
        return out_ids

    async def adelete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        if self.async_client is None:
            return await super().adelete(ids, **kwargs)
        async with self.async_client.scope(self.tenant, self.user) as s:
            if ids is not None:
                await s.forget_many([memory_id(i) for i in ids])
                return True
            self._require_collection()
            while page := await s.list_memories(CLEAR_PAGE, conversation=self.collection,
                                                model=self.model):
                await s.forget_many([m.id for m in page])
        return True

    async def aget_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        if self.async_client is None:
            return await super().aget_by_ids(ids)
        async with self.async_client.scope(self.tenant, self.user) as s:
            found = await s.get_many([memory_id(i) for i in ids])
        return [_document(m) for m in found if self._mine(m)]

    async def asimilarity_search_with_score_by_vector(
            self, embedding: list[float], k: int = 4, filter: dict | None = None,
            **kwargs: Any) -> list[tuple[Document, float]]:
        if self.async_client is None:
            return await self._in_thread(self.similarity_search_with_score_by_vector,
                                         embedding, k, filter)
        async with self.async_client.scope(self.tenant, self.user) as s:
            hits = await s.search(embedding, **self._search_args(k, filter))
        return [(_document(h), h.similarity) for h in hits]

    async def asimilarity_search_by_vector(self, embedding: list[float], k: int = 4,
                                           filter: dict | None = None, **kwargs: Any
                                           ) -> list[Document]:
        pairs = await self.asimilarity_search_with_score_by_vector(embedding, k, filter)
        return [d for d, _ in pairs]

    async def asimilarity_search_with_score(self, query: str, k: int = 4,
                                            filter: dict | None = None, **kwargs: Any
                                            ) -> list[tuple[Document, float]]:
        vector = await self.embedding.aembed_query(query)
        return await self.asimilarity_search_with_score_by_vector(vector, k, filter)

    async def asimilarity_search(self, query: str, k: int = 4, filter: dict | None = None,
                                 **kwargs: Any) -> list[Document]:
        return [d for d, _ in await self.asimilarity_search_with_score(query, k, filter)]

    # ---------------------------------------------------------------- helpers

    @staticmethod
    async def _in_thread(fn: Any, *args: Any) -> Any:
        import asyncio

        return await asyncio.to_thread(fn, *args)

    def _mine(self, m: Memory) -> bool:
        """get_by_ids returns only documents of this store's collection and model."""
        return ((self.collection is None or m.conversation_id == self.collection)
                and (self.model is None or m.model == self.model))

    def _require_collection(self) -> None:
        if self.collection is None:
            raise InvalidInput("delete() without ids clears a collection; this store has none "
                               "(it would delete every memory of the tenant)",
                               field="ids", hint="Pass the ids, or use CogdbVectorStore("
                               "collection=…) for a store you can clear.")

    @classmethod
    def from_texts(cls, texts: list[str], embedding: Embeddings,
                   metadatas: list[dict] | None = None, *, ids: list[str] | None = None,
                   **kwargs: Any) -> CogdbVectorStore:
        """A store (keyword arguments as the constructor's) with these texts added."""
        store = cls(embedding, **kwargs)
        store.add_texts(texts, metadatas, ids=ids)
        return store
