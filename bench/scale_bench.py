"""Cost against the number of large tenants: planning, search and inserts with 80, 800 and
3,000 promoted tenants (a partition and an HNSW index each).

    python -m bench scale                       # 80, 800, 3,000: about 15 minutes
    python -m bench scale --large 80,800        # a shorter run

On an embedded server of its own (``--home``, default bench/out/home-scale), as cogdb creates
it: 1,000 small tenants of 20 memories stay in memories_default; large tenants of 50 memories
are added in stages and promoted by ``cogdb maintain`` with search.ann_min_rows lowered to 50
(search.exact_max_rows 20, so their searches take the index). Everything is written through
``remember_many`` as the app login. At each stage, as the app login in a context:

- planning time (median of EXPLAIN (ANALYZE, SUMMARY) Planning Time) of the statements
  cogdb.search runs: the exact path for a small tenant, the ANN path for a large one (both with
  the tenant as a constant), and a get by id; and, for contrast, the same count written with
  the fence alone (no tenant named), which plans every partition;
- search p50 through the Python client, one scope per search, small and large tenants;
- remember_many into a small tenant (memories_default): rows/s, batches of 1,000.

Criterion (issue 15): none grows more than 1.5x from 80 to 3,000 large tenants. Writes
bench/out/scale.json.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import time
import uuid
from pathlib import Path

import numpy as np
import psycopg
from pgvector.psycopg import register_vector

from . import corpus
from .search_bench import APP_LOGIN, OUT, login_url, server_report, start_server

MODEL = "cogdb-hash-384"
SMALL, SMALL_ROWS, LARGE_ROWS = 1000, 20, 50


def _plan_ms(conn: psycopg.Connection, query: str, params: tuple, runs: int) -> float:
    times = []
    for _ in range(runs):
        text = "\n".join(r[0] for r in conn.execute("EXPLAIN (ANALYZE, SUMMARY) " + query,
                                                    params))
        times.append(float(re.search(r"Planning Time: ([\d.]+) ms", text).group(1)))
    return statistics.median(times)


EXACT = ("SELECT m.id, m.embedding OPERATOR(public.<=>) %s::vector AS d FROM cogdb.memories m"
         " WHERE m.tenant_id = {t} AND m.model = '{m}'"
         " AND (m.expires_at IS NULL OR m.expires_at > now()) ORDER BY d, m.id LIMIT 10")
ANN = ("SELECT s.id FROM (SELECT m.id, m.embedding OPERATOR(public.<=>) %s::vector AS d"
       " FROM cogdb.memories m WHERE m.tenant_id = {t} AND m.model = '{m}'"
       " AND (m.expires_at IS NULL OR m.expires_at > now())"
       " ORDER BY (m.embedding::public.vector(384)) OPERATOR(public.<=>) %s::vector"
       " LIMIT 10) s ORDER BY s.d, s.id")
GET = ("SELECT m.* FROM cogdb.memories m WHERE m.tenant_id = {t} AND m.id = 'x'"
       " AND (m.expires_at IS NULL OR m.expires_at > now())")
FENCE_ONLY = "SELECT count(*) FROM cogdb.memories m WHERE m.id = 'x'"


def measure(url: str, client, small: list, large: list, q: np.ndarray, runs: int,
            searches: int, echo) -> dict:
    rng = np.random.default_rng(len(large))
    out: dict = {}
    app = login_url(url, APP_LOGIN)
    with psycopg.connect(app, autocommit=True, prepare_threshold=None) as conn:
        register_vector(conn)
        for name, tenant, query, params in (
                ("exact_small", small[0], EXACT, (q,)), ("ann_large", large[-1], ANN, (q, q)),
                ("get", large[-1], GET, ()), ("fence_only", large[-1], FENCE_ONLY, ())):
            with conn.transaction():
                conn.execute("SELECT cogdb.set_context(%s, NULL)", (str(tenant),))
                # as cogdb.search plans its ANN statement (the index, not a sort)
                conn.execute("SET LOCAL enable_sort = off" if name == "ann_large"
                             else "SET LOCAL enable_sort = on")
                text = query.format(t=f"'{tenant}'::uuid", m=MODEL)
                _plan_ms(conn, text, params, 3)   # warm the caches
                out[f"plan_{name}_ms"] = _plan_ms(conn, text, params,
                                                  max(5, runs // 10) if name == "fence_only"
                                                  else runs)
                if name == "ann_large":
                    plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + text, params))
                    out["ann_uses_index"] = "memories_ann_" in plan
    for label, tenants in (("small", small), ("large", large)):
        times = []
        for _ in range(searches):
            t = tenants[int(rng.integers(len(tenants)))]
            t0 = time.perf_counter()
            with client.scope(t) as s:
                s.search(q, 10)
            times.append((time.perf_counter() - t0) * 1000)
        out[f"search_{label}_p50_ms"] = statistics.median(times)
    with psycopg.connect(url) as su:
        out["partitions"] = su.execute("SELECT count(*) FROM pg_inherits WHERE inhparent ="
                                       " 'cogdb.memories'::regclass").fetchone()[0]
    from cogdb import AdminClient

    with AdminClient(url) as admin:
        target = admin.create_tenant(f"scale insert {uuid.uuid4().hex[:6]}").id
    vecs, _ = corpus.vectors(5000, seed=len(large))
    rates = []
    for b in range(5):
        t0 = time.perf_counter()
        with client.scope(target) as s:
            s.remember_many([{"human": f"w{b}-{i}"} for i in range(1000)],
                            vecs[b * 1000:(b + 1) * 1000])
        rates.append(1000 / (time.perf_counter() - t0))
    out["insert_rows_per_s"] = statistics.median(rates)
    out["insert_runs"] = [round(r) for r in rates]
    echo(f"  {out}")
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--large", default="80,800,3000", help="stages: large tenants in total")
    ap.add_argument("--home", help="bench server folder (default bench/out/home-scale)")
    ap.add_argument("--plan-runs", type=int, default=100)
    ap.add_argument("--searches", type=int, default=500)
    args = ap.parse_args(argv)
    stages = [int(s) for s in args.large.split(",")]
    OUT.mkdir(parents=True, exist_ok=True)
    home = Path(args.home) if args.home else OUT / "home-scale"

    def echo(line: str) -> None:
        print(line, flush=True)

    import cogdb
    from cogdb import AdminClient
    from cogdb.ops import maintain
    from cogdb.ops.migrate import migrate

    url = start_server(home, echo)
    migrate(url, "head")
    with AdminClient(url) as admin:
        admin.ensure_app_login(APP_LOGIN)
        admin.register_model(MODEL, 384)
        with psycopg.connect(url, autocommit=True) as conn:
            if conn.execute("SELECT count(*) FROM cogdb.memories").fetchone()[0]:
                raise SystemExit(f"{home} holds data from an earlier run: remove it first")
            conn.execute("UPDATE cogdb.settings SET value = '50' WHERE key = 'search.ann_min_rows'")
            conn.execute("UPDATE cogdb.settings SET value = '20'"
                         " WHERE key = 'search.exact_max_rows'")
        small = [admin.create_tenant(f"small {i}").id for i in range(SMALL)]
    client = cogdb.connect(login_url(url, APP_LOGIN), pool_size=2)
    vecs, _ = corpus.vectors(SMALL * SMALL_ROWS + max(stages) * LARGE_ROWS, seed=1)
    for i, t in enumerate(small):
        with client.scope(t) as s:
            s.remember_many([{"human": f"s{j}"} for j in range(SMALL_ROWS)],
                            vecs[i * SMALL_ROWS:(i + 1) * SMALL_ROWS])
    at = SMALL * SMALL_ROWS
    q = vecs[0]
    report: dict = {"small_tenants": SMALL, "small_rows": SMALL_ROWS, "large_rows": LARGE_ROWS,
                    "started": time.ctime(), "stages": {}}
    large: list = []
    for stage in stages:
        echo(f"stage: {stage} large tenants")
        with AdminClient(url) as admin:
            new = [admin.create_tenant(f"large {i}").id for i in range(len(large), stage)]
        t0 = time.perf_counter()
        for t in new:
            with client.scope(t) as s:
                s.remember_many([{"human": f"l{j}"} for j in range(LARGE_ROWS)],
                                vecs[at:at + LARGE_ROWS])
            at += LARGE_ROWS
        write_s = time.perf_counter() - t0
        large += new
        t0 = time.perf_counter()
        steps = maintain.run(url, echo=lambda *_: None)
        errors = [(s.action, s.error) for s in steps if s.error]
        if errors:
            raise SystemExit(f"maintain failed: {errors[:5]}")
        promote = [s.seconds for s in steps if s.action == "promote"]
        echo(f"  wrote {len(new)} tenants in {write_s:.0f} s; maintain {len(steps)} steps in "
             f"{time.perf_counter() - t0:.0f} s (promotion p50 "
             f"{statistics.median(promote) * 1000 if promote else 0:.0f} ms)")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE) cogdb.memories_default")
        result = measure(url, client, small, large, q, args.plan_runs, args.searches, echo)
        result["promotion_p50_ms"] = statistics.median(promote) * 1000 if promote else None
        report["stages"][str(stage)] = result
    client.close()
    report["server"] = server_report(url)
    first, last = report["stages"][str(stages[0])], report["stages"][str(stages[-1])]
    keys = ("plan_exact_small_ms", "plan_ann_large_ms", "plan_get_ms", "search_small_p50_ms",
            "search_large_p50_ms")
    report["growth"] = {k: last[k] / first[k] for k in keys}
    report["growth"]["insert_rows_per_s"] = first["insert_rows_per_s"] / last["insert_rows_per_s"]
    (OUT / "scale.json").write_text(json.dumps(report, indent=2, default=str))
    echo("")
    echo(f"{'large tenants':>14}" + "".join(f"{s:>12}" for s in stages) + f"{'growth':>9}")
    for k in (*keys, "insert_rows_per_s", "plan_fence_only_ms", "promotion_p50_ms"):
        cells = "".join(f"{report['stages'][str(s)].get(k) or 0:>12.3f}" for s in stages)
        growth = report["growth"].get(k)
        echo(f"{k:>30}{cells}" + (f"{growth:>9.2f}x" if growth else ""))
    echo(f"(growth: value at {stages[-1]} / value at {stages[0]}; for inserts, the rate at "
         f"{stages[0]} / the rate at {stages[-1]}; criterion <= 1.5x)")
    echo(f"JSON: {OUT / 'scale.json'}; load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
