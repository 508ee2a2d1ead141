"""What a model migration's cutover costs per entity, and its settle per batch, before and
after revision 0032 (plans without nested loops), and a promoted tenant's settling cutover
with many entities before and after revision 0033 (the entities settle), in the same run.

    python -m bench migplans [--entities 4000] [--rounds 2] [--memories 20000]

On its own embedded server (bench/out/home-migplans, stopped at the end).

**Entities.** Each round makes
a fresh tenant in memories_default with 50 memories and ``--entities`` entities embedded by
the client (``upsert_entity(embed=True)``), migrates it to a second hash model without the
cutover, then times the cutover (``cut_over_model_migration`` as cogdb_admin) twice in
each state, every time in a transaction rolled back: revision 0032's definitions swapped out
("before": the swap's statements restricted to the locked entities by an index condition,
nested loops allowed) and in ("after"; bench/revision_swap.py). The order of the states
alternates between rounds. Medians per state and the ratio after/before.

**Settle.** A tenant of ``--memories`` memories (384-d hash model, promoted: its own
partition and HNSW index, `cogdb maintain`) is migrated to a second model by `cogdb model
migrate` without the cutover (the side and new-model indexes built CONCURRENTLY), cut over
(phase settling), then settled in batches of 1,000 (``settle_model_migration`` as
cogdb_admin, each batch its own transaction, committed), the definitions swapped before
every batch: before, after, before, after, ... so that both states see the same number of
memories left to settle, give or take one batch. Median seconds per batch per state, and
the ratio. ``--memories 0`` skips it.

**The settling cutover with entities** (revision 0033). A promoted tenant of 2,000 memories
and ``--entities`` entities, migrated by `cogdb model migrate` without the cutover (its
settle indexes built); its cutover (phase settling) timed twice per state and round, each
time rolled back, with 0033's definitions swapped out ("before": the entities swap inside
the cutover, with the tenant's gate held) and in ("after": they are checked and left to the
settle). Then that cutover is committed, the memories settle, and hybrid search's p50 (20
vector-only queries through the Python client as the app login) is taken while the 4,000
entities wait to settle and again once they have. Results: bench/results/migplans.json.
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
SOLD, SNEW, SDIMS = "bench-settle-old-384", "bench-settle-new-384", 384
APP_LOGIN = "cogdb_bench_migplans_app"
REVISION = "0032"
SETTLE_REVISION = "0033"


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


def _settle(admin_url: str, app_url: str, n: int, echo) -> dict[str, list[float]]:
    import cogdb
    import cogdb.ops.maintain
    from cogdb import AdminClient

    with AdminClient(admin_url) as admin:
        admin.connection.execute("UPDATE cogdb.settings SET value = to_jsonb(%s::integer)"
                                 " WHERE key = 'search.ann_min_rows'", (min(n // 2, 10000),))
        tenant = str(admin.create_tenant(f"settle {uuid.uuid4().hex[:8]}",
                                         default_model=SOLD).id)
    with cogdb.connect(app_url) as client:
        for i in range(0, n, 1000):
            with client.scope(tenant) as s:
                s.remember_many([{"human_content": f"memory {j} of the settle bench"}
                                 for j in range(i, min(i + 1000, n))])
    steps = cogdb.ops.maintain.run(admin_url, echo=lambda *_: None)
    assert not any(s.error for s in steps), steps
    with AdminClient(admin_url) as admin:
        phase = admin.migrate_model(tenant, SNEW, cut_over=False).phase
        assert phase == "indexed", phase
        admin.connection.execute("SELECT cogdb.cut_over_model_migration(%s::text, %s)",
                                 (tenant, SNEW))
    times: dict[str, list[float]] = {"before": [], "after": []}
    state_of = ("before", "after")
    batch = 0
    while True:
        state = state_of[batch % 2]
        revision_swap.apply(admin_url, REVISION, "downgrade" if state == "before" else "upgrade")
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute("SET ROLE cogdb_admin")
            t0 = time.perf_counter()
            phase, settled, remaining, _ = conn.execute(
                "SELECT * FROM cogdb.settle_model_migration(%s::text, %s, 1000)",
                (tenant, SNEW)).fetchone()
            took = time.perf_counter() - t0
        if settled:
            times[state].append(took)
            echo(f"settle batch {batch + 1} {state}: {took:.3f} s, {remaining} left")
        batch += 1
        if phase != "settling":
            break
    return times


def _settling_cutover(admin_url: str, app_url: str, n_entities: int, rounds: int,
                      echo) -> dict[str, list[float]]:
    import cogdb
    import cogdb.ops.maintain
    from cogdb import AdminClient

    with AdminClient(admin_url) as admin:
        admin.connection.execute("UPDATE cogdb.settings SET value = to_jsonb(1000)"
                                 " WHERE key = 'search.ann_min_rows'")
        tenant = str(admin.create_tenant(f"settling cutover {uuid.uuid4().hex[:8]}",
                                         default_model=OLD).id)
    with cogdb.connect(app_url) as client:
        for i in range(0, 2000, 1000):
            with client.scope(tenant) as s:
                s.remember_many([{"human_content": f"memory {j} of the cutover bench"}
                                 for j in range(i, i + 1000)])
        for i in range(0, n_entities, 500):
            with client.scope(tenant) as s:
                for j in range(i, min(i + 500, n_entities)):
                    s.upsert_entity(f"entity {j}", embed=True,
                                    observations=[f"observation {j}", "shared"])
    steps = cogdb.ops.maintain.run(admin_url, echo=lambda *_: None)
    assert not any(s.error for s in steps), steps
    with AdminClient(admin_url) as admin:
        phase = admin.migrate_model(tenant, NEW, cut_over=False).phase
        assert phase == "indexed", phase
    times: dict[str, list[float]] = {"before": [], "after": []}
    for r in range(rounds):
        for state in (("before", "after") if r % 2 == 0 else ("after", "before")):
            revision_swap.apply(admin_url, SETTLE_REVISION,
                                "downgrade" if state == "before" else "upgrade")
            for _ in range(2):
                times[state].append(_cutover_s(admin_url, tenant))
            echo(f"settling cutover, round {r + 1} {state}: "
                 + ", ".join(f"{t:.3f}" for t in times[state][-2:]) + " s")
    revision_swap.apply(admin_url, SETTLE_REVISION, "upgrade")
    # Hybrid search (vector half, app login) while the entities settle, against the same
    # search once they have: the cutover committed, the memories settled, then timed.
    from cogdb import HashEmbedder

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("SET ROLE cogdb_admin")
        conn.execute("SELECT cogdb.cut_over_model_migration(%s::text, %s)", (tenant, NEW))
        conn.execute("SELECT cogdb.settle_model_migration(%s::text, %s, 100000)", (tenant, NEW))
    queries = HashEmbedder(NEW, DIMS).embed([f"entity {j} observation {j}" for j in range(20)])

    def hybrid_ms() -> float:
        took = []
        with cogdb.connect(app_url) as client:
            for q in queries:
                t0 = time.perf_counter()
                with client.scope(tenant) as s:
                    s.hybrid_search(None, k=10, vector=q)
                took.append((time.perf_counter() - t0) * 1000)
        return statistics.median(took)

    times["hybrid_ms_settling"] = [hybrid_ms()]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("SET ROLE cogdb_admin")
        while conn.execute("SELECT phase FROM cogdb.settle_model_migration(%s::text, %s, 1000)",
                           (tenant, NEW)).fetchone()[0] == "settling":
            pass
    times["hybrid_ms_settled"] = [hybrid_ms()]
    echo(f"hybrid p50 while {n_entities} entities settle: {times['hybrid_ms_settling'][0]:.1f}"
         f" ms, after: {times['hybrid_ms_settled'][0]:.1f} ms")
    return times


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench migplans", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entities", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--memories", type=int, default=20000,
                    help="memories of the settling tenant (0: no settle part)")
    ap.add_argument("--home", help="bench server folder (default bench/out/home-migplans)")
    args = ap.parse_args(argv)
    from cogdb import AdminClient
    from cogdb.db import embedded
    from cogdb.ops.migrate import migrate

    home = Path(args.home) if args.home else OUT / "home-migplans"
    OUT.mkdir(parents=True, exist_ok=True)
    admin_url = start_server(home, print)
    times: dict[str, list[float]] = {"before": [], "after": []}
    try:
        migrate(admin_url, "head")
        # the released state, whatever an interrupted run left (0032's and 0033's
        # downgrades drop functions, so each runs once between two upgrades); each part
        # swaps one revision, the later revision's definitions applied after the earlier's
        revision_swap.apply(admin_url, REVISION, "upgrade")
        revision_swap.apply(admin_url, SETTLE_REVISION, "upgrade")
        with AdminClient(admin_url) as admin:
            for name in (OLD, NEW):
                admin.register_model(name, DIMS, embedder="hash")
            for name in (SOLD, SNEW):
                admin.register_model(name, SDIMS, embedder="hash")
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
        revision_swap.apply(admin_url, REVISION, "upgrade")  # a downgrade runs once only
        settling = _settling_cutover(admin_url, app_url, args.entities, args.rounds, print)
        settle = (_settle(admin_url, app_url, args.memories, print) if args.memories
                  else {"before": [], "after": []})
        revision_swap.apply(admin_url, REVISION, "upgrade")
        revision_swap.apply(admin_url, SETTLE_REVISION, "upgrade")
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
              "ms_per_entity_after": round(after * 1000 / args.entities, 3),
              "settle_memories": args.memories,
              "settling_cutover_s_before": [round(t, 3) for t in settling["before"]],
              "settling_cutover_s_after": [round(t, 3) for t in settling["after"]],
              "settling_cutover_s_median_before": round(statistics.median(settling["before"]), 3),
              "settling_cutover_s_median_after": round(statistics.median(settling["after"]), 3),
              "hybrid_ms_p50_entities_settling": round(settling["hybrid_ms_settling"][0], 2),
              "hybrid_ms_p50_entities_settled": round(settling["hybrid_ms_settled"][0], 2)}
    if settle["before"] and settle["after"]:
        sb, sa = (statistics.median(settle[s]) for s in ("before", "after"))
        result.update({"settle_batch_s_before": [round(t, 3) for t in settle["before"]],
                       "settle_batch_s_after": [round(t, 3) for t in settle["after"]],
                       "settle_batch_s_median_before": round(sb, 3),
                       "settle_batch_s_median_after": round(sa, 3),
                       "settle_after_vs_before": round(sa / sb, 2)})
    print(json.dumps(result))
    out = Path(__file__).resolve().parent / "results" / "migplans.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
