"""The built-in embedder: no dependency beyond NumPy.

:class:`HashEmbedder` hashes words and character trigrams into a fixed number of signed
buckets (the "hashing trick") and normalises the result. Texts that share words land near
each other; it knows no synonyms. It is for the quickstart, the tests and demos.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)


class HashEmbedder:
    """Dependency-free deterministic embedder; as built in, model ``cogdb-hash-384``
    (embedder spec ``hash`` in the model registry, any number of dimensions)."""

    def __init__(self, model: str = "cogdb-hash-384", dimensions: int = 384) -> None:
        self.model = model
        self.dimensions = dimensions

    def _features(self, text: str) -> list[tuple[str, float]]:
        words = _WORD.findall(text.lower())
        feats = [(f"w:{w}", 1.0) for w in words]
        for w in words:
            padded = f"<{w}>"
            feats.extend((f"t:{padded[i:i + 3]}", 0.35) for i in range(len(padded) - 2))
        return feats

    def embed_one(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dimensions, dtype=np.float32)
        for feature, weight in self._features(text):
            digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dimensions
            sign = 1.0 if digest[4] & 1 else -1.0
            vec[bucket] += sign * weight
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            # Text with no word characters: a fixed unit vector keeps it storable and
            # searchable (cosine of a zero vector is undefined).
            vec[0] = 1.0
            return vec
        return vec / norm

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.stack([self.embed_one(t) for t in texts])
