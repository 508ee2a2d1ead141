"""Real text for the search benchmark: Python docstrings (the standard library, then the
installed packages), embedded by a real
sentence-embedding model (all-MiniLM-L6-v2, the ``[models]`` extra), split among Zipf tenants.

The real neighbour profile in bench/RESULTS.md was measured on embeddings of exactly this
kind of text. Docs are sorted by module before the Zipf cut, so a tenant's memories share
subject matter (one tenant gets the email package, another asyncio, …), then shuffled into
arrival order.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import sysconfig
import warnings

import numpy as np

from . import corpus

PACKAGES = ("numpy", "sqlalchemy", "psycopg", "alembic", "click", "hypothesis", "matplotlib")
SKIP = ("test", "idlelib", "tkinter", "turtle", "lib2to3", "ensurepip", "this", "antigravity",
        "pydoc_data", "venv", "__main__", "xxsubtype", "_")


def docstrings(limit: int) -> list[tuple[str, str]]:
    """(module, text) pairs: docstrings of stdlib modules, classes, functions and methods."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    names = sorted(m.name for m in pkgutil.walk_packages([sysconfig.get_paths()["stdlib"]],
                                                          onerror=lambda _n: None)
                   if not m.name.startswith(SKIP) and ".test" not in m.name)
    for package in PACKAGES:  # well-behaved installed packages: importing has no side effects
        try:
            pkg = importlib.import_module(package)
        except ImportError:
            continue
        names.extend(m.name for m in pkgutil.walk_packages(pkg.__path__, package + ".",
                                                           onerror=lambda _n: None)
                     if ".test" not in m.name and "._" not in m.name)
    warnings.simplefilter("ignore")
    for name in names:
        try:
            mod = importlib.import_module(name)
        except BaseException:  # optional modules fail in many ways, SystemExit included
            continue
        objs = [mod] + [v for _k, v in inspect.getmembers(mod)
                        if (inspect.isclass(v) or inspect.isfunction(v))
                        and getattr(v, "__module__", None) == name]
        for obj in list(objs):
            if inspect.isclass(obj):
                objs.extend(v for _k, v in inspect.getmembers(obj, inspect.isfunction))
        for obj in objs:
            doc = inspect.getdoc(obj)
            if not doc or len(doc) < 40:
                continue
            text = " ".join(doc.split())[:600]
            if text not in seen:
                seen.add(text)
                out.append((name.split(".")[0], text))
        if len(out) >= limit:
            break
    return out[:limit]


def build(rows: int, tenants: int, queries_per_tenant: int = 3, seed: int = 0,
          echo=print) -> tuple[corpus.Corpus, dict]:
    from cogdb.embedders import SentenceTransformerEmbedder

    per_tenant = queries_per_tenant
    docs = docstrings(rows + per_tenant * tenants)
    echo(f"collected {len(docs):,} docstrings from {len({m for m, _ in docs})} stdlib packages")
    docs.sort(key=lambda d: d[0])  # subject matter together
    embedder = SentenceTransformerEmbedder()
    vecs = embedder.embed([t for _m, t in docs])
    n = len(docs) - per_tenant * tenants
    sizes = corpus.zipf_sizes(n, tenants)
    rng = np.random.default_rng(seed)
    tenant_of = np.repeat(np.arange(tenants), sizes + per_tenant)
    is_query = np.zeros(len(docs), dtype=bool)
    start = 0
    for t in range(tenants):
        span = sizes[t] + per_tenant
        is_query[start + rng.choice(span, per_tenant, replace=False)] = True
        start += span
    mem = np.flatnonzero(~is_query)
    arrival = rng.permutation(len(mem))
    data = corpus.Corpus(vectors=vecs[mem[arrival]], tenant=tenant_of[mem][arrival], sizes=sizes,
                         queries=vecs[is_query], query_tenant=tenant_of[is_query])
    return data, {"model": embedder.model, "dimensions": embedder.dimensions}
