"""What re-embedding a tenant costs (`cogdb model migrate`), against importing the same
memories, in the same run.

    python -m bench migrate [--memories 5000] [--batch 500] [--queries 50] [--prebuilt]
                            [--entities 1000]

On its own embedded server (bench/out/home-migrate, stopped at the end), one tenant large
enough to be promoted (its own partition and HNSW index, `cogdb maintain`):

- **import** (the baseline): the tenant's ``--memories`` memories written with
  ``remember_many`` in batches of ``--batch``, embedded by the hash embedder of the old model
  (384-d); memories per second, the median over batches;
- **migrate**: ``cogdb model migrate`` to a second hash model (384-d, another hash seed by
  name), batches of ``--batch``: read the page, embed, store the vectors and move the keyset
  position; memories per second, the median over batches, and the ratio to the import;
- **cutover**: the one transaction that swaps the vectors and builds the new model's HNSW
  index (one bulk build), while searches go on with the old one (their p50 during it is
  measured by a second connection searching in a loop); and the cutover of a
  second tenant of ``--memories``/4 memories that stays in memories_default (no HNSW index of
  its own), which shows what the swap costs without an index; with ``--prebuilt``, a third
  promoted tenant whose new index exists before its cutover, so the swap inserts every memory
  into it one by one (the design this replaced);
- **search** p50 (ms, ``--queries`` text queries, k=10) before and after the cutover: the old
  model's index, then the new one's;
- **entities** (revision 0024): a fourth tenant, in memories_default like the second one and
  with the same memories, plus ``--entities`` entities embedded by the client
  (``upsert_entity(embed=True)``, a name and two observations each); its whole migration and
  its cutover against the second tenant's, so the ratios are what the entities add.

- **write pause** (revision 0027): a writer of the app login remembers one memory at a time
  (a 5 ms pause between) while a cutover runs, and the longest wait of one write is reported
  against the median single write before any migration. The main tenant is cut over the new
  way (settle indexes built CONCURRENTLY first, the cutover flips the default model, the rows
  settle in transactions of ``--settle-batch``; its writer runs through cutover and settle,
  and so does a searcher, whose whole scopes are timed: p50 and the longest, since the
  settling cutover holds the tenant's gate, revision 0031),
  a fifth promoted tenant of the same size the old way (its settle indexes dropped, so the
  cutover swaps every memory and builds the new index in one transaction), in the same run;
- **profile** of the old swap on that fifth tenant, before its cutover, in transactions rolled
  back: the swap's UPDATE with every trigger of memories, without each group of them, with
  none, and the new index's build after it.

Results: bench/results/migrate.json.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import psycopg

from .import_bench import OUT, start_server

APP_LOGIN = "cogdb_bench_migrate_app"
OLD, NEW, DIMS = "bench-mig-old-384", "bench-mig-new-384", 384
RESULTS = Path(__file__).resolve().parent / "results" / "migrate.json"
WORDS = ("deploy", "release", "database", "index", "tenant", "search", "vector", "model",
         "backup", "restore", "latency", "budget", "invoice", "customer", "ticket", "bug",
         "review", "merge", "branch", "schema", "policy", "audit", "session", "memory")


def _texts(n: int, rng) -> list[str]:
    return [" ".join(rng.choice(WORDS, 6)) + f" #{i}" for i in range(n)]


def _p50(client, tenant: str, queries: list[str]) -> tuple[float, set]:
    times, plans = [], set()
    with client.scope(tenant) as s:
        s.search(queries[0], k=10)   # warm
    for q in queries:
        with client.scope(tenant) as s:
            t0 = time.perf_counter()
            hits = s.search(q, k=10)
            times.append((time.perf_counter() - t0) * 1000)
        plans |= {h.plan for h in hits}
    return statistics.median(times), plans


TRIGGER_GROUPS = {
    "text index": ["memories_index_text_updates"],
    "audit": ["memories_audit_updates"],
    "counts and statistics": ["memories_count_updates", "memories_stats_updates"],
    "row and batch checks": ["memories_check_row_updates", "memories_check_batch_updates"],
}


def _profile_swap(url: str, tenant: str, n: int) -> dict:
    """Where the old cutover's time goes: its swap UPDATE (every memory takes its new
    vector from memory_embeddings) with all triggers, without each group, without any, then
    the new model's HNSW build after it; each in a transaction rolled back."""
    every = [t for group in TRIGGER_GROUPS.values() for t in group]
    runs = [("all triggers", [])] + [(f"without {g}", ts) for g, ts in TRIGGER_GROUPS.items()]
    runs.append(("no triggers", every))
    out: dict = {}
    with psycopg.connect(url, autocommit=True) as c:
        for label, disabled in runs:
            with c.transaction(force_rollback=True):
                c.execute("SELECT cogdb.enter_tenant(%s::uuid)", (tenant,))
                for t in disabled:
                    c.execute(f"ALTER TABLE cogdb.memories DISABLE TRIGGER {t}")
                t0 = time.perf_counter()
                c.execute("UPDATE cogdb.memories m SET model = %s, embedding = e.embedding"
                          " FROM cogdb.memory_embeddings e WHERE m.tenant_id = %s"
                          " AND m.model = %s AND e.tenant_id = %s AND e.memory_id = m.id"
                          " AND e.model = %s", (NEW, tenant, OLD, tenant, NEW))
                c.execute("SET CONSTRAINTS ALL IMMEDIATE")
                swap = time.perf_counter() - t0
                out[f"swap_ms_per_memory_{label.replace(' ', '_')}"] = round(1000 * swap / n, 3)
                if label == "all triggers":
                    stmt = c.execute("SELECT cogdb.ann_index_statement(%s::uuid, %s, false)",
                                     (tenant, NEW)).fetchone()[0]
                    t0 = time.perf_counter()
                    c.execute(stmt)
                    out["index_build_ms_per_memory"] = round(
                        1000 * (time.perf_counter() - t0) / n, 3)
    return out


class _Writer:
    """One memory at a time into ``tenant`` by the app login, 5 ms apart, each write's
    latency in ms (a failed one's too: how long it waited), until stopped."""

    def __init__(self, app_url: str, tenant: str, tag: str) -> None:
        import cogdb

        self.times: list[float] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._client = cogdb.connect(app_url, pool_size=1)
        self._tenant, self._tag = tenant, tag
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            t0 = time.perf_counter()
            try:
                with self._client.scope(self._tenant) as s:
                    s.remember(f"written meanwhile {self._tag} {i}", id=f"{self._tag}{i:06d}")
            except Exception as exc:  # the wait until it failed counts too
                self.errors.append(str(exc).splitlines()[0])
            self.times.append((time.perf_counter() - t0) * 1000)
            i += 1
            time.sleep(0.005)

    def __enter__(self) -> _Writer:
        self._thread.start()
        time.sleep(0.05)
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        self._client.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench migrate", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--memories", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--prebuilt", action="store_true",
                    help="also cut over a third tenant whose new index was built before the "
                         "cutover (the design this replaced: an HNSW insert per memory)")
    ap.add_argument("--entities", type=int, default=1000,
                    help="entities of the fourth tenant (0: no entity tenant)")
    ap.add_argument("--settle-batch", type=int, default=1000,
                    help="memories per settle transaction (the main tenant)")
    ap.add_argument("--home", help="bench server folder (default bench/out/home-migrate)")
    args = ap.parse_args(argv)
    import cogdb
    import cogdb.ops.maintain
    from cogdb import AdminClient
    from cogdb.db import embedded
    from cogdb.ops.migrate import migrate

    rng = np.random.default_rng(19)
    home = Path(args.home) if args.home else OUT / "home-migrate"
    OUT.mkdir(parents=True, exist_ok=True)
    admin_url = start_server(home, print)
    try:
        migrate(admin_url, "head")
        with AdminClient(admin_url) as admin:
            admin.register_model(OLD, DIMS, embedder="hash")
            admin.register_model(NEW, DIMS, embedder="hash")
            admin.ensure_app_login(APP_LOGIN)
            admin.secure_database()
            admin.connection.execute(
                "UPDATE cogdb.settings SET value = to_jsonb(%s::integer)"
                " WHERE key = 'search.ann_min_rows'", (min(args.memories // 2, 10000),))
            tenant = str(admin.create_tenant(f"migrate bench {uuid.uuid4().hex[:8]}",
                                             default_model=OLD).id)
            small = str(admin.create_tenant(f"migrate bench small {uuid.uuid4().hex[:8]}",
                                            default_model=OLD).id)
            pre = str(admin.create_tenant(f"migrate bench prebuilt {uuid.uuid4().hex[:8]}",
                                          default_model=OLD).id)
            ent = str(admin.create_tenant(f"migrate bench entities {uuid.uuid4().hex[:8]}",
                                          default_model=OLD).id)
            swap = str(admin.create_tenant(f"migrate bench swap {uuid.uuid4().hex[:8]}",
                                           default_model=OLD).id)
        app_url = admin_url.replace("postgresql://postgres@", f"postgresql://{APP_LOGIN}@", 1)
        texts = _texts(args.memories, rng)
        queries = [" ".join(rng.choice(WORDS, 3)) for _ in range(args.queries)]

        import_rates = []
        with cogdb.connect(app_url) as client:
            t_import = time.perf_counter()
            for i in range(0, len(texts), args.batch):
                part = texts[i:i + args.batch]
                t0 = time.perf_counter()
                with client.scope(tenant) as s:
                    s.remember_many([{"id": f"m{i + j:07d}", "human_content": t}
                                     for j, t in enumerate(part)])
                import_rates.append(len(part) / (time.perf_counter() - t0))
            t_import = time.perf_counter() - t_import
            n_small = max(args.memories // 4, 1)
            with client.scope(small) as s:
                s.remember_many([{"human_content": t} for t in texts[:n_small]])
            if args.entities:
                with client.scope(ent) as s:
                    s.remember_many([{"human_content": t} for t in texts[:n_small]])
                for i in range(0, args.entities, args.batch):
                    with client.scope(ent) as s:
                        for j in range(i, min(i + args.batch, args.entities)):
                            s.upsert_entity(f"entity {j}", embed=True,
                                            observations=list(texts[j % len(texts)
                                                                    ].split()[:2]))
            for i in range(0, len(texts), args.batch):
                with client.scope(swap) as s:
                    s.remember_many([{"human_content": t} for t in texts[i:i + args.batch]])
            if args.prebuilt:
                for i in range(0, len(texts), args.batch):
                    with client.scope(pre) as s:
                        s.remember_many([{"human_content": t}
                                         for t in texts[i:i + args.batch]])
            steps = cogdb.ops.maintain.run(admin_url, echo=lambda *_: None)
            assert not any(s.error for s in steps), steps
            before_ms, before_plans = _p50(client, tenant, queries)
            idle = []
            with client.scope(tenant) as s:
                s.remember("warm the writer")
            with _Writer(app_url, tenant, "idle") as w:
                time.sleep(2.0)
            idle = w.times

            batch_times: list[float] = []
            last = [time.perf_counter()]

            def tick(_n: int) -> None:
                now = time.perf_counter()
                batch_times.append(now - last[0])
                last[0] = now

            with AdminClient(admin_url) as admin:
                t0 = time.perf_counter()
                last[0] = t0
                done = admin.migrate_model(tenant, NEW, batch=args.batch, cut_over=False,
                                           after_batch=tick)
                t_embed = time.perf_counter() - t0
                # the old way, on the fifth tenant: the settle indexes dropped, so the cutover
                # swaps every memory and builds the new index in its transaction
                admin.migrate_model(swap, NEW, batch=args.batch, cut_over=False)
                for name in admin.connection.execute(
                        "SELECT cogdb.settle_index_name(%s, %s), cogdb.ann_index_name(%s, %s)",
                        (swap, NEW, swap, NEW)).fetchone():
                    admin.connection.execute(f"DROP INDEX IF EXISTS cogdb.{name}")
                profile = _profile_swap(admin_url, swap, args.memories)
                with _Writer(app_url, swap, "swap") as swap_writer:
                    # the cutover alone (the writer's memories get both vectors meanwhile: no
                    # final pass needed), as cogdb model migrate runs it
                    t0 = time.perf_counter()
                    with admin.connection.transaction():
                        admin.connection.execute(
                            "SELECT set_config('maintenance_work_mem', '256MB', true)")
                        phase = admin.connection.execute(
                            "SELECT phase FROM cogdb.cut_over_model_migration(%s::text, %s)",
                            (swap, NEW)).fetchone()[0]
                    swap_cut_s = round(time.perf_counter() - t0, 3)
                    assert phase == "cut_over", phase

                # searches of the tenant while its cutover runs (they are not blocked)
                during: list[float] = []
                stop = threading.Event()

                def searching() -> None:
                    with cogdb.connect(app_url, pool_size=1) as reader:
                        i = 0
                        while not stop.is_set():
                            # the whole scope: set_context is where a search would wait
                            # for the tenant's gate (a settling cutover takes it, 0031)
                            t = time.perf_counter()
                            with reader.scope(tenant) as s:
                                s.search(queries[i % len(queries)], k=10)
                            during.append((time.perf_counter() - t) * 1000)
                            i += 1

                worker = threading.Thread(target=searching)
                worker.start()
                with _Writer(app_url, tenant, "new") as new_writer:
                    done_cut = admin.migrate_model(tenant, NEW, batch=args.batch,
                                                   settle_batch=args.settle_batch)
                stop.set()
                worker.join()
                small_cut = admin.migrate_model(small, NEW, batch=args.batch)
                ent_cut = (admin.migrate_model(ent, NEW, batch=args.batch)
                           if args.entities else None)
                pre_cut = None
                if args.prebuilt:   # the new index built before the cutover: HNSW inserts
                    admin.migrate_model(pre, NEW, batch=args.batch, cut_over=False)
                    admin.connection.execute(admin.connection.execute(
                        "SELECT format('DROP INDEX cogdb.%%I', cogdb.settle_index_name(%s, %s))",
                        (pre, NEW)).fetchone()[0])
                    admin.connection.execute(admin.connection.execute(
                        "SELECT cogdb.ann_index_statement(%s::uuid, %s, true)",
                        (pre, NEW)).fetchone()[0])
                    pre_cut = admin.migrate_model(pre, NEW, batch=args.batch)
            after_ms, after_plans = _p50(client, tenant, queries)

        sizes = [min(args.batch, args.memories - i) for i in range(0, args.memories, args.batch)]
        migrate_rates = [n / t for n, t in zip(sizes, batch_times, strict=False)]
        result = {
            "memories": args.memories, "batch": args.batch, "dims": DIMS,
            "machine": platform.platform(),
            "import_per_s_median": round(statistics.median(import_rates)),
            "import_total_s": round(t_import, 2),
            "migrate_per_s_median": round(statistics.median(migrate_rates)),
            "migrate_total_s": round(t_embed, 2),
            "migrate_vs_import": round(statistics.median(migrate_rates)
                                       / statistics.median(import_rates), 2),
            "embedded": done.embedded, "new_index": done_cut.new_index,
            "settle_indexes": done.settle_indexes,
            "cutover_s": done_cut.cutover_seconds,
            "cutover_ms_per_memory": round(1000 * done_cut.cutover_seconds / args.memories, 3),
            "settle_s": done_cut.settle_seconds, "settled": done_cut.settled,
            "settle_batches": done_cut.settle_batches,
            "settle_ms_per_memory": round(1000 * done_cut.settle_seconds / done_cut.settled, 3)
            if done_cut.settled else None,
            "write_ms_median_idle": round(statistics.median(idle), 2),
            "write_ms_max_idle": round(max(idle), 2),
            "write_ms_max_during_new_cutover_and_settle": round(max(new_writer.times), 2),
            "write_ms_median_during_new_cutover_and_settle": round(
                statistics.median(new_writer.times), 2),
            "writes_during_new": len(new_writer.times),
            "write_errors_during_new": len(new_writer.errors),
            "swap_cutover_s": swap_cut_s,
            "write_ms_max_during_swap_cutover": round(max(swap_writer.times), 2),
            "write_ms_median_during_swap_cutover": round(
                statistics.median(swap_writer.times), 2),
            "writes_during_swap": len(swap_writer.times),
            "write_errors_during_swap": len(swap_writer.errors),
            "write_error_kinds": sorted(set(new_writer.errors + swap_writer.errors)),
            "longest_write_new_vs_swap": round(max(new_writer.times) / max(swap_writer.times),
                                               4),
            "longest_write_new_vs_idle_median": round(
                max(new_writer.times) / statistics.median(idle), 2),
            **profile,
            "small_unpromoted_memories": n_small,
            "small_cutover_s": small_cut.cutover_seconds,
            "small_cutover_ms_per_memory": round(1000 * small_cut.cutover_seconds / n_small, 3),
            "search_p50_ms_before": round(before_ms, 2),
            "search_p50_ms_after": round(after_ms, 2),
            "search_after_vs_before": round(after_ms / before_ms, 2),
            "search_p50_ms_during_cutover": round(statistics.median(during), 2)
            if during else None,
            "searches_during_cutover": len(during),
            "search_ms_max_during_cutover": round(max(during), 2) if during else None,
            "prebuilt_cutover_s": pre_cut.cutover_seconds if pre_cut else None,
            "prebuilt_cutover_vs_in_txn": round(pre_cut.cutover_seconds
                                                / done_cut.cutover_seconds, 2)
            if pre_cut else None,
            "small_migrate_total_s": small_cut.seconds,
            "entities": args.entities,
            "entities_embedded": ent_cut.entities_embedded if ent_cut else None,
            "entities_migrate_total_s": ent_cut.seconds if ent_cut else None,
            "entities_migrate_vs_small": round(ent_cut.seconds / small_cut.seconds, 2)
            if ent_cut else None,
            "entities_cutover_s": ent_cut.cutover_seconds if ent_cut else None,
            "entities_cutover_vs_small": round(ent_cut.cutover_seconds
                                               / small_cut.cutover_seconds, 2)
            if ent_cut else None,
            "plans_before": sorted(p or "" for p in before_plans),
            "plans_after": sorted(p or "" for p in after_plans),
        }
        print(json.dumps(result), flush=True)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"results: {RESULTS}")
    finally:
        embedded.stop(home)


if __name__ == "__main__":
    main()
