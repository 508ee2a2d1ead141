"""What cogdb needs of an embedder."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    """What cogdb needs of an embedder: the registered model's name and size, and a batch
    ``embed`` returning a float32 array of shape (len(texts), dimensions)."""

    model: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...
