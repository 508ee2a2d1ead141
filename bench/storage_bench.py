"""Storage choices for the per-tenant ANN index, measured rather than assumed.

    python -m bench storage [--rows 20000] [--dims 384]

On one tenant-sized table of calibrated vectors (bench/corpus.py) in its own embedded server:

- HNSW over ``vector`` vs ``halfvec`` (the index expression casts; the table keeps full
  precision), for m 16 / 24 and ef_construction 64 / 128: build time, index size, and recall@10
  (against exact full-precision search) with p50 latency at ef_search 40 / 100 / 200;
- 1024-d rows with STORAGE PLAIN (inline, what cogdb sets) vs EXTENDED (the default: 4 KB
  vectors go to TOAST): table size and the time of an exact scan.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import psycopg
from pgvector.psycopg import register_vector

from . import corpus
from .search_bench import OUT, start_server


def _exact(x: np.ndarray, q: np.ndarray, k: int = 10) -> float:
    sims = x @ q
    return float(np.sort(sims)[-k])


def hnsw_grid(conn: psycopg.Connection, x: np.ndarray, queries: np.ndarray, echo) -> list[dict]:
    dims = x.shape[1]
    conn.execute("DROP TABLE IF EXISTS bench_storage")
    conn.execute(f"CREATE TABLE bench_storage (id int PRIMARY KEY, embedding vector({dims}))")
    conn.execute("ALTER TABLE bench_storage ALTER COLUMN embedding SET STORAGE PLAIN")
    with conn.cursor().copy("COPY bench_storage FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types(["int4", "vector"])
        for i, v in enumerate(x):
            copy.write_row((i, v))
    conn.execute("VACUUM ANALYZE bench_storage")
    kth = [_exact(x, q) for q in queries]
    results = []
    for kind in ("vector", "halfvec"):
        for m, efc in ((16, 64), (16, 128), (24, 64)):
            expr = f"(embedding::{kind}({dims}))"
            conn.execute("DROP INDEX IF EXISTS bench_storage_hnsw")
            started = time.perf_counter()
            conn.execute(f"CREATE INDEX bench_storage_hnsw ON bench_storage USING hnsw ({expr}"
                         f" {kind}_cosine_ops) WITH (m = {m}, ef_construction = {efc})")
            build = time.perf_counter() - started
            size = conn.execute("SELECT pg_relation_size('bench_storage_hnsw')").fetchone()[0]
            for ef in (40, 100, 200):
                conn.execute(f"SET hnsw.ef_search = {ef}")
                rec, ms = [], []
                sql = (f"SELECT 1 - (embedding <=> %b::vector) FROM bench_storage"
                       f" ORDER BY {expr} <=> %b::{kind}({dims}) LIMIT 10")
                for q, k10 in zip(queries, kth, strict=True):
                    conn.execute(sql, (q, q)).fetchall()  # warm
                    t0 = time.perf_counter()
                    sims = [r[0] for r in conn.execute(sql, (q, q)).fetchall()]
                    ms.append((time.perf_counter() - t0) * 1000)
                    rec.append(sum(1 for s in sims if s >= k10 - 1e-6) / 10)
                row = {"type": kind, "m": m, "ef_construction": efc, "ef_search": ef,
                       "build_s": build, "index_mb": size / 2**20,
                       "recall": float(np.mean(rec)), "p50_ms": float(np.median(ms))}
                results.append(row)
                echo(f"  {kind:<8} m={m:<3} efc={efc:<4} ef={ef:<4} build {build:5.1f} s"
                     f"  {size / 2**20:6.1f} MB  recall {row['recall']:.3f}"
                     f"  p50 {row['p50_ms']:.2f} ms")
    return results


def storage_1024(conn: psycopg.Connection, rows: int, echo) -> list[dict]:
    x, _ = corpus.vectors(rows, dims=1024, seed=5)
    q = x[0]
    out = []
    for storage in ("plain", "extended"):
        conn.execute("DROP TABLE IF EXISTS bench_store_1024")
        conn.execute("CREATE TABLE bench_store_1024 (id int, embedding vector(1024))")
        conn.execute(f"ALTER TABLE bench_store_1024 ALTER COLUMN embedding SET STORAGE {storage}")
        started = time.perf_counter()
        with conn.cursor().copy("COPY bench_store_1024 FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "vector"])
            for i, v in enumerate(x):
                copy.write_row((i, v))
        load = time.perf_counter() - started
        conn.execute("VACUUM ANALYZE bench_store_1024")
        size = conn.execute("SELECT pg_total_relation_size('bench_store_1024')").fetchone()[0]
        ms = []
        for _ in range(7):
            t0 = time.perf_counter()
            conn.execute("SELECT id FROM bench_store_1024 ORDER BY embedding <=> %b::vector"
                         " LIMIT 10", (q,)).fetchall()
            ms.append((time.perf_counter() - t0) * 1000)
        row = {"storage": storage, "rows": rows, "load_s": load, "total_mb": size / 2**20,
               "exact_scan_p50_ms": float(np.median(ms[1:]))}
        out.append(row)
        echo(f"  1024-d STORAGE {storage:<8}: load {load:.1f} s, {size / 2**20:.0f} MB,"
             f" exact scan of {rows:,} rows p50 {row['exact_scan_p50_ms']:.1f} ms")
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench storage", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=20_000, help="rows of the tenant-sized table")
    ap.add_argument("--dims", type=int, default=384)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--home", help="bench server folder (default bench/out/home-storage)")
    args = ap.parse_args(argv)

    def echo(line: str) -> None:
        print(line, flush=True)

    OUT.mkdir(parents=True, exist_ok=True)
    url = start_server(Path(args.home) if args.home else OUT / "home-storage", echo)
    x, _ = corpus.vectors(args.rows + args.queries, dims=args.dims, seed=3)
    base, queries = x[: args.rows], x[args.rows:]
    report = {"rows": args.rows, "dims": args.dims, "queries": args.queries}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        register_vector(conn)
        conn.execute("SET maintenance_work_mem = '1GB'")
        echo(f"HNSW on one {args.rows:,}-row tenant, {args.dims}-d, {args.queries} queries:")
        report["hnsw"] = hnsw_grid(conn, base, queries, echo)
        echo("1024-d storage:")
        report["storage_1024"] = storage_1024(conn, args.rows, echo)
        conn.execute("DROP TABLE IF EXISTS bench_storage, bench_store_1024")
    path = OUT / f"storage-{args.rows}.json"
    path.write_text(json.dumps(report, indent=2))
    echo(f"JSON: {path}")


if __name__ == "__main__":
    main()
