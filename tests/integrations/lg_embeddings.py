"""A small deterministic embedding for the LangGraph store tests (LangGraph's own tests use
the same idea): each character adds a fixed random vector, then the sum is normalized, so
texts sharing characters are near, and any script (CJK, Cyrillic…) works."""
from __future__ import annotations

import hashlib

import numpy as np
from langchain_core.embeddings import Embeddings


class CharacterEmbeddings(Embeddings):
    def __init__(self, dims: int = 64) -> None:
        self.dims = dims
        self._cache: dict[str, np.ndarray] = {}

    def _char(self, c: str) -> np.ndarray:
        if c not in self._cache:
            seed = int.from_bytes(hashlib.sha256(c.encode()).digest()[:8], "little")
            self._cache[c] = np.random.default_rng(seed).normal(size=self.dims)
        return self._cache[c]

    def _one(self, text: str) -> list[float]:
        v = np.zeros(self.dims)
        for c in text:
            v += self._char(c)
        norm = np.linalg.norm(v)
        if norm == 0:  # the empty text: a fixed direction, never a zero vector
            v[0], norm = 1.0, 1.0
        return (v / norm).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._one(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._one(text)
