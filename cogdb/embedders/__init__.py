"""Embedders turn text into vectors for a registered model.

:class:`HashEmbedder` is built in (NumPy only) for the quickstart, the tests and demos.
:class:`SentenceTransformerEmbedder` is a real model from the ``[models]`` extra, imported
only when made. Anything with the same two attributes and one method works
(see :class:`Embedder`).
"""
from .base import Embedder
from .hashing import HashEmbedder
from .sentence_transformer import SentenceTransformerEmbedder

__all__ = ["Embedder", "HashEmbedder", "SentenceTransformerEmbedder"]
