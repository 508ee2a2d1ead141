"""LangGraph store benchmark: cogdb's CogdbStore against LangGraph's own PostgresStore, on the
same data and the same server.

    python -m bench langgraph                       # tenants of 100, 1,000, 10,000 items
    python -m bench langgraph --sizes 100,1000,10000,50000 --queries 100

On the bench's embedded server (``--home``, default bench/out/home-langgraph), one tenant
per size class, each with its own namespace in PostgresStore (``("t<size>", "memories")``)
and its own cogdb tenant in CogdbStore. Items are ``{"text": "doc-<i>"}``; the index config
embeds ``text`` with a lookup into a calibrated synthetic corpus (bench/corpus.py, 384-d),
so neither store pays for a model and both index exactly the same vectors. Queries are
held-out rows of the same tenants' topics. For each store and tenant:

- load rate: items/s through ``store.batch`` in batches of 500 puts (PostgresStore keeps
  its HNSW index over all tenants up to date while loading; CogdbStore loads without one,
  then ``cogdb maintain`` builds a partial HNSW index for each tenant with at least
  search.ann_min_rows vectors, timed separately);
- search latency (median, p95) of ``store.search(namespace, query=…, limit=10)``, after
  three warm-up queries, and for CogdbStore the path store_search took;
- recall@10 against exact cosine search in NumPy over the tenant's vectors.

PostgresStore runs as the superuser in schema ``lgbench`` (it has no tenants); CogdbStore
as an app login under RLS. Results go to bench/out/langgraph.json; the table to
bench/RESULTS.md by hand.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from urllib.parse import quote

import numpy as np
import psycopg

from . import corpus
from .search_bench import OUT, server_report, start_server

DIMS = 384
K = 10
BATCH = 500


def _index(lookup: dict[str, list[float]], **extra) -> dict:
    def embed(texts: list[str]) -> list[list[float]]:
        return [lookup[t] for t in texts]
    return {"dims": DIMS, "embed": embed, "fields": ["text"], **extra}


def _truth(vecs: np.ndarray, q: np.ndarray) -> tuple[set[int], float]:
    sims = vecs @ q
    order = np.argsort(-sims)
    return set(order[:K].tolist()), float(sims[order[K - 1]])


def _recall(found: list[tuple[str, float]], kth: float) -> float:
    """Share of the true top 10 found, ties at the 10th similarity counted as found."""
    hits = sum(1 for _, s in found if s is not None and s >= kth - 1e-6)
    return min(hits, K) / K


def _puts(tenant_label: str, n: int, offset: int):
    from langgraph.store.base import PutOp

    return [PutOp((tenant_label, "memories"), f"doc-{offset + i}", {"text": f"doc-{offset + i}"})
            for i in range(n)]


def _load(store, label: str, n: int, offset: int) -> float:
    """Seconds to put n items through store.batch, BATCH at a time."""
    ops = _puts(label, n, offset)
    started = time.perf_counter()
    for i in range(0, n, BATCH):
        store.batch(ops[i:i + BATCH])
    return time.perf_counter() - started


def _query(store, label: str, n: int, load: float, queries: list[tuple[str, np.ndarray]],
           vecs: np.ndarray) -> dict:
    for text, _q in queries[:3]:  # warm-up
        store.search((label,), query=text, limit=K)
    latencies, recalls = [], []
    for text, q in queries:
        t = time.perf_counter()
        hits = store.search((label,), query=text, limit=K)
        latencies.append((time.perf_counter() - t) * 1000)
        _, kth = _truth(vecs, q)
        recalls.append(_recall([(h.key, h.score) for h in hits], kth))
    return {"items": n, "load_s": load, "load_rate": n / load,
            "p50_ms": statistics.median(latencies),
            "p95_ms": float(np.percentile(latencies, 95)),
            "recall": float(np.mean(recalls))}


def _store_plan(app_url: str, tenant, label: str, q: np.ndarray) -> str:
    """The path cogdb.store_search takes for this tenant (exact or ann:<index>)."""
    from pgvector.psycopg import register_vector

    with psycopg.connect(app_url) as conn:
        register_vector(conn)
        conn.execute("SELECT cogdb.set_context(%s::text, NULL)", (str(tenant),))
        row = conn.execute("SELECT plan FROM cogdb.store_search(ARRAY[%s], %s::vector)",
                           (label, q)).fetchone()
    return row[0] if row else "-"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench langgraph")
    parser.add_argument("--sizes", default="100,1000,10000",
                        help="tenant sizes, comma-separated (default: 100,1000,10000)")
    parser.add_argument("--queries", type=int, default=50, help="queries per tenant")
    parser.add_argument("--home", type=Path, default=OUT / "home-langgraph")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    from langgraph.store.postgres import PostgresStore

    import cogdb
    from cogdb.integrations.langgraph import CogdbStore
    from cogdb.ops import maintain
    from cogdb.ops.migrate import migrate

    url = start_server(args.home, print)
    migrate(url, "head")
    admin = cogdb.connect_admin(url)
    admin.ensure_app_login("cogdb_bench_app")
    admin.secure_database()
    app_url = url.replace("postgresql://postgres@", "postgresql://cogdb_bench_app@")

    total = sum(sizes) + args.queries * len(sizes)
    vecs, _topics = corpus.vectors(total, DIMS, seed=7)
    lookup: dict[str, list[float]] = {}
    plan = []
    offset = 0
    for n in sizes:
        tenant_vecs = vecs[offset:offset + n]
        qvecs = vecs[offset + n:offset + n + args.queries]
        for i in range(n):
            lookup[f"doc-{offset + i}"] = tenant_vecs[i].tolist()
        queries = []
        for j, q in enumerate(qvecs):
            lookup[f"q-{offset}-{j}"] = q.tolist()
            queries.append((f"q-{offset}-{j}", q))
        plan.append((n, offset, tenant_vecs, queries))
        offset += n + args.queries

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS lgbench CASCADE")
        conn.execute("CREATE SCHEMA lgbench")
    lg_url = url + "&options=" + quote("-csearch_path=lgbench,public")
    results: dict[str, list[dict]] = {"postgresstore": [], "cogdb": []}
    lg_index = _index(lookup, distance_type="cosine",
                      ann_index_config={"kind": "hnsw", "vector_type": "vector"})
    with PostgresStore.from_conn_string(lg_url, index=lg_index,
                                        pool_config={"min_size": 1, "max_size": 2}) as store:
        store.setup()
        for n, off, tvecs, queries in plan:
            load = _load(store, f"t{n}", n, off)
            r = _query(store, f"t{n}", n, load, queries, tvecs)
            results["postgresstore"].append(r)
            print(f"PostgresStore {n:>7} items: {r}")

    client = cogdb.connect(app_url, pool_size=2)
    try:
        loaded = []
        for n, off, _tvecs, _queries in plan:
            tenant = admin.create_tenant(f"langgraph bench {n}", external_id=f"lg-bench-{n}-"
                                         f"{time.time_ns()}")
            store = CogdbStore(client, tenant=tenant.id, index=_index(lookup))
            loaded.append((tenant, store, _load(store, f"t{n}", n, off)))
        started = time.perf_counter()
        steps = maintain.run(url, echo=print)
        results["maintain_s"] = time.perf_counter() - started  # type: ignore[assignment]
        results["maintain_steps"] = [s.action + " " + (s.model or "") for s in steps]
        for (n, _off, tvecs, queries), (tenant, store, load) in zip(plan, loaded, strict=True):
            r = _query(store, f"t{n}", n, load, queries, tvecs)
            r["plan"] = _store_plan(app_url, tenant.id, f"t{n}", queries[0][1])
            results["cogdb"].append(r)
            print(f"CogdbStore    {n:>7} items: {r}")
    finally:
        client.close()
        admin.close()

    report = {"server": server_report(url), "sizes": sizes, "queries": args.queries,
              "results": results}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "langgraph.json").write_text(json.dumps(report, indent=2, default=str))
    print()
    print(f"cogdb maintain (per-tenant indexes): {results['maintain_s']:.1f} s")
    print("| items/tenant | store | load (items/s) | search p50 (ms) | search p95 (ms) |"
          " recall@10 | path |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | --- |")
    for i, n in enumerate(sizes):
        for name, key in (("PostgresStore", "postgresstore"), ("CogdbStore", "cogdb")):
            r = results[key][i]
            path = r.get("plan", "")
            path = "ann (own index)" if path.startswith("ann:") else path
            print(f"| {n:,} | {name} | {r['load_rate']:,.0f} | {r['p50_ms']:.1f} |"
                  f" {r['p95_ms']:.1f} | {r['recall']:.3f} | {path} |")
