"""What a federated aggregate costs against the same aggregate over one tenant's own rows.

    python -m bench federated [--tenants 5,20,50] [--rows 500] [--queries 20] [--rounds 3]

On its own embedded server (bench/out/home-federated), for each number of tenants N: N
federated tenants with ``--rows`` memories each (384-d, five tags drawn per memory from 20,
technical_depth 0-10), all in one session. Timed as an app login, medians of ``--queries``
calls per round, alternating in ``--rounds`` rounds:

- **baseline**: one tenant holding N x rows memories (the same rows in one tenant) counts
  them by tag in its own context with plain SQL (``jsonb_array_elements_text`` over the
  fenced memories, GROUP BY): the work without the federation;
- **counts**: ``cogdb.federated_counts(session, 'tag')`` (exact, k threshold), which enters
  each of the N tenants in turn;
- **noisy**: the same with epsilon 0.001 (clipping, noise, and the budget charge: N locked
  row updates, audited), budgets set high enough not to run out;
- **average**: ``cogdb.federated_average(session, 'technical_depth')``.

Prints the medians and the ratios against the baseline. Results: bench/results/federated.json.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
import uuid
from pathlib import Path

import numpy as np
import psycopg
from pgvector.psycopg import register_vector

from .import_bench import OUT, start_server

APP_LOGIN = "cogdb_bench_federated_app"
MODEL, DIMS = "bench-federated-384", 384
RESULTS = Path(__file__).resolve().parent / "results" / "federated.json"
SET_CONTEXT = "SELECT cogdb.set_context(%s::text, NULL)"
BASELINE = ("SELECT t.tag, count(*) FROM cogdb.memories m,"
            " jsonb_array_elements_text(m.tags) t(tag)"
            " WHERE m.tenant_id = %s::uuid AND m.visibility = 'tenant' GROUP BY t.tag")


def prepare(url: str) -> str:
    from cogdb import AdminClient
    from cogdb.ops.migrate import migrate

    migrate(url, "head")
    with AdminClient(url) as admin:
        admin.register_model(MODEL, DIMS, description="federated benchmark")
        admin.ensure_app_login(APP_LOGIN)
        admin.secure_database()
    return url.replace("postgresql://postgres@", f"postgresql://{APP_LOGIN}@", 1)


def fill(conn: psycopg.Connection, tenant: str, rows: int, rng: np.random.Generator) -> None:
    for start in range(0, rows, 1000):
        n = min(1000, rows - start)
        vecs = rng.standard_normal((n, DIMS)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        objs = [{"human_content": f"memory {start + i}",
                 "tags": [f"t{x}" for x in rng.choice(20, 5, replace=False)],
                 "technical_depth": int(rng.integers(0, 11))} for i in range(n)]
        with conn.transaction():
            conn.execute(SET_CONTEXT, (tenant,))
            conn.execute("SELECT count(*) FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                         (json.dumps(objs), list(vecs)))


def setup(app_url: str, admin_url: str, n: int, rows: int, rng) -> tuple[list[str], str, str]:
    from cogdb import AdminClient

    tag = uuid.uuid4().hex[:6]
    with AdminClient(admin_url) as admin:
        fed = [str(admin.create_tenant(f"fed {tag} {i}", isolation_level="federated",
                                       default_model=MODEL).id) for i in range(n)]
        alone = str(admin.create_tenant(f"alone {tag}", default_model=MODEL).id)
    with psycopg.connect(app_url) as conn:
        register_vector(conn)
        for t in fed:
            fill(conn, t, rows, rng)
        fill(conn, alone, rows * n, rng)
        with conn.transaction():
            conn.execute(SET_CONTEXT, (fed[0],))
            session = str(conn.execute("SELECT cogdb.open_federated_session('bench')"
                                       ).fetchone()[0])
        for t in fed[1:]:
            with conn.transaction():
                conn.execute(SET_CONTEXT, (t,))
                conn.execute("SELECT FROM cogdb.join_federated_session(%s::text)", (session,))
    with AdminClient(admin_url) as admin:
        for t in fed:
            admin.set_privacy_budget(t, 1000)
    return fed, alone, session


def timed(conn, tenant: str, query: str, params, n: int) -> list[float]:
    out = []
    for _ in range(n):
        with conn.transaction():
            conn.execute(SET_CONTEXT, (tenant,))
            t0 = time.perf_counter()
            conn.execute(query, params).fetchall()
            out.append((time.perf_counter() - t0) * 1000)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench federated", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tenants", default="5,20,50")
    ap.add_argument("--rows", type=int, default=500, help="memories per federated tenant")
    ap.add_argument("--queries", type=int, default=20, help="per shape and round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--home", help="bench server folder (default bench/out/home-federated)")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(11)
    OUT.mkdir(parents=True, exist_ok=True)
    admin_url = start_server(Path(args.home) if args.home else OUT / "home-federated", print)
    app_url = prepare(admin_url)
    result: dict = {"rows_per_tenant": args.rows, "queries": args.queries,
                    "rounds": args.rounds, "machine": platform.platform(), "runs": []}
    for n in (int(x) for x in args.tenants.split(",")):
        fed, alone, session = setup(app_url, admin_url, n, args.rows, rng)
        shapes = {
            "baseline": (alone, BASELINE, (alone,)),
            "counts": (fed[0], "SELECT * FROM cogdb.federated_counts(%s::text, 'tag')",
                       (session,)),
            "noisy": (fed[0], "SELECT * FROM cogdb.federated_counts(%s::text, 'tag', 0.001)",
                      (session,)),
            "average": (fed[0], "SELECT * FROM cogdb.federated_average(%s::text,"
                                " 'technical_depth')", (session,)),
        }
        times: dict[str, list[float]] = {k: [] for k in shapes}
        with psycopg.connect(app_url) as conn:
            for _ in range(args.rounds):
                for name, (tenant, query, params) in shapes.items():
                    times[name] += timed(conn, tenant, query, params, args.queries)
        med = {k: statistics.median(v) for k, v in times.items()}
        run = {"tenants": n, "rows": n * args.rows,
               **{f"{k}_ms": round(v, 2) for k, v in med.items()},
               **{f"{k}_vs_baseline": round(med[k] / med["baseline"], 2)
                  for k in ("counts", "noisy", "average")}}
        result["runs"].append(run)
        print(json.dumps(run), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"results: {RESULTS}")
