"""Scoped-search benchmark: recall against exact search first, latency second.

    python -m bench search --rows 100k            # a few minutes
    python -m bench search --rows 1m              # the full figure (index builds take a while)

On one embedded server of its own (``--home``, default bench/out/home-<rows>), with the
settings printed in the report, it:

1. loads a calibrated corpus (bench/corpus.py) for 1,000 Zipf-sized tenants in arrival order
   (tenants interleaved), by COPY as the superuser with triggers off (a bench-only bulk path;
   the tenant sizes the count trigger would have written are inserted after), plus one
   private-heavy tenant whose memories are mostly private to other users;
2. runs ``cogdb maintain`` (the partial HNSW indexes of the large tenants), timed;
3. for every held-out query, as the app login through ``cogdb.search``: recall@10 against
   exact search over the rows the caller may see (ties counted), latency, the path taken;
4. the same queries on the same data with three baselines: (1) the seeds' query, one IVFFlat
   (lists=100) with a tenant WHERE filter compared as text; (2) one HNSW over all rows with
   ``hnsw.iterative_scan = relaxed_order``, swept over ef_search; (3) exact search in NumPy
   over the tenant's vectors in memory;
5. QPS with 1 and 8 concurrent clients, RLS overhead (the same searches as a BYPASSRLS role),
   and remember_many throughput for tenants on each path plus the bulk path (load, then build).

It prints a table per size class and writes bench/out/search-<rows>.json and a chart.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import numpy as np
import psycopg
from pgvector.psycopg import register_vector

from . import corpus

OUT = Path(__file__).resolve().parent / "out"
CLASSES = (("tiny", 0, 99), ("small", 100, 999), ("medium", 1000, 19_999),
           ("large", 20_000, 10**12))
SERVER_SETTINGS = {
    "shared_buffers": "6GB", "effective_cache_size": "16GB", "work_mem": "64MB",
    "maintenance_work_mem": "2GB", "max_parallel_maintenance_workers": "2",
    "max_parallel_workers_per_gather": "0", "jit": "off", "synchronous_commit": "on",
    "max_wal_size": "8GB", "checkpoint_timeout": "30min", "max_connections": "100",
}
K = 10
MODEL = "cogdb-hash-384"  # the real-text run (--real) switches to all-minilm-l6-v2


def parse_rows(text: str) -> int:
    text = text.lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text[:-1] if text[-1] in "km" else text) * mult)


def size_class(n: int) -> str:
    return next(name for name, lo, hi in CLASSES if lo <= n <= hi)


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p)) if values else float("nan")


# --- server --------------------------------------------------------------------------------

def start_server(home: Path, echo) -> str:
    """Start (or reuse) the bench server with SERVER_SETTINGS; returns the superuser URL."""
    os.environ["COGDB_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    from cogdb.db import embedded

    info = embedded.start(home)
    url = info.url()
    with psycopg.connect(url, autocommit=True) as conn:
        current = {k: conn.execute(f"SHOW {k}").fetchone()[0] for k in SERVER_SETTINGS}
        if any(current[k] != v for k, v in SERVER_SETTINGS.items()):
            for k, v in SERVER_SETTINGS.items():
                conn.execute(f"ALTER SYSTEM SET {k} = '{v}'")
            restart = True
        else:
            restart = False
    if restart:
        echo("restarting the bench server with its settings")
        embedded.stop(home)
        info = embedded.start(home)
        url = info.url()
    return url


def server_report(url: str) -> dict:
    with psycopg.connect(url) as conn:
        settings = {k: conn.execute(f"SHOW {k}").fetchone()[0] for k in SERVER_SETTINGS}
        version = conn.execute("SELECT version()").fetchone()[0]
        pgvector = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'"
                                ).fetchone()
    return {"version": version, "pgvector": pgvector[0] if pgvector else None,
            "settings": settings, "cpus": os.cpu_count(), "machine": platform.machine()}


# --- loading -------------------------------------------------------------------------------

def load(url: str, data: corpus.Corpus, private_heavy: int, echo) -> dict:
    """Provision the tenants, then COPY the memories in arrival order. Returns ids."""
    from cogdb import AdminClient
    from cogdb.ops.migrate import migrate

    migrate(url, "head")

    admin = AdminClient(url)
    admin.ensure_app_login("cogdb_bench_app")
    admin.register_model(MODEL, data.vectors.shape[1])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DO $$ BEGIN CREATE ROLE cogdb_bench_bypass LOGIN BYPASSRLS;"
                     " EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        conn.execute("GRANT cogdb_app TO cogdb_bench_bypass")
        # Earlier runs' write measurements add rows of their own (ids not starting with b):
        # they are removed, so the searched data is the corpus and nothing else.
        conn.execute("DELETE FROM cogdb.memories WHERE id NOT LIKE 'b%'")
        loaded = conn.execute("SELECT count(*) FROM cogdb.memories").fetchone()[0]
    tenants = [admin.create_tenant(f"bench tenant {i}", external_id=f"bench-{i}").id
               for i in range(len(data.sizes))]
    # The private-heavy tenant has 20 users; ~90% of its memories are private to one of them.
    ph_users = [admin.create_user(tenants[private_heavy], email=f"u{j}@ph.bench").id
                for j in range(20)]
    admin.close()
    rng = np.random.default_rng(7)
    owner = np.full(len(data.tenant), None, dtype=object)
    visibility = np.full(len(data.tenant), "tenant", dtype=object)
    ph_rows = np.flatnonzero(data.tenant == private_heavy)
    private = ph_rows[rng.random(len(ph_rows)) < 0.9]
    owner[private] = [ph_users[j] for j in rng.integers(0, len(ph_users), len(private))]
    visibility[private] = "private"
    ids = [f"b{i:07d}" for i in range(len(data.tenant))]
    if loaded == len(ids):
        echo(f"memories already loaded ({loaded})")
        return {"tenants": tenants, "ph_users": ph_users, "ids": ids, "owner": owner,
                "visibility": visibility, "load_seconds": None}
    if loaded:
        raise SystemExit(f"{loaded} memories in the bench database, expected 0 or {len(ids)}: "
                         "remove the --home folder and run again")
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        register_vector(conn)
        conn.execute("SET session_replication_role = replica")  # bench-only: triggers off
        with conn.cursor() as cur, cur.copy(
                "COPY cogdb.memories (tenant_id, id, owner_user_id, visibility, human_content,"
                " model, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["uuid", "text", "uuid", "text", "text", "text", "vector"])
            for i in range(len(ids)):
                t = int(data.tenant[i])
                copy.write_row((tenants[t], ids[i], owner[i], visibility[i],
                                f"memory {i} of tenant {t}", MODEL, data.vectors[i]))
                if i and i % 200_000 == 0:
                    echo(f"  copied {i:,} rows")
        conn.execute("RESET session_replication_role")
        conn.execute("INSERT INTO cogdb.memory_counts (tenant_id, model, delta)"
                     " SELECT tenant_id, model, count(*) FROM cogdb.memories GROUP BY 1, 2")
        conn.commit()
    seconds = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) cogdb.memories")
    echo(f"loaded {len(ids):,} memories in {seconds:.0f} s (COPY, triggers off)")
    return {"tenants": tenants, "ph_users": ph_users, "ids": ids, "owner": owner,
            "visibility": visibility, "load_seconds": seconds}


# --- measuring cogdb -----------------------------------------------------------------------

def truth(vecs: np.ndarray, q: np.ndarray, k: int = K) -> tuple[np.ndarray, float]:
    """Exact top-k row positions and the k-th similarity (for counting ties)."""
    sims = vecs @ q
    k = min(k, len(sims))
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.argsort(-sims[top])]
    return top, float(sims[top[-1]])


def recall(found_sims: list[float], kth: float, k: int) -> float:
    """Hits among the returned similarities: anything at least as near as the k-th true
    neighbour counts (so ties with the k-th are hits)."""
    if k == 0:
        return 1.0
    return min(k, sum(1 for s in found_sims if s >= kth - 1e-6)) / k


def scope_url(base: str, user: str) -> str:
    return base.replace("postgresql://postgres@", f"postgresql://{user}@", 1)


def run_cogdb_queries(url: str, data: corpus.Corpus, meta: dict, jobs: list[dict], login: str,
                      bypass: bool = False, ef_search: int | None = None) -> list[dict]:
    """Each job: tenant index, query vector, user (or None), visible row positions."""
    out = []
    with psycopg.connect(scope_url(url, login), prepare_threshold=None) as conn:
        register_vector(conn)
        for job in jobs:
            tenant = meta["tenants"][job["tenant"]]
            user = job["user"]
            with conn.transaction():
                if bypass:  # set_context refuses BYPASSRLS roles; set the context by hand
                    conn.execute("SELECT set_config('app.tenant_id', %s, true),"
                                 " set_config('app.user_id', %s, true),"
                                 " set_config('app.context_xact', cogdb.context_stamp(), true)",
                                 (str(tenant), str(user) if user else ""))
                else:
                    conn.execute("SELECT cogdb.set_context(%s, %s)",
                                 (str(tenant), str(user) if user else None))
                started = time.perf_counter()
                rows = conn.execute("SELECT similarity, plan FROM cogdb.search(%b::vector,"
                                    " %s, model => %s, ef_search => %s)",
                                    (job["q"], K, MODEL, ef_search)).fetchall()
                ms = (time.perf_counter() - started) * 1000
            out.append({"ms": ms, "sims": [r[0] for r in rows],
                        "plan": rows[0][1] if rows else "none"})
    return out


def qps(url: str, meta: dict, jobs: list[dict], clients: int, seconds: float,
        login: str = "cogdb_bench_app") -> float:
    stop = time.perf_counter() + seconds
    counts = [0] * clients

    def worker(n: int) -> None:
        with psycopg.connect(scope_url(url, login), prepare_threshold=None) as conn:
            register_vector(conn)
            i = n
            while time.perf_counter() < stop:
                job = jobs[i % len(jobs)]
                i += clients
                with conn.transaction():
                    conn.execute("SELECT cogdb.set_context(%s, %s)",
                                 (str(meta["tenants"][job["tenant"]]),
                                  str(job["user"]) if job["user"] else None))
                    conn.execute("SELECT count(*) FROM cogdb.search(%b::vector, %s,"
                                 " model => %s)", (job["q"], K, MODEL)).fetchone()
                counts[n] += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


# --- baselines ------------------------------------------------------------------------------

def build_baseline_table(url: str, data: corpus.Corpus, meta: dict, echo) -> dict:
    """bench.flat: the same rows without RLS, for the seeds' IVFFlat and one global HNSW."""
    timings = {}
    with psycopg.connect(url, autocommit=True) as conn:
        register_vector(conn)
        conn.execute("CREATE SCHEMA IF NOT EXISTS bench")
        exists = conn.execute("SELECT to_regclass('bench.flat') IS NOT NULL").fetchone()[0]
        if not exists:
            conn.execute("CREATE TABLE bench.flat (tenant_id uuid NOT NULL, id text NOT NULL,"
                         " embedding vector(384) NOT NULL)")
            conn.execute("ALTER TABLE bench.flat ALTER COLUMN embedding SET STORAGE PLAIN")
            conn.execute("INSERT INTO bench.flat SELECT tenant_id, id, embedding::vector(384)"
                         " FROM cogdb.memories WHERE id LIKE 'b%' ORDER BY id")
            conn.execute("VACUUM ANALYZE bench.flat")
        conn.execute("SET maintenance_work_mem = '4GB'")
        for name, ddl in (
                ("ivfflat", "CREATE INDEX IF NOT EXISTS flat_ivfflat ON bench.flat USING ivfflat"
                            " (embedding vector_cosine_ops) WITH (lists = 100)"),
                ("hnsw", "CREATE INDEX IF NOT EXISTS flat_hnsw ON bench.flat USING hnsw"
                         " (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)")):
            started = time.perf_counter()
            echo(f"  building the baseline {name} index over all rows …")
            conn.execute(ddl)
            timings[name] = time.perf_counter() - started
            echo(f"  {name}: {timings[name]:.0f} s")
    return timings


def run_baseline(url: str, meta: dict, jobs: list[dict], kind: str, ef: int | None = None
                 ) -> list[dict]:
    """One baseline over bench.flat, in one transaction that is rolled back: inside it the
    other baseline's index is dropped, so the planner can only use the one measured."""
    out = []
    with psycopg.connect(url, prepare_threshold=None) as conn:
        register_vector(conn)
        other = "flat_hnsw" if kind == "ivfflat" else "flat_ivfflat"
        conn.execute(f"DROP INDEX bench.{other}")
        conn.execute("SET LOCAL enable_seqscan = off")
        if kind == "ivfflat":
            conn.execute("SET LOCAL ivfflat.probes = 1")
            sql = ("SELECT 1 - (embedding <=> %b::vector(384)) FROM bench.flat"
                   " WHERE tenant_id::text = %s ORDER BY embedding <=> %b::vector(384) LIMIT 10")
        else:
            conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            conn.execute(f"SET LOCAL hnsw.ef_search = {int(ef or 40)}")
            sql = ("SELECT s FROM (SELECT 1 - (embedding <=> %b::vector(384)) AS s"
                   " FROM bench.flat WHERE tenant_id = %s::uuid"
                   " ORDER BY embedding <=> %b::vector(384) LIMIT 10) r ORDER BY s DESC")
        for job in jobs:
            t = str(meta["tenants"][job["tenant"]])
            started = time.perf_counter()
            rows = conn.execute(sql, (job["q"], t, job["q"])).fetchall()
            out.append({"ms": (time.perf_counter() - started) * 1000,
                        "sims": [r[0] for r in rows]})
        conn.rollback()
    return out


# --- writes -------------------------------------------------------------------------------

def write_throughput(url: str, data: corpus.Corpus, meta: dict, echo) -> dict:
    """remember_many rates: a new tenant on the exact path, the largest tenant under its ANN
    index, and the bulk path (load a new tenant, then build its index)."""
    import cogdb
    from cogdb import AdminClient

    admin = AdminClient(url)
    rng = np.random.default_rng(11)
    results = {}
    client = cogdb.connect(scope_url(url, "cogdb_bench_app"), pool_size=1)

    def timed_load(tenant_id, n: int, batch: int = 2000) -> float:
        vecs, _ = corpus.vectors(n, seed=int(rng.integers(1 << 30)))
        started = time.perf_counter()
        for s in range(0, n, batch):
            with client.scope(tenant_id) as sc:
                sc.remember_many([{"human": f"w{s + i}"} for i in range(min(batch, n - s))],
                                 vecs[s:s + batch])
        return n / (time.perf_counter() - started)

    tag = uuid.uuid4().hex[:6]
    # Five new tenants of 3,000 memories each stay below search.ann_min_rows: exact path.
    rates = [timed_load(admin.create_tenant(f"write exact {tag} {i}",
                                            external_id=f"w-exact-{tag}-{i}").id, 3000, 1000)
             for i in range(5)]
    results["exact_path_rows_per_s"] = statistics.median(rates)
    echo(f"  remember_many, tenant on the exact path: "
         f"{results['exact_path_rows_per_s']:,.0f} memories/s")
    results["ann_path_rows_per_s"] = timed_load(meta["tenants"][0], 10_000)
    echo(f"  remember_many, largest tenant under its ANN index: "
         f"{results['ann_path_rows_per_s']:,.0f} memories/s")
    bulk = admin.create_tenant(f"write bulk {tag}", external_id=f"w-bulk-{tag}").id
    rate = timed_load(bulk, 50_000)
    from cogdb.ops import maintain

    started = time.perf_counter()
    maintain.run(url, echo=lambda *_: None)
    build = time.perf_counter() - started
    results["bulk_load_rows_per_s"] = rate
    results["bulk_build_seconds"] = build
    results["bulk_overall_rows_per_s"] = 50_000 / (50_000 / rate + build)
    echo(f"  bulk path (50,000 into a new tenant, then build): load {rate:,.0f}/s, build "
         f"{build:.1f} s, overall {results['bulk_overall_rows_per_s']:,.0f}/s")
    client.close()
    admin.close()
    return results


# --- main ---------------------------------------------------------------------------------

def summarize(name: str, results: list[dict], jobs: list[dict]) -> dict:
    per_class: dict[str, dict] = {}
    groups: dict[str, list[int]] = defaultdict(list)
    for i, job in enumerate(jobs):
        groups[job["class"]].append(i)
    for cls, idx in groups.items():
        ms = [results[i]["ms"] for i in idx]
        rec = [recall(results[i]["sims"], jobs[i]["kth"], jobs[i]["k"]) for i in idx]
        plans = defaultdict(int)
        for i in idx:
            p = results[i].get("plan", name)
            plans["ann" if p.startswith("ann:") else p] += 1
        per_class[cls] = {"queries": len(idx), "recall": float(np.mean(rec)),
                          "min_recall": float(np.min(rec)), "p50_ms": pct(ms, 50),
                          "p95_ms": pct(ms, 95), "p99_ms": pct(ms, 99), "plans": dict(plans)}
    return per_class


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench search", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default="100k", help="corpus size, e.g. 100k or 1m")
    ap.add_argument("--tenants", type=int, default=1000)
    ap.add_argument("--queries-per-tenant", type=int, default=5)
    ap.add_argument("--home", help="bench server folder (default bench/out/home-<rows>)")
    ap.add_argument("--ef-sweep", default="40,100,200,400", help="baseline (2) ef_search values")
    ap.add_argument("--skip-baselines", action="store_true")
    ap.add_argument("--baseline-queries", type=int, default=200,
                    help="queries per size class for the baselines")
    ap.add_argument("--skip-writes", action="store_true")
    ap.add_argument("--qps-seconds", type=float, default=15)
    ap.add_argument("--real", action="store_true",
                    help="real text instead of the synthetic corpus: stdlib docstrings embedded "
                         "by all-MiniLM-L6-v2 (needs the [models] extra); use with e.g. "
                         "--rows 8k --tenants 50")
    args = ap.parse_args(argv)
    rows = parse_rows(args.rows)
    label = args.rows.lower() + ("-real" if args.real else "")
    OUT.mkdir(parents=True, exist_ok=True)
    home = Path(args.home) if args.home else OUT / f"home-{label}"

    def echo(line: str) -> None:
        print(line, flush=True)

    report: dict = {"rows": rows, "tenants": args.tenants, "k": K, "started": time.ctime()}
    echo(f"== cogdb scoped-search benchmark: {rows:,} rows, {args.tenants} tenants ==")
    t0 = time.perf_counter()
    global MODEL
    if args.real:
        from . import real_text

        data, model = real_text.build(rows, args.tenants, echo=echo)
        MODEL = model["model"]
        report["corpus"] = "stdlib docstrings, all-MiniLM-L6-v2"
    else:
        data = corpus.build(rows, args.tenants, queries_per_tenant=args.queries_per_tenant)
        report["corpus"] = "synthetic, bench/corpus.py"
    report["model"] = MODEL
    # The profile of the largest tenant's own rows: what its searches see.
    report["corpus_profile"] = corpus.neighbour_profile(
        data.vectors[data.tenant == 0][:30_000], ranks=(1, 10, 100))
    echo(f"corpus built in {time.perf_counter() - t0:.0f} s; neighbour profile "
         f"{ {r: round(v, 3) for r, v in report['corpus_profile'].items()} }; largest tenant "
         f"{data.sizes[0]:,} rows ({data.sizes[0] / rows:.0%})")
    url = start_server(home, echo)
    # The private-heavy tenant: the first medium-sized one (1k-20k rows).
    private_heavy = int(next((i for i, n in enumerate(data.sizes)
                              if i > 0 and 1000 <= n < 20_000), 1))
    meta = load(url, data, private_heavy, echo)
    report["load_seconds"] = meta["load_seconds"]
    report["server"] = server_report(url)  # after load: the migration creates pgvector

    from cogdb.ops import maintain

    started = time.perf_counter()
    steps = maintain.run(url, echo=lambda *_: None)
    report["maintain"] = {"seconds": time.perf_counter() - started,
                          "indexes_built": sum(s.action == "create" for s in steps)}
    with psycopg.connect(url) as conn:
        s = dict(conn.execute("SELECT key, value::text FROM cogdb.settings").fetchall())
        report["thresholds"] = {k: s[k] for k in ("search.exact_max_rows", "search.ann_min_rows",
                                                  "search.hnsw_m", "search.hnsw_ef_construction")}
        report["ann_indexes"] = conn.execute(
            "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'memories_ann_%'").fetchone()[0]
    echo(f"maintain: {report['maintain']['indexes_built']} partial HNSW indexes in "
         f"{report['maintain']['seconds']:.0f} s (ann_min_rows "
         f"{report['thresholds']['search.ann_min_rows']})")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) cogdb.memories")

    # Jobs: every held-out query, as a user-less tenant context; for the private-heavy
    # tenant, as each of a few of its users too. Ground truth over exactly what is visible.
    rows_of = defaultdict(list)
    for i, t in enumerate(data.tenant):
        rows_of[int(t)].append(i)
    jobs = []
    for qi, t in enumerate(data.query_tenant):
        t = int(t)
        users = [None] if t != private_heavy else meta["ph_users"][:5]
        for user in users:
            pos = np.array(rows_of[t]) if t != private_heavy else np.array(
                [i for i in rows_of[t]
                 if meta["visibility"][i] == "tenant" or meta["owner"][i] == user])
            top, kth = truth(data.vectors[pos], data.queries[qi])
            cls = "largest" if t == 0 else size_class(data.sizes[t])
            if t == private_heavy:
                cls = "private-heavy"
            jobs.append({"tenant": t, "user": user, "q": data.queries[qi], "kth": kth,
                         "k": min(K, len(pos)), "class": cls, "visible": len(pos)})
    echo(f"{len(jobs)} queries; warming up …")
    run_cogdb_queries(url, data, meta, jobs, "cogdb_bench_app")
    res = run_cogdb_queries(url, data, meta, jobs, "cogdb_bench_app")
    report["cogdb"] = summarize("cogdb", res, jobs)
    res_bypass = run_cogdb_queries(url, data, meta, jobs, "cogdb_bench_bypass", bypass=True)
    report["cogdb_bypassrls"] = summarize("cogdb", res_bypass, jobs)

    # Baseline (3): NumPy exact over the tenant's vectors in memory.
    np_res = []
    mats = {t: data.vectors[np.array(r)] for t, r in rows_of.items()}
    for job in jobs:
        m = mats[job["tenant"]]
        started = time.perf_counter()
        sims = m @ job["q"]
        k = min(K, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        np_res.append({"ms": (time.perf_counter() - started) * 1000,
                       "sims": sorted(sims[top].tolist(), reverse=True)})
    report["numpy_exact"] = summarize("numpy", np_res, jobs)

    if not args.skip_baselines:
        echo("baselines on the same rows (table bench.flat, no RLS):")
        report["baseline_build_seconds"] = build_baseline_table(url, data, meta, echo)
        # The private-heavy tenant's users are not modelled by the baselines: user-less jobs,
        # at most --baseline-queries per class (the global-HNSW sweep is slow on tiny tenants).
        per_class: dict[str, list[dict]] = defaultdict(list)
        for j in jobs:
            if j["user"] is None and len(per_class[j["class"]]) < args.baseline_queries:
                per_class[j["class"]].append(j)
        bjobs = [j for js in per_class.values() for j in js]
        run_baseline(url, meta, bjobs[:200], "ivfflat")
        report["seeds_ivfflat"] = summarize("ivfflat", run_baseline(url, meta, bjobs, "ivfflat"),
                                            bjobs)
        report["hnsw_iterative"] = {}
        for ef in [int(e) for e in args.ef_sweep.split(",")]:
            run_baseline(url, meta, bjobs[:200], "hnsw", ef)
            report["hnsw_iterative"][ef] = summarize(
                "hnsw", run_baseline(url, meta, bjobs, "hnsw", ef), bjobs)
    echo("throughput:")
    tenant_jobs = [j for j in jobs if j["class"] != "private-heavy"]
    report["qps"] = {str(c): qps(url, meta, tenant_jobs, c, args.qps_seconds) for c in (1, 8)}
    echo(f"  QPS: 1 client {report['qps']['1']:.0f}, 8 clients {report['qps']['8']:.0f}")
    if not args.skip_writes:
        report["writes"] = write_throughput(url, data, meta, echo)

    path = OUT / f"search-{label}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    print_report(report, echo)
    try:
        chart(report, OUT / f"search-{label}.png")
        echo(f"chart: {OUT / f'search-{label}.png'}")
    except ImportError:
        echo("(matplotlib not installed: no chart; pip install -e '.[bench]')")
    echo(f"JSON: {path}")


CLASS_ORDER = ("tiny", "small", "medium", "large", "largest", "private-heavy")


def print_report(r: dict, echo) -> None:
    echo("")
    echo(f"server: {r['server']['version'].split(' on ')[0]}, pgvector {r['server']['pgvector']},"
         f" {r['server']['cpus']} cpus; {r['server']['settings']}")
    echo(f"thresholds: {r['thresholds']}; {r['ann_indexes']} ANN indexes")
    echo("")
    head = f"{'class':<14}{'queries':>8}  {'path':<22}{'recall@10':>10}{'min':>7}" \
           f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
    for name, key in (("cogdb (app login, RLS)", "cogdb"),
                      ("cogdb as BYPASSRLS", "cogdb_bypassrls"),
                      ("(3) NumPy exact in memory", "numpy_exact"),
                      ("(1) seeds: IVFFlat lists=100, tenant as text", "seeds_ivfflat")):
        if key not in r:
            continue
        echo(name)
        echo(head)
        for cls in CLASS_ORDER:
            c = r[key].get(cls)
            if not c:
                continue
            plans = ",".join(f"{p}:{n}" for p, n in sorted(c["plans"].items()))
            echo(f"{cls:<14}{c['queries']:>8}  {plans:<22}{c['recall']:>10.3f}"
                 f"{c['min_recall']:>7.2f}{c['p50_ms']:>9.2f}{c['p95_ms']:>9.2f}{c['p99_ms']:>9.2f}")
        echo("")
    if "hnsw_iterative" in r:
        echo("(2) one HNSW over all rows, iterative_scan = relaxed_order")
        echo(f"{'class':<14}" + "".join(f"{'ef=' + str(ef):>22}" for ef in r["hnsw_iterative"]))
        for cls in CLASS_ORDER:
            cells = []
            for _ef, res in r["hnsw_iterative"].items():
                c = res.get(cls)
                cells.append(f"{c['recall']:.3f} / {c['p50_ms']:.1f} ms" if c else "")
            if any(cells):
                echo(f"{cls:<14}" + "".join(f"{cell:>22}" for cell in cells))
        echo("")
    ratios = {}
    for cls in CLASS_ORDER:
        a, b = r["cogdb"].get(cls), r["cogdb_bypassrls"].get(cls)
        if a and b:
            ratios[cls] = a["p50_ms"] / b["p50_ms"]
    r["rls_overhead_p50_ratio"] = ratios
    echo("RLS overhead (p50 as app login / p50 as BYPASSRLS): "
         + ", ".join(f"{c} {v:.2f}" for c, v in ratios.items()))
    echo(f"QPS: {r['qps']}")
    if "writes" in r:
        echo(f"writes: { {k: round(v, 1) for k, v in r['writes'].items()} }")


def chart(r: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import LogLocator, NullFormatter

    classes = [c for c in CLASS_ORDER if c in r["cogdb"]]
    cols = 3
    rows = (len(classes) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    lowest = 1.0
    for ax, cls in zip(axes.flat, classes, strict=False):
        def point(res, label, marker, ax=ax, cls=cls):
            c = res.get(cls)
            if c:
                ax.scatter([max(c["p50_ms"], 1e-3)], [c["recall"]], label=label,
                           marker=marker, s=60)
                return c["recall"]
            return 1.0
        lows = [point(r["cogdb"], "cogdb", "o"), point(r["numpy_exact"], "NumPy exact", "s")]
        if "seeds_ivfflat" in r:
            lows.append(point(r["seeds_ivfflat"], "(1) seeds IVFFlat", "x"))
        if "hnsw_iterative" in r:
            xs = [res[cls]["p50_ms"] for res in r["hnsw_iterative"].values() if cls in res]
            ys = [res[cls]["recall"] for res in r["hnsw_iterative"].values() if cls in res]
            if xs:
                ax.plot(xs, ys, "-^", label="(2) one HNSW, ef sweep")
                lows.extend(ys)
        lowest = min(lowest, *lows)
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(cls)
        ax.set_xlabel("p50 latency (ms, log)")
        ax.set_ylabel("recall@10")
        ax.grid(alpha=0.3)
    for ax in axes.flat:
        ax.set_ylim(max(0.0, lowest - 0.05), 1.01)
    for ax in list(axes.flat)[len(classes):]:
        ax.axis("off")
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"scoped search, {r['rows']:,} rows, {r['tenants']} tenants, 2 cores")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
