"""What a GDPR erasure costs against deleting the same user, in the same run.

    python -m bench gdpr [--users 100] [--memories 200] [--rounds 5]

On its own embedded server (bench/out/home-gdpr, stopped at the end), one tenant of
``--users`` users, each with ``--memories`` memories (half private, half tenant-visible),
one session of 20 events (private for even users, tenant-visible for odd ones) and two
working-context entries. Per round, alternating so each sees the same machine, four users
of the same shape go:

- **delete** (the baseline): ``cogdb.delete_user``, what cogdb did before revision 0017
  (private memories, entities and relationships deleted by triggers, the rest ownerless;
  sessions and events left behind);
- **erase**: ``cogdb.erase_user`` with the default policy (shared memories anonymised) of
  a user whose session is private: their own context only, and the ``user_references``
  check at the end;
- **erase_shared**: the same for a user whose session is tenant-visible: the erasure visits
  every user's context once (private rows of any user may point into that session);
- **export**: ``cogdb.export_user`` of a fourth user (read only, plus its audit note).

Medians of the rounds in milliseconds, and erase / delete. Results: bench/results/gdpr.json.
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

APP_LOGIN = "cogdb_bench_gdpr_app"
MODEL, DIMS = "bench-gdpr-384", 384
RESULTS = Path(__file__).resolve().parent / "results" / "gdpr.json"
SET_CONTEXT = "SELECT cogdb.set_context(%s::text, %s::text)"


def prepare(url: str) -> str:
    from cogdb import AdminClient
    from cogdb.ops.migrate import migrate

    migrate(url, "head")
    with AdminClient(url) as admin:
        admin.register_model(MODEL, DIMS, description="gdpr benchmark")
        admin.ensure_app_login(APP_LOGIN)
        admin.secure_database()
    return url.replace("postgresql://postgres@", f"postgresql://{APP_LOGIN}@", 1)


def fill(conn, tenant: str, user: str, memories: int, shared: bool, rng) -> None:
    vecs = rng.standard_normal((memories, DIMS)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    objs = [{"human_content": f"memory {i} of {user}",
             "visibility": "private" if i % 2 else "tenant"} for i in range(memories)]
    with conn.transaction():
        conn.execute(SET_CONTEXT, (tenant, user))
        conn.execute("SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                     (json.dumps(objs), list(vecs)))
        sid = conn.execute("SELECT cogdb.start_session(visibility => %s)",
                           ("tenant" if shared else "private",)).fetchone()[0]
        conn.execute("SELECT cogdb.append_event(%s, 'msg', jsonb_build_object('i', i))"
                     " FROM generate_series(1, 20) i", (sid,))
        conn.execute("SELECT cogdb.set_working_entry('mine', '1', 0, NULL, NULL, 'private')")
        conn.execute("SELECT cogdb.set_working_entry('ours', '1', 0, %s)", (sid,))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench gdpr", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--memories", type=int, default=200, help="per user")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--home", help="bench server folder (default bench/out/home-gdpr)")
    args = ap.parse_args(argv)
    from cogdb import AdminClient
    from cogdb.db import embedded

    rng = np.random.default_rng(11)
    home = Path(args.home) if args.home else OUT / "home-gdpr"
    OUT.mkdir(parents=True, exist_ok=True)
    admin_url = start_server(home, print)
    try:
        app_url = prepare(admin_url)
        with AdminClient(admin_url) as admin:
            tenant = str(admin.create_tenant(f"gdpr bench {uuid.uuid4().hex[:8]}",
                                             default_model=MODEL).id)
            users = [str(admin.create_user(tenant, email=f"u{i}@bench.example").id)
                     for i in range(args.users)]
        with psycopg.connect(app_url) as conn:
            register_vector(conn)
            for i, u in enumerate(users):
                fill(conn, tenant, u, args.memories, i % 2 == 1, rng)
        times: dict[str, list[float]] = {"delete": [], "erase": [], "erase_shared": [],
                                         "export": []}
        with AdminClient(admin_url) as admin:
            for r in range(args.rounds):
                # users 6r..6r+5: even ones have a private session, odd ones a shared one
                victims = {"delete": users[6 * r], "erase": users[6 * r + 2],
                           "erase_shared": users[6 * r + 1], "export": users[6 * r + 4]}
                order = [("delete", admin.delete_user), ("erase", admin.erase_user),
                         ("erase_shared", admin.erase_user), ("export", admin.export_user)]
                for name, call in (order if r % 2 == 0 else order[::-1]):
                    t0 = time.perf_counter()
                    call(tenant, victims[name])
                    times[name].append((time.perf_counter() - t0) * 1000)
        med = {k: statistics.median(v) for k, v in times.items()}
        result = {"users": args.users, "memories_per_user": args.memories,
                  "rounds": args.rounds, "machine": platform.platform(),
                  **{f"{k}_ms": round(v, 1) for k, v in med.items()},
                  "erase_vs_delete": round(med["erase"] / med["delete"], 2),
                  "erase_shared_vs_delete": round(med["erase_shared"] / med["delete"], 2),
                  "export_vs_delete": round(med["export"] / med["delete"], 2)}
        print(json.dumps(result), flush=True)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"results: {RESULTS}")
    finally:
        embedded.stop(home)
