"""Deferred text indexing: bulk writes with the full-text index done in the statement, queued,
and not at all, same run (docs/architecture.md "Deferred text indexing").

    python -m bench textqueue [--batches 5] [--batch 1000] [--rounds 3] [--singles 200]

On its own embedded server (bench/out/home-textqueue), as an app login, one tenant, 384-d
vectors, memories of ~40 words (bench/audit_bench.py's). Three states, alternated in each
round; medians over ``--rounds`` are the figures:

- **immediate**: setting text.defer_min_rows 0, every insert indexed in its statement (how
  cogdb wrote before the queue);
- **deferred**: text.defer_min_rows 100 (the default): the batches queue their ids, then
  ``index_pending_text`` indexes them; its rate is reported on its own, and the server CPU
  per memory counts both the write and the indexing;
- **no text index**: the memories' index_text triggers disabled (superuser, this benchmark
  only): the floor;
- with ``--revision R``, **immediate, before R**: immediate, with revision R swapped out
  (bench/revision_swap.py; 0036: the text index's GIN index on (tenant_id, tsv) instead of
  its tenant keys), for what the revision costs a write.

Reported: ``remember_many`` of ``--batches`` x ``--batch`` memories (memories/s), the server
CPU per memory (ms, ``/proc/<pid>/schedstat`` of the writer's backend) of the writes alone and
of the writes with the indexing afterwards (on a machine whose cores are busy with other work
the rates mostly measure waiting for a core; the CPU time is what a CPU-bound server pays),
and single
``remember`` calls (``--singles``, one transaction each: below the threshold, indexed at once
in both states). Results: bench/results/text_queue.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from pathlib import Path

import psycopg

from . import revision_swap
from .audit_bench import MODEL, backend_cpu_ns, memories, prepare
from .import_bench import OUT, start_server

RESULTS = Path(__file__).resolve().parent / "results" / "text_queue.json"
STATES = ("immediate", "deferred", "no text index")


def set_state(admin_url: str, state: str, swap: revision_swap.Toggle | None = None) -> None:
    """Put the server in ``state``; "immediate, before <revision>" is immediate with
    ``swap``'s revision (definitions and steps) swapped out."""
    if swap is not None:
        swap.set(not state.startswith("immediate, before"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("UPDATE cogdb.settings SET value = %s::jsonb"
                     " WHERE key = 'text.defer_min_rows'",
                     ("0" if state.startswith("immediate") else "100",))
        verb = "DISABLE" if state == "no text index" else "ENABLE"
        for trigger in ("memories_index_text_inserts", "memories_index_text_updates"):
            conn.execute(f"ALTER TABLE cogdb.memories {verb} TRIGGER {trigger}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench textqueue", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", type=int, default=5)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--singles", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1, help="uncounted rounds of each state")
    ap.add_argument("--home", help="bench server folder (default bench/out/home-textqueue)")
    ap.add_argument("--revision", help="also time immediate indexing with this revision"
                    " swapped out (e.g. 0036: the text index's tenant keys)")
    args = ap.parse_args(argv)
    states = STATES + ((f"immediate, before {args.revision}",) if args.revision else ())

    import cogdb

    OUT.mkdir(parents=True, exist_ok=True)
    admin_url = start_server(Path(args.home) if args.home else OUT / "home-textqueue", print)
    swap = revision_swap.Toggle(admin_url, args.revision) if args.revision else None
    app_url, tenant, user = prepare(admin_url)
    rng = random.Random(11)
    client = cogdb.connect(app_url, pool_size=1)
    with client.pool.connection() as conn:  # pool_size=1: every scope runs on this backend
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    figures = {name: {s: [] for s in states} for name in (
        "remember_many (memories/s)", "server CPU per memory, the write (ms)",
        "server CPU per memory, write + indexing (ms)",
        "remember, one per transaction (memories/s)")}
    drain_rates: list[float] = []
    try:
        for r in range(-args.warmup, args.rounds):
            order = states if r % 2 == 0 else tuple(reversed(states))
            for state in order:
                set_state(admin_url, state, swap)
                batches = [memories(args.batch, rng) for _ in range(args.batches)]
                cpu0 = backend_cpu_ns(pid)
                t0 = time.perf_counter()
                for docs, vectors in batches:
                    with client.scope(tenant=tenant, user=user) as s:
                        s.remember_many(docs, vectors, model=MODEL)
                rate = args.batch * args.batches / (time.perf_counter() - t0)
                cpu_write = (backend_cpu_ns(pid) - cpu0) / (args.batch * args.batches) / 1e6
                t1 = time.perf_counter()
                with client.scope(tenant=tenant, user=user) as s:
                    indexed = s.index_pending_text()
                drain = time.perf_counter() - t1
                cpu = (backend_cpu_ns(pid) - cpu0) / (args.batch * args.batches) / 1e6
                docs, vectors = memories(args.singles, rng)
                t2 = time.perf_counter()
                for doc, vector in zip(docs, vectors, strict=True):
                    with client.scope(tenant=tenant, user=user) as s:
                        s.remember(doc["human_content"], doc["assistant_content"], vector,
                                   model=MODEL)
                singles = args.singles / (time.perf_counter() - t2)
                if r < 0:
                    continue
                figures["remember_many (memories/s)"][state].append(rate)
                figures["server CPU per memory, the write (ms)"][state].append(cpu_write)
                figures["server CPU per memory, write + indexing (ms)"][state].append(cpu)
                figures["remember, one per transaction (memories/s)"][state].append(singles)
                if state == "deferred":
                    assert indexed == args.batch * args.batches, indexed
                    drain_rates.append(indexed / drain)
                print(f"round {r + 1} {state:<14} remember_many {rate:8,.0f}/s  cpu write"
                      f" {cpu_write:.3f}, +indexing {cpu:.3f} ms/memory  remember"
                      f" {singles:6,.0f}/s"
                      + (f"  indexed afterwards {indexed / drain:8,.0f}/s"
                         if state == "deferred" else ""))
    finally:
        set_state(admin_url, "deferred", swap)
        client.close()
    med = {name: {s: statistics.median(v) for s, v in per.items()}
           for name, per in figures.items()}
    print("\nmedians of", args.rounds, "rounds:")
    for name, per in med.items():
        base = per["immediate"]
        print(f"  {name}: " + ", ".join(f"{s} {v:,.3f}" if v < 10 else f"{s} {v:,.0f}"
                                       for s, v in per.items())
              + f"  (deferred / immediate {per['deferred'] / base:.2f}x,"
                f" no index / immediate {per['no text index'] / base:.2f}x"
              + "".join(f", immediate / {s[11:]} {base / v:.2f}x" for s, v in per.items()
                        if s.startswith("immediate, before")) + ")")
    print(f"  index_pending_text afterwards: {statistics.median(drain_rates):,.0f} memories/s")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "args": vars(args), "machine": platform.machine(), "load_avg": os.getloadavg(),
        "runs": figures, "medians": med, "index_pending_text_rates": drain_rates}, indent=2))
    print(f"results: {RESULTS}")
