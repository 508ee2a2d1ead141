"""Load with a checker on every response: nothing leaks, no pooled connection comes dirty.

    python -m bench soak                         # 150 s, 300 tenants: about 3 minutes
    python -m bench soak --seconds 600 --tenants 1000

On an embedded server of its own (``--home``, default bench/out/home-soak). Tenants have Zipf
sizes (the i-th has ~1/i of the largest) and two users each; every memory id carries its
tenant's marker and, for a private memory, its owner's (``t<tenant>-p<user>-…``; tenant ones
``t<tenant>-s-…``), so the checker needs no extra query. search.ann_min_rows is lowered so that
``cogdb maintain`` (run every ``--maintain-every`` seconds, in its own thread) promotes tenants
into their own partitions while they are searched.

Eight threads share one pooled client (``--pool-size 8``); a ninth sends raw SQL on its own
psycopg connection (BEGIN; set_context; SELECT …; COMMIT). Each picks a tenant (Zipf) and a
user, and an operation: remember, remember_many (a batch of 20, the import path's shape),
search, get, list, forget. The checker rejects any returned id without the caller's tenant
marker, and any private id of another user. One operation in ten first borrows a connection
straight from the pool and reads its context settings: a connection handed out with a context
is counted as dirty. At the end the superuser counts rows whose id marker names another
tenant (leaked rows). Reports ops/s, p50/p99 per operation, errors by SQLSTATE, leaks, dirty
connections; writes bench/out/soak.json.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import psycopg

from .search_bench import APP_LOGIN, OUT, login_url, server_report, start_server

DIMS = 384


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter = Counter()
        self.violations: list[str] = []
        self.dirty = 0
        self.checked_connections = 0

    def record(self, op: str, ms: float) -> None:
        with self.lock:
            self.latency[op].append(ms)

    def violation(self, text: str) -> None:
        with self.lock:
            self.violations.append(text)


def check_ids(stats: Stats, op: str, ids, tenant_ix: int, user_ix: int) -> None:
    for memory_id in ids:
        parts = memory_id.split("-")
        if parts[0] != f"t{tenant_ix}":
            stats.violation(f"{op}: tenant {tenant_ix} got {memory_id}")
        elif parts[1].startswith("p") and parts[1] != f"p{user_ix}":
            stats.violation(f"{op}: user {user_ix} of tenant {tenant_ix} got {memory_id}")


class World:
    def __init__(self, tenants: list[str], users: list[list[str]], rng_seed: int) -> None:
        self.tenants, self.users = tenants, users
        weights = 1 / np.arange(1, len(tenants) + 1)
        self.p = weights / weights.sum()
        self.seq = Counter()
        self.lock = threading.Lock()
        self.known: dict[int, list[str]] = defaultdict(list)
        self.rng_seed = rng_seed

    def next_ids(self, tenant_ix: int, user_ix: int, private: bool, n: int) -> list[str]:
        with self.lock:
            start = self.seq[tenant_ix]
            self.seq[tenant_ix] += n
        kind = f"p{user_ix}" if private else "s"
        return [f"t{tenant_ix}-{kind}-{start + i}" for i in range(n)]

    def remember_known(self, tenant_ix: int, ids: list[str]) -> None:
        with self.lock:
            self.known[tenant_ix].extend(ids[:3])

    def some_known(self, tenant_ix: int, rng: random.Random) -> str | None:
        with self.lock:
            ids = self.known[tenant_ix]
            return rng.choice(ids) if ids else None


def vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, DIMS)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


OPS = [("remember", 25), ("remember_many", 8), ("search", 35), ("get", 12), ("list", 12),
       ("forget", 8)]


def pool_worker(client, world: World, stats: Stats, stop: threading.Event, seed: int) -> None:
    import cogdb

    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    names, weights = zip(*OPS, strict=True)
    while not stop.is_set():
        t_ix = int(nrng.choice(len(world.tenants), p=world.p))
        u_ix = rng.randrange(2)
        tenant, user = world.tenants[t_ix], world.users[t_ix][u_ix]
        op = rng.choices(names, weights)[0]
        if rng.random() < 0.1:  # a connection straight from the pool: does it carry a context?
            with client.pool.connection() as conn:
                row = conn.execute("SELECT coalesce(current_setting('app.tenant_id', true), ''),"
                                   " coalesce(current_setting('app.user_id', true), '')"
                                   ).fetchone()
                conn.rollback()
            with stats.lock:
                stats.checked_connections += 1
                stats.dirty += row != ("", "")
        t0 = time.perf_counter()
        try:
            with client.scope(tenant, user) as s:
                if op == "remember":
                    private = rng.random() < 0.3
                    ids = world.next_ids(t_ix, u_ix, private, 1)
                    s.remember(f"soak {ids[0]}", "", vectors(nrng, 1)[0], id=ids[0],
                               private=private)
                    world.remember_known(t_ix, ids)
                elif op == "remember_many":
                    private = rng.random() < 0.3
                    ids = world.next_ids(t_ix, u_ix, private, 20)
                    got = s.remember_many(
                        [{"id": i, "human": f"soak {i}",
                          "visibility": "private" if private else "tenant"} for i in ids],
                        vectors(nrng, 20))
                    check_ids(stats, op, got, t_ix, u_ix)
                    world.remember_known(t_ix, ids)
                elif op == "search":
                    check_ids(stats, op, [h.id for h in s.search(vectors(nrng, 1)[0], 10)],
                              t_ix, u_ix)
                elif op == "get":
                    memory_id = world.some_known(t_ix, rng) or f"t{t_ix}-s-0"
                    m = s.get(memory_id)
                    if m is not None:
                        check_ids(stats, op, [m.id], t_ix, u_ix)
                elif op == "list":
                    check_ids(stats, op, [m.id for m in s.list_memories(20)], t_ix, u_ix)
                else:
                    memory_id = world.some_known(t_ix, rng)
                    if memory_id:
                        s.forget(memory_id)
            stats.record(op, (time.perf_counter() - t0) * 1000)
        except cogdb.CogdbError as exc:
            with stats.lock:
                stats.errors[f"{op}:{exc.sqlstate or type(exc).__name__}"] += 1


def raw_worker(url: str, world: World, stats: Stats, stop: threading.Event, seed: int) -> None:
    """psql-style: plain SQL on one connection, the context set first in each transaction."""
    rng = np.random.default_rng(seed)
    with psycopg.connect(url, autocommit=True) as conn:
        while not stop.is_set():
            t_ix = int(rng.choice(len(world.tenants), p=world.p))
            u_ix = int(rng.integers(2))
            t0 = time.perf_counter()
            try:
                with conn.transaction():
                    conn.execute("SELECT cogdb.set_context(%s, %s)",
                                 (world.tenants[t_ix], world.users[t_ix][u_ix]))
                    ids = [r[0] for r in conn.execute(
                        "SELECT id FROM cogdb.memories WHERE tenant_id = %s::uuid"
                        " ORDER BY created_at DESC LIMIT 20", (world.tenants[t_ix],))]
                    # and the fence alone, with no tenant named: still only this tenant
                    ids += [r[0] for r in conn.execute(
                        "SELECT id FROM cogdb.memories WHERE id = ANY(%s)",
                        ([f"t{(t_ix + 1) % len(world.tenants)}-s-0", f"t{t_ix}-s-0"],))]
                check_ids(stats, "raw_sql", ids, t_ix, u_ix)
                stats.record("raw_sql", (time.perf_counter() - t0) * 1000)
            except psycopg.Error as exc:
                with stats.lock:
                    stats.errors[f"raw_sql:{exc.sqlstate}"] += 1


def maintainer(url: str, stats: Stats, stop: threading.Event, every: float) -> None:
    from cogdb.ops import maintain

    while not stop.wait(every):
        t0 = time.perf_counter()
        steps = maintain.run(url, echo=lambda *_: None)
        with stats.lock:
            stats.latency["maintain"].append((time.perf_counter() - t0) * 1000)
            stats.errors.update(f"maintain:{s.action}" for s in steps if s.error)
            stats.latency["_promotions"].extend(1.0 for s in steps if s.action == "promote")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench soak", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=150)
    ap.add_argument("--tenants", type=int, default=300)
    ap.add_argument("--largest", type=int, default=1500, help="seed rows of the largest tenant")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--pool-size", type=int, default=8)
    ap.add_argument("--maintain-every", type=float, default=30)
    ap.add_argument("--home", help="bench server folder (default bench/out/home-soak)")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    home = Path(args.home) if args.home else OUT / "home-soak"

    import cogdb
    from cogdb import AdminClient
    from cogdb.ops.migrate import migrate

    url = start_server(home, print)
    migrate(url, "head")
    with AdminClient(url) as admin:
        admin.ensure_app_login(APP_LOGIN)
        with psycopg.connect(url, autocommit=True) as conn:
            if conn.execute("SELECT count(*) FROM cogdb.memories").fetchone()[0]:
                raise SystemExit(f"{home} holds data from an earlier run: remove it first")
            conn.execute("UPDATE cogdb.settings SET value = '300'"
                         " WHERE key = 'search.ann_min_rows'")
            conn.execute("UPDATE cogdb.settings SET value = '100'"
                         " WHERE key = 'search.exact_max_rows'")
        tenants, users = [], []
        for i in range(args.tenants):
            t = admin.create_tenant(f"soak {i}", mode="enterprise").id
            tenants.append(str(t))
            users.append([str(admin.create_user(t, email=f"u{j}@t{i}.example").id)
                          for j in range(2)])
    world = World(tenants, users, 0)
    app = login_url(url, APP_LOGIN)
    client = cogdb.connect(app, pool_size=args.pool_size)
    nrng = np.random.default_rng(1)
    t0 = time.perf_counter()
    seeded = 0
    for i, t in enumerate(tenants):
        n = max(3, int(args.largest / (i + 1)))
        for start in range(0, n, 500):
            m = min(500, n - start)
            ids = world.next_ids(i, 0, False, m)
            with client.scope(t, users[i][0]) as s:
                s.remember_many([{"id": x, "human": f"seed {x}"} for x in ids],
                                vectors(nrng, m))
            world.remember_known(i, ids)
            seeded += m
    print(f"seeded {seeded} memories into {len(tenants)} tenants in "
          f"{time.perf_counter() - t0:.0f} s", flush=True)

    stats, stop = Stats(), threading.Event()
    threads = [threading.Thread(target=pool_worker, args=(client, world, stats, stop, k),
                                daemon=True) for k in range(args.clients)]
    threads.append(threading.Thread(target=raw_worker, args=(app, world, stats, stop, 99),
                                    daemon=True))
    threads.append(threading.Thread(target=maintainer,
                                    args=(url, stats, stop, args.maintain_every), daemon=True))
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    stop.set()
    for t in threads:
        t.join(timeout=300)
    elapsed = time.perf_counter() - t0
    client.close()

    with psycopg.connect(url) as su:
        leaked = su.execute(
            "SELECT count(*) FROM cogdb.memories m JOIN LATERAL (SELECT t.ix FROM"
            " unnest(%s::uuid[]) WITH ORDINALITY AS t(id, ix) WHERE t.id = m.tenant_id) t ON true"
            " WHERE split_part(m.id, '-', 1) <> 't' || (t.ix - 1)", (tenants,)).fetchone()[0]
        partitions = su.execute("SELECT count(*) FROM pg_inherits WHERE inhparent ="
                                " 'cogdb.memories'::regclass").fetchone()[0] - 1
    ops = {k: v for k, v in stats.latency.items() if not k.startswith("_") and k != "maintain"}
    total_ops = sum(len(v) for v in ops.values())
    report = {
        "seconds": round(elapsed, 1), "tenants": len(tenants), "seeded": seeded,
        "clients": args.clients, "raw_sql_clients": 1, "pool_size": args.pool_size,
        "operations": total_ops, "ops_per_s": round(total_ops / elapsed, 1),
        "per_op": {k: {"count": len(v), "p50_ms": round(statistics.median(v), 2),
                       "p99_ms": round(float(np.percentile(v, 99)), 2)}
                   for k, v in sorted(ops.items())},
        "maintain_runs": len(stats.latency["maintain"]),
        "promotions": len(stats.latency["_promotions"]), "promoted_partitions": partitions,
        "errors": dict(stats.errors.most_common()),
        "checker_violations": len(stats.violations), "violation_examples": stats.violations[:5],
        "leaked_rows": leaked, "pool_connections_checked": stats.checked_connections,
        "dirty_pooled_connections": stats.dirty, "server": server_report(url)}
    print(json.dumps({k: v for k, v in report.items() if k != "server"}, indent=2))
    ok = not stats.violations and leaked == 0 and stats.dirty == 0
    print("PASS: no leak, no dirty connection" if ok else "FAIL: see above")
    (OUT / "soak.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"wrote {OUT / 'soak.json'}")


if __name__ == "__main__":
    main()
