"""What retention costs reads, and how fast the purge goes, against a same-run baseline.

    python -m bench retention [--rows 20000] [--queries 200] [--rounds 3]

On its own embedded server (bench/out/home-retention), one tenant of ``--rows`` memories
(384-d, created over the last 60 days, five context types), read as an app login:

- **search** (k=10), on both plan paths: ``exact`` (before `cogdb maintain`: every visible
  candidate ranked) and ``ann`` (after maintain has promoted the tenant and built its HNSW
  index), and **count**: ``SELECT count(*)`` of the tenant's memories (the policy's per-row
  test on every row), and **get** of one memory by id;
- in three settings, alternating in ``--rounds`` rounds so each sees the same machine:
  **before** (memories__retained dropped: reads as before this revision), **no policy**
  (the policy on, the tenant without a retention policy: expires_at and one comparison with
  the horizon per row) and **policy** (max_age 365 days for '*' and an exception for notes,
  which hides nothing here: every row is newer than the horizon) and **policy_30d** (30 days
  for '*', notes kept, 45 days for fact/api: the older half of the rows takes the per-row
  lookup of its most specific cutoff, and most of them are hidden); medians of ``--queries``
  queries per round, and the ratios against no policy, and of no policy against before;
- **purge**: a 30-day policy makes about half of the rows due; `purge` deletes them in
  batches of 1,000 (memories per second, batches), and the same with action anonymise on a
  fresh copy of the rows.

Medians are the figures to quote (the machine is shared). Results: bench/results/retention.json.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg
from pgvector.psycopg import register_vector

from .import_bench import OUT, start_server

APP_LOGIN = "cogdb_bench_retention_app"
MODEL, DIMS = "bench-retention-384", 384
RESULTS = Path(__file__).resolve().parent / "results" / "retention.json"
TYPES = ("conversation", "fact", "note", "document", "entity")
SET_CONTEXT = "SELECT cogdb.set_context(%s::text, NULL)"


def prepare(url: str) -> str:
    from cogdb import AdminClient
    from cogdb.ops.migrate import migrate

    migrate(url, "head")
    with AdminClient(url) as admin:
        admin.register_model(MODEL, DIMS, description="retention benchmark")
        admin.ensure_app_login(APP_LOGIN)
        admin.secure_database()
    return url.replace("postgresql://postgres@", f"postgresql://{APP_LOGIN}@", 1)


def load(app_url: str, admin_url: str, rows: int, rng: np.random.Generator) -> str:
    from cogdb import AdminClient

    with AdminClient(admin_url) as admin:
        tenant = str(admin.create_tenant(f"retention bench {uuid.uuid4().hex[:8]}",
                                         default_model=MODEL).id)
    now = datetime.now(UTC)
    with psycopg.connect(app_url) as conn:
        register_vector(conn)
        for start in range(0, rows, 1000):
            n = min(1000, rows - start)
            vecs = rng.standard_normal((n, DIMS)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            objs = [{"id": f"m{start + i}", "human_content": f"memory {start + i}",
                     "context_type": TYPES[(start + i) % len(TYPES)],
                     "created_at": (now - timedelta(days=60) * ((start + i) / rows)).isoformat()}
                    for i in range(n)]
            with conn.transaction():
                conn.execute(SET_CONTEXT, (tenant,))
                conn.execute("SELECT count(*) FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                             (json.dumps(objs), list(vecs)))
    return tenant


def timed(conn: psycopg.Connection, tenant: str, query: str, params_of, n: int) -> list[float]:
    out = []
    for i in range(n):
        with conn.transaction():
            conn.execute(SET_CONTEXT, (tenant,))
            t0 = time.perf_counter()
            conn.execute(query, params_of(i)).fetchall()
            out.append((time.perf_counter() - t0) * 1000)
    return out


def reads(app_url: str, tenant: str, queries: int, rng: np.random.Generator) -> dict:
    qv = rng.standard_normal((queries, DIMS)).astype(np.float32)
    qv /= np.linalg.norm(qv, axis=1, keepdims=True)
    shapes = {
        "search": ("SELECT id, plan FROM cogdb.search(%s::vector, 10)", lambda i: (qv[i],)),
        "count": ("SELECT count(*) FROM cogdb.memories WHERE tenant_id = %s::uuid",
                  lambda i: (tenant,)),
        "get": ("SELECT id FROM cogdb.get(%s::text)", lambda i: (f"m{i * 7 % 1000}",)),
    }
    with psycopg.connect(app_url) as conn:
        register_vector(conn)
        with conn.transaction():
            conn.execute(SET_CONTEXT, (tenant,))
            plan = conn.execute(shapes["search"][0], (qv[0],)).fetchone()[1]
        return {"plan": plan,
                **{name: timed(conn, tenant, q, p, queries) for name, (q, p) in shapes.items()}}


POLICY_FILE = Path(__file__).resolve().parents[1] / "sql" / "policies" / "memories__retained.sql"


def set_policy(admin_url: str, tenant: str, kind: str) -> None:
    """before: memories__retained dropped (reads as before this revision); no_policy: the
    policy on, the tenant without a retention policy; policy: 365 days and an exception."""
    from cogdb import AdminClient

    with psycopg.connect(admin_url, autocommit=True) as conn:
        if kind == "before":
            conn.execute("DROP POLICY IF EXISTS memories__retained ON cogdb.memories")
        else:
            conn.execute(POLICY_FILE.read_text(encoding="utf-8"))
    with AdminClient(admin_url) as admin:
        admin.drop_retention(tenant)
        admin.drop_retention(tenant, context_type="note")
        admin.drop_retention(tenant, context_type="fact", source="api")
        if kind == "policy":
            admin.set_retention(tenant, max_age="365 days")
            admin.set_retention(tenant, context_type="note")  # an exception: kept
        elif kind == "policy_30d":
            admin.set_retention(tenant, max_age="30 days")
            admin.set_retention(tenant, context_type="note")
            admin.set_retention(tenant, context_type="fact", source="api", max_age="45 days")


def compare(app_url: str, admin_url: str, tenant: str, args, rng) -> dict:
    runs: dict[str, list[dict]] = {"before": [], "no_policy": [], "policy": [],
                                   "policy_30d": []}
    for _ in range(args.rounds):
        for kind in runs:  # alternating, so each sees the same machine
            set_policy(admin_url, tenant, kind)
            runs[kind].append(reads(app_url, tenant, args.queries, rng))
    set_policy(admin_url, tenant, "no_policy")
    out = {"plan": runs["policy"][0]["plan"]}
    for shape in ("search", "count", "get"):
        med = {k: statistics.median(x for r in runs[k] for x in r[shape]) for k in runs}
        out[shape] = {"before_ms": round(med["before"], 3),
                      "no_policy_ms": round(med["no_policy"], 3),
                      "policy_ms": round(med["policy"], 3),
                      "policy_30d_ms": round(med["policy_30d"], 3),
                      "no_policy_vs_before": round(med["no_policy"] / med["before"], 3),
                      "policy_vs_no_policy": round(med["policy"] / med["no_policy"], 3),
                      "policy_30d_vs_no_policy": round(med["policy_30d"] / med["no_policy"], 3)}
    return out


def purge_rate(app_url: str, admin_url: str, rows: int, action: str, rng) -> dict:
    from cogdb import AdminClient

    tenant = load(app_url, admin_url, rows, rng)
    with AdminClient(admin_url) as admin:
        admin.set_retention(tenant, max_age="30 days", action=action)
        t0 = time.perf_counter()
        done = admin.purge(tenant, batch=1000)[0]
        seconds = time.perf_counter() - t0
    changed = done.deleted + done.anonymised
    return {"action": action, "changed": changed, "batches": done.batches,
            "seconds": round(seconds, 2), "per_second": round(changed / seconds)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench retention", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--queries", type=int, default=200, help="per shape, round and setting")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--home", help="bench server folder (default bench/out/home-retention)")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(7)
    OUT.mkdir(parents=True, exist_ok=True)
    admin_url = start_server(Path(args.home) if args.home else OUT / "home-retention", print)
    app_url = prepare(admin_url)
    tenant = load(app_url, admin_url, args.rows, rng)
    result: dict = {"rows": args.rows, "queries": args.queries, "rounds": args.rounds,
                    "machine": platform.platform()}
    result["before_maintain"] = compare(app_url, admin_url, tenant, args, rng)
    print("before maintain:", json.dumps(result["before_maintain"]), flush=True)
    from cogdb.ops import maintain

    maintain.run(admin_url, echo=lambda line: None)
    result["after_maintain"] = compare(app_url, admin_url, tenant, args, rng)
    print("after maintain: ", json.dumps(result["after_maintain"]), flush=True)
    result["purge"] = [purge_rate(app_url, admin_url, args.rows, a, rng)
                       for a in ("delete", "anonymise")]
    for p in result["purge"]:
        print("purge:", json.dumps(p), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"results: {RESULTS}")
