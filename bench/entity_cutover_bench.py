"""What a model migration's cutover costs per entity, before and after revision 0032, in
the same run.

    python -m bench entitycut [--entities 4000] [--rounds 2]

On its own embedded server (bench/out/home-entitycut, stopped at the end), each round makes
a fresh tenant in memories_default with 50 memories and ``--entities`` entities embedded by
the client (``upsert_entity(embed=True)``), migrates it to a second hash model without the
cutover, then times the cutover (``cut_over_model_migration`` as cogdb_admin) twice in
each state, every time in a transaction rolled back: revision 0032's definitions swapped out
("before": the swap's statements restricted to the locked entities by an index condition,
nested loops allowed) and in ("after"; bench/revision_swap.py). The order of the states
alternates between rounds. Medians per state and the ratio after/before. Results:
bench/results/entitycut.json.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
import uuid
from pathlib import Path

import psycopg

from . import revision_swap
from .import_bench import OUT, start_server

OLD, NEW, DIMS = "bench-ecut-old-64", "bench-ecut-new-64", 64
APP_LOGIN = "cogdb_bench_entitycut_app"
REVISION = "0032"


def _tenant(admin_url: str, app_url: str, n: int) -> str:
    import cogdb
    from cogdb import AdminClient

    with AdminClient(admin_url) as admin:
        tenant = str(admin.create_tenant(f"entitycut {uuid.uuid4().hex[:8]}",
                                         default_model=OLD).id)
    with cogdb.connect(app_url) as client:
        with client.scope(tenant) as s:
            s.remember_many([{"human_content": f"memory {i}"} for i in range(50)])
        for i in range(0, n, 500):
            with client.scope(tenant) as s:
                for j in range(i, min(i + 500, n)):
                    s.upsert_entity(f"entity {j}", embed=True,
                                    observations=[f"observation {j}", "shared"])
    with AdminClient(admin_url) as admin:
        admin.migrate_model(tenant, NEW, cut_over=False)
    return tenant


def _cutover_s(admin_url: str, tenant: str) -> float:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("BEGIN")
        conn.execute("SET ROLE cogdb_admin")
        t0 = time.perf_counter()
        conn.execute("SELECT cogdb.cut_over_model_migration(%s::text, %s)", (tenant, NEW))
        took = time.perf_counter() - t0
        conn.execute("ROLLBACK")
    return took


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench entitycut", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entities", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--home", help="bench server folder (default bench/out/home-entitycut)")
    args = ap.parse_args(argv)
    from cogdb import AdminClient
    from cogdb.db import embedded
    from cogdb.ops.migrate import migrate

    home = Path(args.home) if args.home else OUT / "home-entitycut"
    OUT.mkdir(parents=True, exist_ok=True)
    admin_url = start_server(home, print)
    times: dict[str, list[float]] = {"before": [], "after": []}
    try:
        migrate(admin_url, "head")
        with AdminClient(admin_url) as admin:
            for name in (OLD, NEW):
                admin.register_model(name, DIMS, embedder="hash")
            admin.ensure_app_login(APP_LOGIN)
            admin.secure_database()
        app_url = admin_url.replace("postgresql://postgres@", f"postgresql://{APP_LOGIN}@", 1)
        for r in range(args.rounds):
            tenant = _tenant(admin_url, app_url, args.entities)
            order = ("before", "after") if r % 2 == 0 else ("after", "before")
            for state in order:
                revision_swap.apply(admin_url, REVISION,
                                    "downgrade" if state == "before" else "upgrade")
                for _ in range(2):
                    times[state].append(_cutover_s(admin_url, tenant))
                print(f"round {r + 1} {state}: " + ", ".join(f"{t:.3f}" for t in
                                                             times[state][-2:]) + " s")
        revision_swap.apply(admin_url, REVISION, "upgrade")
    finally:
        embedded.stop(home)
    before, after = (statistics.median(times[s]) for s in ("before", "after"))
    result = {"entities": args.entities, "rounds": args.rounds,
              "machine": platform.platform(),
              "cutover_s_before": [round(t, 3) for t in times["before"]],
              "cutover_s_after": [round(t, 3) for t in times["after"]],
              "cutover_s_median_before": round(before, 3),
              "cutover_s_median_after": round(after, 3),
              "after_vs_before": round(after / before, 2),
              "ms_per_entity_after": round(after * 1000 / args.entities, 3)}
    print(json.dumps(result))
    out = Path(__file__).resolve().parent / "results" / "entitycut.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
