"""What the planner's statistics on ``tenant_id`` show, and what removing them costs.

    python -m bench stats                # 300 Zipf tenants (~16k memories): about 2 minutes

As the app login with no context, ``EXPLAIN SELECT 1 FROM cogdb.memories WHERE tenant_id =
'<t>'`` estimates a tenant's row count from the column's statistics (most common values), so
any login can rank other tenants by size. The fix (revision 0011) is ``SET STATISTICS 0`` on
``tenant_id`` and clearing what ANALYZE had gathered. This bench loads one embedded server,
then measures both configurations in the same run, on the same data:

- the leak: the estimate for the largest, a middle and the smallest tenant, and a random uuid;
- the plan cost: p50 latency through the Python client (one scope per call) of search (exact
  path), list_memories (first page) and get, for the largest, a middle and the smallest
  tenant (the two setups alternate in rounds), and whether the plan of search's exact
  statement changes.

Writes bench/out/stats.json.
"""
from __future__ import annotations

import argparse
import json
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
EXPLAIN = "EXPLAIN SELECT 1 FROM cogdb.memories WHERE tenant_id = %s::uuid"
EXACT = ("EXPLAIN SELECT m.id, m.embedding OPERATOR(public.<=>) %s::vector AS d"
         " FROM cogdb.memories m WHERE m.tenant_id = {t} AND m.model = '{m}'"
         " AND (m.expires_at IS NULL OR m.expires_at > now()) ORDER BY d, m.id LIMIT 10")


def set_tenant_statistics(url: str, target: int) -> None:
    """``target`` -1 (the default) gathers them; 0 drops them, as revision 0011 does."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE cogdb.memories ALTER COLUMN tenant_id SET STATISTICS {target}")
        if target == 0:
            for rel in ("memories", "memories_default"):
                for inherited in (True, False):
                    conn.execute("SELECT pg_clear_attribute_stats('cogdb', %s, 'tenant_id', %s)",
                                 (rel, inherited))
        conn.execute("ANALYZE cogdb.memories")
        conn.execute("ANALYZE cogdb.memories_default")


def estimates(app_url: str, probes: dict[str, str]) -> dict[str, int]:
    out = {}
    with psycopg.connect(app_url, autocommit=True) as conn:
        for name, tenant in probes.items():
            plan = "\n".join(r[0] for r in conn.execute(EXPLAIN, (tenant,)))
            out[name] = int(re.search(r"rows=(\d+)", plan).group(1))
    return out


def latencies(client, probes: dict[str, str], q: np.ndarray, ids: dict[str, str],
              runs: int, samples: dict | None) -> None:
    """Times ``runs`` calls of each operation per tenant into ``samples`` (ms lists)."""
    for name, tenant in probes.items():
        for op in ("search", "list", "get"):
            for _ in range(runs):
                t0 = time.perf_counter()
                with client.scope(tenant) as s:
                    if op == "search":
                        s.search(q, 10)
                    elif op == "list":
                        s.list_memories(20)
                    else:
                        s.get(ids[name])
                if samples is not None:
                    samples.setdefault(f"{op}_{name}_p50_ms", []).append(
                        (time.perf_counter() - t0) * 1000)


def exact_plans(app_url: str, probes: dict[str, str], q: np.ndarray) -> dict[str, str]:
    out = {}
    with psycopg.connect(app_url, autocommit=True) as conn:
        register_vector(conn)
        for name, tenant in probes.items():
            with conn.transaction():
                conn.execute("SELECT cogdb.set_context(%s, NULL)", (tenant,))
                plan = [r[0] for r in conn.execute(
                    EXACT.format(t=f"'{tenant}'::uuid", m=MODEL), (q,))]
            out[name] = " / ".join(re.sub(r"\s+\(cost=.*", "", line).strip() for line in plan
                                   if "->" in line or line is plan[0])
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench stats", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tenants", type=int, default=300)
    ap.add_argument("--largest", type=int, default=2400, help="rows of the largest tenant")
    ap.add_argument("--runs", type=int, default=200, help="calls per operation and tenant")
    ap.add_argument("--rounds", type=int, default=10, help="alternations of the two setups")
    ap.add_argument("--home", help="bench server folder (default bench/out/home-stats)")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    home = Path(args.home) if args.home else OUT / "home-stats"

    def echo(line: str) -> None:
        print(line, flush=True)

    import cogdb
    from cogdb import AdminClient
    from cogdb.ops.migrate import migrate

    url = start_server(home, echo)
    migrate(url, "head")
    sizes = [max(5, int(args.largest / (rank + 1))) for rank in range(args.tenants)]
    with AdminClient(url) as admin:
        admin.ensure_app_login(APP_LOGIN)
        admin.register_model(MODEL, 384)
        with psycopg.connect(url, autocommit=True) as conn:
            if conn.execute("SELECT count(*) FROM cogdb.memories").fetchone()[0]:
                raise SystemExit(f"{home} holds data from an earlier run: remove it first")
        tenants = [str(admin.create_tenant(f"stats {i}").id) for i in range(args.tenants)]
    app = login_url(url, APP_LOGIN)
    client = cogdb.connect(app, pool_size=2)
    vecs, _ = corpus.vectors(sum(sizes), seed=3)
    at, first_ids = 0, {}
    t0 = time.perf_counter()
    for t, n in zip(tenants, sizes, strict=True):
        with client.scope(t) as s:
            first_ids[t] = s.remember_many([{"human": f"r{j}"} for j in range(n)],
                                           vecs[at:at + n])[0]
        at += n
    echo(f"loaded {sum(sizes)} memories into {len(tenants)} tenants in "
         f"{time.perf_counter() - t0:.0f} s (largest {sizes[0]}, smallest {sizes[-1]})")
    middle = len(tenants) // 10
    probes = {"largest": tenants[0], "middle": tenants[middle], "smallest": tenants[-1]}
    truth = {"largest": sizes[0], "middle": sizes[middle], "smallest": sizes[-1],
             "random_uuid": 0}
    ids = {name: first_ids[t] for name, t in probes.items()}
    q = vecs[0]
    report: dict = {"tenants": len(tenants), "memories": sum(sizes), "true_rows": truth,
                    "runs": args.runs, "rounds": args.rounds, "started": time.ctime()}
    # The two configurations alternate in rounds (re-ANALYZEd each time), so that drift in the
    # machine's load falls on both alike; medians over all rounds.
    configs = (("with_statistics", -1), ("statistics_0", 0))
    samples: dict = {label: {} for label, _ in configs}
    for rnd in range(args.rounds):
        for label, target in configs if rnd % 2 == 0 else configs[::-1]:
            set_tenant_statistics(url, target)
            latencies(client, probes, q, ids, 3, samples=None)  # warm
            latencies(client, probes, q, ids, max(1, args.runs // args.rounds),
                      samples=samples[label])
            if rnd == 0:
                report[label] = {
                    "estimates": estimates(app, {**probes, "random_uuid": str(uuid.uuid4())}),
                    "plans": exact_plans(app, probes, q)}
    for label, _ in configs:
        report[label]["latency"] = {k: round(statistics.median(v), 3)
                                    for k, v in samples[label].items()}
        echo(f"{label}: estimates {report[label]['estimates']}")
        echo(f"  latency p50 {report[label]['latency']}")
    before, after = report["with_statistics"]["latency"], report["statistics_0"]["latency"]
    report["ratio_statistics_0_vs_with"] = {k: round(after[k] / before[k], 2) for k in before}
    report["plans_changed"] = {k: (report["with_statistics"]["plans"][k],
                                   report["statistics_0"]["plans"][k])
                               for k in probes
                               if report["with_statistics"]["plans"][k]
                               != report["statistics_0"]["plans"][k]}
    echo(f"ratios (statistics 0 / with): {report['ratio_statistics_0_vs_with']}")
    echo(f"plans changed: {report['plans_changed'] or 'none'}")
    client.close()
    report["server"] = server_report(url)
    (OUT / "stats.json").write_text(json.dumps(report, indent=2, default=str))
    echo(f"wrote {OUT / 'stats.json'}")


if __name__ == "__main__":
    main()
