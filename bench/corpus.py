"""A synthetic corpus that behaves like real sentence embeddings, split among Zipf tenants.

Real MiniLM-L6 embeddings of 30k Python docstrings (bench/RESULTS.md) have mean nearest-neighbour
cosines of 0.67 (1st), 0.52 (10th) and 0.28 (1000th). Tight synthetic clusters (1st
neighbour above 0.9) make ANN look far better than it is, so this generator is calibrated
to that profile (`python -m bench corpus --check` prints it):

    x = a*common + b*domain + c*topic + d*group + e*noise, normalised,

with unit directions for a shared anisotropy, ~16 domains, topics of ~120 rows and
near-duplicate groups of ~4 rows (weights jittered per row); it measured 0.666 / 0.525 /
0.281 on 30k rows at the defaults.

Tenants: rows are ordered by topic and cut into Zipf-sized runs (tenant i gets a share
proportional to 1 / i**s, the largest ~15-20% of all rows), so a tenant's memories share
topics like a real user's; then the rows are shuffled into arrival order, tenants
interleaved. Queries are held-out rows of the same groups (a query near existing memories).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CALIBRATED = dict(a=0.38, b=0.34, c=0.46, d=0.46, e=0.60, domains=16, topic_size=120,
                  micro_size=4, jitter=0.25)


def _unit(rng: np.random.Generator, shape) -> np.ndarray:
    v = rng.standard_normal(shape).astype(np.float32)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def vectors(n: int, dims: int = 384, seed: int = 0, **params) -> tuple[np.ndarray, np.ndarray]:
    """n unit vectors and the topic of each (float32, shape (n, dims)), generated in chunks."""
    p = {**CALIBRATED, **params}
    rng = np.random.default_rng(seed)
    n_topics = max(1, n // p["topic_size"])
    n_groups = max(1, n // p["micro_size"])
    common = _unit(rng, dims)
    domain = _unit(rng, (p["domains"], dims))
    topic = _unit(rng, (n_topics, dims))
    topic_domain = rng.integers(0, p["domains"], n_topics)
    group = _unit(rng, (n_groups, dims))
    # Topic sizes are skewed (a Pareto tail), like real subject areas.
    group_topic = (rng.pareto(1.2, n_groups) * n_topics / 8).astype(np.int64) % n_topics
    row_group = rng.integers(0, n_groups, n)
    out = np.empty((n, dims), dtype=np.float32)
    for start in range(0, n, 50_000):
        g = row_group[start:start + 50_000]
        t = group_topic[g]
        w = (1 + p["jitter"] * rng.standard_normal((len(g), 3))).astype(np.float32)
        x = (p["a"] * common + p["b"] * w[:, :1] * domain[topic_domain[t]]
             + p["c"] * w[:, 1:2] * topic[t] + p["d"] * w[:, 2:3] * group[g]
             + p["e"] * _unit(rng, (len(g), dims)))
        out[start:start + len(g)] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out, group_topic[row_group]


def neighbour_profile(x: np.ndarray, queries: int = 500, ranks=(1, 10, 1000), seed: int = 1
                      ) -> dict[int, float]:
    """Mean cosine of the r-th nearest neighbour, over sample rows of x (exact)."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(x), min(queries, len(x)), replace=False)
    out = {r: 0.0 for r in ranks}
    for start in range(0, len(idx), 100):
        part = idx[start:start + 100]
        sims = x[part] @ x.T
        sims[np.arange(len(part)), part] = -2.0
        top = -np.sort(-sims, axis=1)[:, : max(ranks)]
        for r in ranks:
            out[r] += float(top[:, r - 1].sum())
    return {r: v / len(idx) for r, v in out.items()}


def zipf_sizes(rows: int, tenants: int, s: float = 1.07) -> np.ndarray:
    """Tenant sizes proportional to 1/i**s summing to rows, each at least 1, largest first."""
    w = 1.0 / np.arange(1, tenants + 1) ** s
    sizes = np.maximum(1, np.floor(w / w.sum() * rows)).astype(np.int64)
    sizes[0] += rows - sizes.sum()
    return sizes


@dataclass
class Corpus:
    vectors: np.ndarray          # (rows, dims) in arrival order
    tenant: np.ndarray           # tenant index of each row (0 = largest)
    sizes: np.ndarray            # rows per tenant
    queries: np.ndarray          # (q, dims) held-out query vectors
    query_tenant: np.ndarray     # tenant index of each query


def build(rows: int, tenants: int = 1000, dims: int = 384, queries_per_tenant: int = 5,
          seed: int = 0, zipf_s: float = 1.07) -> Corpus:
    """rows memories for `tenants` Zipf-sized tenants, plus held-out queries per tenant."""
    sizes = zipf_sizes(rows, tenants, zipf_s)
    q_total = queries_per_tenant * tenants
    x, topic = vectors(rows + q_total, dims=dims, seed=seed)
    order = np.argsort(topic, kind="stable")          # rows of a topic together
    rng = np.random.default_rng(seed + 1)
    # Each tenant takes a contiguous run of the topic-ordered rows, plus its queries.
    tenant_of = np.repeat(np.arange(tenants), sizes + queries_per_tenant)
    is_query = np.zeros(len(order), dtype=bool)
    start = 0
    for t in range(tenants):
        span = sizes[t] + queries_per_tenant
        picks = rng.choice(span, queries_per_tenant, replace=False)
        is_query[start + picks] = True
        start += span
    mem_idx, mem_tenant = order[~is_query], tenant_of[~is_query]
    arrival = rng.permutation(len(mem_idx))          # tenants interleaved
    return Corpus(vectors=x[mem_idx[arrival]], tenant=mem_tenant[arrival], sizes=sizes,
                  queries=x[order[is_query]], query_tenant=tenant_of[is_query])
