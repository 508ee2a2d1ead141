"""The audit trail's cost: writes and searches with the audit triggers on and off, same run.

    python -m bench audit [--batches 10] [--batch 1000] [--singles 300] [--searches 300]
                          [--writers 4] [--rounds 3]

On its own embedded server (bench/out/home-audit), as an app login, one tenant, 384-d
vectors. "Off" disables the tenant tables' audit triggers (`ALTER TABLE … DISABLE TRIGGER
<table>_audit_*`, as the superuser, for this benchmark only: cogdb has no switch that turns
the audit off); "on" enables them again. Each measurement alternates on and off, ``--rounds``
times; medians are the figures:

- **remember_many**: ``--batches`` batches of ``--batch`` memories (~40 words each), one
  transaction per batch: memories/s. The audit adds one record per batch.
- **remember**: ``--singles`` memories, one transaction each (BEGIN; set_context; remember;
  COMMIT): the fixed cost of one audit record per statement.
- **remember, ``--writers`` writers, one tenant**: the same, concurrently. An audited write
  holds its tenant's chain head until it commits, so one tenant's writers queue there.
- **server CPU per memory** (both remember shapes): the CPU time the writers' backends ran
  (``/proc/<pid>/schedstat``; the server is local), per memory. On a machine whose cores are
  busy with other work the rates mostly measure waiting for a core; the CPU time is what the
  audit adds to the server's work, and off / on is the rate ratio a CPU-bound server gets.
- **search**: ``--searches`` k=10 searches in a second tenant of ``--search-rows`` memories,
  loaded once before the rounds (so the rows searched do not grow with the rounds); reads
  run no audit code.

``--warmup`` rounds of each state run first and are not counted (a fresh server's first
rounds are several times slower: caches, relation extension).

Results: bench/results/audit.json.
"""
from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import psycopg

from .import_bench import OUT, start_server

APP_LOGIN = "cogdb_bench_audit_app"
MODEL, DIMS = "bench-audit-384", 384
RESULTS = Path(__file__).resolve().parent / "results" / "audit.json"
CPU_1 = "remember, 1 writer: server CPU per memory (ms)"
WORDS = ["deploy", "rotate", "logs", "kubernetes", "pod", "restart", "memory", "leak", "cache",
         "index", "query", "plan", "python", "release", "branch", "merge", "review", "test",
         "flaky", "retry", "timeout", "vector", "tenant", "audit"]


def prepare(url: str) -> tuple[str, str, str]:
    from cogdb import AdminClient
    from cogdb.ops.migrate import migrate

    migrate(url, "head")
    with AdminClient(url) as admin:
        admin.register_model(MODEL, DIMS, description="audit benchmark")
        admin.ensure_app_login(APP_LOGIN)
        admin.secure_database()
        tenant = admin.create_tenant(f"audit bench {uuid.uuid4().hex[:8]}",
                                     default_model=MODEL).id
        user = admin.create_user(tenant, email=f"bench-{uuid.uuid4().hex[:8]}@audit.bench").id
    app_url = url.replace("postgresql://postgres@", f"postgresql://{APP_LOGIN}@", 1)
    return app_url, str(tenant), str(user)


def set_audit(admin_url: str, on: bool) -> None:
    """Enable or disable every audit trigger (superuser; the benchmark's switch only)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute("SELECT tgrelid::regclass::text, tgname FROM pg_trigger"
                            " WHERE tgname LIKE '%\\_audit\\_%' AND NOT tgisinternal").fetchall()
        for table, trigger in rows:
            conn.execute(f"ALTER TABLE {table} {'ENABLE' if on else 'DISABLE'}"
                         f" TRIGGER {trigger}")


def memories(n: int, rng: random.Random) -> tuple[list[dict], np.ndarray]:
    docs = [{"human_content": " ".join(rng.choices(WORDS, k=20)),
             "assistant_content": " ".join(rng.choices(WORDS, k=20))} for _ in range(n)]
    vectors = np.asarray([[rng.gauss(0, 1) for _ in range(DIMS)] for _ in range(n)],
                         dtype=np.float32)
    return docs, vectors


def bench_many(client, tenant: str, user: str, batches: list) -> float:
    t0 = time.perf_counter()
    rows = 0
    for docs, vectors in batches:
        with client.scope(tenant=tenant, user=user) as s:
            rows += len(s.remember_many(docs, vectors, model=MODEL))
    return rows / (time.perf_counter() - t0)


def backend_cpu_ns(pid: int) -> int:
    """Time a local server backend has run on a CPU (ns, /proc/<pid>/schedstat): what its
    work costs, whatever else the machine's cores are doing meanwhile."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def bench_singles(app_url: str, tenant: str, user: str, singles: list,
                  writers: int) -> tuple[float, float]:
    """Memories/s, and the writers' backends' CPU time per memory (ms)."""
    import cogdb

    parts = [singles[i::writers] for i in range(writers)]
    clients = [cogdb.connect(app_url, pool_size=1) for _ in range(writers)]
    pids = []
    for c in clients:  # pool_size=1: every scope of a client runs on this backend
        with c.pool.connection() as conn:
            pids.append(conn.execute("SELECT pg_backend_pid()").fetchone()[0])
    start = threading.Barrier(writers + 1)

    def run(client, part) -> None:
        start.wait()
        for doc, vector in part:
            with client.scope(tenant=tenant, user=user) as s:
                s.remember(doc["human_content"], doc["assistant_content"], vector, model=MODEL)

    threads = [threading.Thread(target=run, args=(c, p)) for c, p in zip(clients, parts,
                                                                         strict=True)]
    for t in threads:
        t.start()
    cpu0 = sum(backend_cpu_ns(p) for p in pids)
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    cpu = sum(backend_cpu_ns(p) for p in pids) - cpu0
    for c in clients:
        c.close()
    return len(singles) / elapsed, cpu / len(singles) / 1e6


def bench_search(client, tenant: str, user: str, queries: np.ndarray) -> float:
    t0 = time.perf_counter()
    with client.scope(tenant=tenant, user=user) as s:
        for q in queries:
            s.search(q, k=10, model=MODEL)
    return len(queries) / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench audit", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", type=int, default=10)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--singles", type=int, default=300)
    ap.add_argument("--searches", type=int, default=300)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1, help="uncounted rounds of each state")
    ap.add_argument("--search-rows", type=int, default=5000)
    ap.add_argument("--home", help="bench server folder (default bench/out/home-audit)")
    args = ap.parse_args(argv)

    import cogdb

    OUT.mkdir(parents=True, exist_ok=True)
    admin_url = start_server(Path(args.home) if args.home else OUT / "home-audit", print)
    app_url, tenant, user = prepare(admin_url)
    _, search_tenant, search_user = prepare(admin_url)
    rng = random.Random(7)
    client = cogdb.connect(app_url, pool_size=2)
    for _ in range(0, args.search_rows, 1000):
        docs, vectors = memories(1000, rng)
        with client.scope(tenant=search_tenant, user=search_user) as s:
            s.remember_many(docs, vectors, model=MODEL)
    cpu_n = f"remember, {args.writers} writers: server CPU per memory (ms)"
    shapes = {"remember_many (memories/s)": [], "remember, 1 writer (memories/s)": [],
              f"remember, {args.writers} writers, one tenant (memories/s)": [],
              "search k=10 (searches/s)": [],
              CPU_1: [], cpu_n: []}
    results = {name: {"on": [], "off": []} for name in shapes}
    queries = np.asarray([[rng.gauss(0, 1) for _ in range(DIMS)] for _ in range(args.searches)],
                         dtype=np.float32)
    for r in range(-args.warmup, args.rounds):
        for state in (("on", "off") if r % 2 == 0 else ("off", "on")):
            set_audit(admin_url, state == "on")
            batches = [memories(args.batch, rng) for _ in range(args.batches)]
            results["remember_many (memories/s)"][state].append(
                bench_many(client, tenant, user, batches))
            docs, vectors = memories(args.singles, rng)
            singles = list(zip(docs, vectors, strict=True))
            rate, cpu = bench_singles(app_url, tenant, user, singles, 1)
            results["remember, 1 writer (memories/s)"][state].append(rate)
            results[CPU_1][state].append(cpu)
            docs, vectors = memories(args.singles, rng)
            singles = list(zip(docs, vectors, strict=True))
            rate, cpu = bench_singles(app_url, tenant, user, singles, args.writers)
            results[f"remember, {args.writers} writers, one tenant (memories/s)"][state].append(
                rate)
            results[cpu_n][state].append(cpu)
            results["search k=10 (searches/s)"][state].append(
                bench_search(client, search_tenant, search_user, queries))
            print(f"round {r + 1}{' (warm-up)' if r < 0 else ''} audit {state}: " + ", ".join(
                f"{k.split(' (')[0]} {v[state][-1]:,.{3 if 'CPU' in k else 0}f}"
                for k, v in results.items()),
                flush=True)
            if r < 0:
                for v in results.values():
                    v[state].pop()
    set_audit(admin_url, True)
    client.close()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        audit_rows = conn.execute("SELECT count(*) FROM cogdb.audit_records").fetchone()[0]
        chain = conn.execute("SELECT ok, records FROM cogdb.audit_verify(%s)",
                             (tenant,)).fetchone()
    print()
    print("| | audit off | audit on | on / off |")
    print("|---|---:|---:|---:|")
    summary = {}
    for name, v in results.items():
        off, on = statistics.median(v["off"]), statistics.median(v["on"])
        if "CPU" in name:  # a cost: the rate it allows, on / off, is off / on
            summary[name] = {"off": off, "on": on, "ratio": off / on, "runs": v}
            print(f"| {name} | {off:.3f} | {on:.3f} | {off / on:.2f} (rate) |")
            continue
        summary[name] = {"off": off, "on": on, "ratio": on / off, "runs": v}
        print(f"| {name} | {off:,.0f} | {on:,.0f} | {on / off:.2f} |")
    print(f"\naudit records written: {audit_rows:,}; the tenant's chain verifies: {chain}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"args": vars(args), "machine": platform.platform(),
                                   "results": summary, "chain": list(chain)}, indent=2))


if __name__ == "__main__":
    main()
