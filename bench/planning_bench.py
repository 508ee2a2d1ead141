"""What planning the policies costs every statement, before and after revision 0029.

    python -m bench planning                       # 20k rows, 30 tenants: ~3 min
    python -m bench planning --rows 100k --tenants 200 --rounds 7

Every statement under row-level security plans its table's policies, and the planner inlined
every SQL helper they call. Revision 0029 keeps the helpers a policy reads only as an InitPlan
(readable_tenants, retention_cutoffs, retention_horizon) out of line, so their queries are
no longer planned into every statement, and gives the helpers that stay inlined
(current_tenant_id, current_user_id, context_stamp, grant_covers, …) standard-SQL bodies,
parsed once at CREATE. This benchmark loads the search benchmark's corpus through the client
(bench/search_bench.py), then measures, with revision 0029's definitions swapped out
("before") and in ("after", bench/revision_swap.py) in alternating rounds on fresh
connections:

1. planning time of the plain search query under RLS for a small tenant, as the app login,
   and of a plain get by id (``EXPLAIN (ANALYZE, SUMMARY)``: the minimum and the median of
   the calls; the minimum is what a call costs when no other process takes the core);
2. the server's CPU per search (``SELECT * FROM cogdb.search(…)`` in its own transaction with
   set_context, the backend's utime + stime from /proc, so it holds on a loaded machine
   better than wall time);
3. the per-call overhead table of the search benchmark (plain query, cogdb.search by hand,
   scope.search, a whole scope) for that tenant;
4. QPS with 1 and 8 clients through the Python client, all size classes mixed.

Medians over rounds; ratios after / before from the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql

from . import corpus, revision_swap
from . import search_bench as sb

REVISION = "0029"
GET = "SELECT * FROM cogdb.memories m WHERE m.tenant_id = %s::uuid AND m.id = %s"  # a get by id


def backend_cpu(conn: psycopg.Connection) -> float:
    """Seconds of CPU the connection's backend has used (utime + stime)."""
    fields = Path(f"/proc/{conn.info.backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def planning_ms(app_url: str, tenant: str, queries: list[np.ndarray], memory_id: str,
                calls: int) -> dict[str, float]:
    """Planning time of the plain search query and of a get, as the app login: the minimum
    and the median over the calls."""
    out: dict[str, list[float]] = {"search": [], "get": []}
    with psycopg.connect(app_url, autocommit=True) as conn:
        register_vector(conn)
        conn.execute("BEGIN")
        conn.execute("SELECT cogdb.set_context(%s, NULL)", (tenant,))
        for i in range(calls):
            plan = conn.execute("EXPLAIN (ANALYZE, SUMMARY, TIMING OFF, FORMAT JSON) "
                                + sb.PLAIN_RLS, (queries[i % len(queries)], tenant, sb.MODEL)
                                ).fetchone()[0][0]
            out["search"].append(plan["Planning Time"])
            plan = conn.execute("EXPLAIN (ANALYZE, SUMMARY, TIMING OFF, FORMAT JSON) " + GET,
                                (tenant, memory_id)).fetchone()[0][0]
            out["get"].append(plan["Planning Time"])
        conn.execute("COMMIT")
    return {**{f"{k}_min": min(v) for k, v in out.items()},
            **{f"{k}_median": statistics.median(v) for k, v in out.items()}}


def server_cpu_per_search(app_url: str, tenant: str, queries: list[np.ndarray],
                          calls: int) -> float:
    """ms of backend CPU per search, each in its own transaction with set_context."""
    with psycopg.connect(app_url, autocommit=True, prepare_threshold=1 << 30) as conn:
        register_vector(conn)
        begin = sql.SQL("BEGIN; SELECT cogdb.set_context({}, NULL)").format(
            sql.Literal(tenant)).as_string(conn)
        search = ("SELECT * FROM cogdb.search(query => %b::vector, k => 10,"
                  " model => %s::text)")

        def one(q: np.ndarray) -> None:
            conn.execute(begin, prepare=False)
            conn.execute(search, (q, sb.MODEL), prepare=True).fetchall()
            conn.execute("COMMIT", prepare=False)
        for q in queries[:20]:
            one(q)
        start = backend_cpu(conn)
        for i in range(calls):
            one(queries[i % len(queries)])
        return (backend_cpu(conn) - start) / calls * 1000


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench planning", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default="20k")
    ap.add_argument("--tenants", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=5, help="rounds per state, alternated")
    ap.add_argument("--calls", type=int, default=300, help="calls per measurement per round")
    ap.add_argument("--qps-seconds", type=float, default=5)
    ap.add_argument("--home", help="bench server folder (default bench/out/home-planning-<rows>)")
    args = ap.parse_args(argv)
    rows = sb.parse_rows(args.rows)
    home = Path(args.home) if args.home else sb.OUT / f"home-planning-{args.rows.lower()}"

    def echo(line: str) -> None:
        print(line, flush=True)

    data = corpus.build(rows, args.tenants, queries_per_tenant=5)
    url = sb.start_server(home, echo)
    private_heavy = int(next((i for i, n in enumerate(data.sizes)
                              if i > 0 and 1000 <= n < 20_000), 1))
    meta = sb.provision(url, data, private_heavy)
    present = sb.loaded_rows(url)
    if present == 0:
        seconds = sb.load_client(url, data, meta, echo)
        echo(f"loaded {rows:,} memories in {seconds:.0f} s through remember_many")
    elif present != len(meta["ids"]):
        raise SystemExit(f"{present} memories in the bench database, expected 0 or "
                         f"{len(meta['ids'])}: remove {home} and run again")
    from cogdb.ops import maintain

    maintain.run(url, echo=lambda *_: None)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) cogdb.memories")
    import cogdb

    app_url = sb.login_url(url, sb.APP_LOGIN)
    jobs, rows_of = sb.build_jobs(data, meta, private_heavy, 50)
    small = min((t for t, n in enumerate(data.sizes) if n >= 100 and t != private_heavy),
                key=lambda t: data.sizes[t])
    tenant = str(meta["tenants"][small])
    queries = [j["q"] for j in jobs if j["tenant"] == small]
    memory_id = meta["ids"][rows_of[small][0]]
    mix = [j for j in jobs if j["class"] != "private-heavy" and not j["extra"]]
    echo(f"tenant #{small} ({data.sizes[small]} rows); {args.rounds} rounds per state; "
         f"load average {os.getloadavg()[0]:.1f}")

    states = ("before", "after")
    per: dict[str, dict[str, list[float]]] = {s: {} for s in states}
    try:
        for rnd in range(args.rounds):
            for state in (states if rnd % 2 == 0 else states[::-1]):
                revision_swap.apply(url, REVISION,
                                    "downgrade" if state == "before" else "upgrade")
                got: dict[str, float] = {}
                plan = planning_ms(app_url, tenant, queries, memory_id, args.calls)
                got.update({f"planning_{k}_ms": v for k, v in plan.items()})
                got["server_cpu_per_search_ms"] = server_cpu_per_search(
                    app_url, tenant, queries, args.calls)
                client = cogdb.connect(app_url, pool_size=8)
                try:
                    over = sb.overhead(url, client, tenant, queries, args.calls, 1)["p50_ms"]
                    got.update({f"{k}_ms": v for k, v in over.items()})
                    sb.qps(client, meta, mix, 1, 1)  # warm every tenant's statements
                    for c in (1, 8):
                        got[f"qps_{c}"] = sb.qps(client, meta, mix, c, args.qps_seconds)
                finally:
                    client.close()
                for k, v in got.items():
                    per[state].setdefault(k, []).append(v)
                echo(f"round {rnd + 1} {state:6s} " + "  ".join(
                    f"{k} {v:.3f}" if v < 100 else f"{k} {v:.0f}" for k, v in got.items()))
    finally:
        revision_swap.apply(url, REVISION, "upgrade")
    med = {s: {k: statistics.median(v) for k, v in per[s].items()} for s in states}
    echo("")
    echo(f"medians of {args.rounds} rounds (load average now {os.getloadavg()[0]:.1f}):")
    echo(f"{'measure':32s} {'before':>10s} {'after':>10s} {'after/before':>13s}")
    for k in med["before"]:
        b, a = med["before"][k], med["after"][k]
        echo(f"{k:32s} {b:10.3f} {a:10.3f} {a / b:12.2f}x")
    out = sb.OUT / f"planning-{args.rows.lower()}.json"
    out.write_text(json.dumps({"rows": rows, "tenants": args.tenants, "rounds": per,
                               "medians": med, "tenant_rows": int(data.sizes[small]),
                               "finished": time.ctime(), "load_avg_end": os.getloadavg()},
                              indent=1))
    echo(f"JSON: {out}")


if __name__ == "__main__":
    main()
