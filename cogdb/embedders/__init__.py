"""Embedders turn text into vectors for a registered model.

:class:`HashEmbedder` is built in (NumPy only) for the quickstart, the tests and demos.
:class:`SentenceTransformerEmbedder` is a real model from the ``[models]`` extra, imported
only when made. Anything with the same two attributes and one method works
(see :class:`Embedder`).

The model registry (``cogdb model list``) says which embedder makes each model's vectors,
as a spec :func:`from_spec` turns into an embedder: ``hash`` or
``sentence-transformers:<model name or folder>``.
"""
from __future__ import annotations

from ..db.errors import InvalidInput
from .base import Embedder
from .hashing import HashEmbedder
from .sentence_transformer import SentenceTransformerEmbedder

__all__ = ["Embedder", "HashEmbedder", "SentenceTransformerEmbedder", "from_spec"]

#: The embedder specs cogdb knows, with what they take after the colon.
SPECS = {"hash": "nothing", "sentence-transformers": "a model name or a local folder"}


def from_spec(spec: str | None, model: str, dimensions: int) -> Embedder:
    """The embedder a registry entry names, for ``model`` of ``dimensions``."""
    if spec is None:
        raise InvalidInput(
            f"model {model!r} has no embedder registered, so cogdb cannot embed text for it",
            field="model", hint=f"Pass vectors, or register one: cogdb model register {model} "
            f"--dimensions {dimensions} --embedder sentence-transformers:<model>")
    kind, _, arg = spec.partition(":")
    if kind == "hash":
        return HashEmbedder(model, dimensions)
    if kind == "sentence-transformers":
        try:
            embedder: Embedder = SentenceTransformerEmbedder(arg or "all-MiniLM-L6-v2",
                                                             model=model)
        except ImportError as exc:
            raise InvalidInput(str(exc), field="embedder",
                               hint="pip install 'cogdb[models]'") from exc
        if embedder.dimensions != dimensions:
            raise InvalidInput(f"embedder {spec!r} makes {embedder.dimensions}-d vectors; "
                               f"model {model!r} is registered with {dimensions}",
                               field="embedder")
        return embedder
    raise InvalidInput(f"unknown embedder {spec!r} for model {model!r}; cogdb knows "
                       + ", ".join(SPECS), field="embedder",
                       hint="Re-register the model with a known --embedder.")
