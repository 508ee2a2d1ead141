"""The event stream: append rate and cursor reads, against a same-run baseline.

    python -m bench events [--seconds 3] [--rounds 3] [--writers 8] [--events 20000]

On its own embedded server (bench/out/home-events, the import benchmark's settings:
shared_buffers 2GB, synchronous_commit on, full_page_writes on), as an app login:

- **appends**: each writer appends events for ``--seconds``, one transaction per event
  (``BEGIN; set_context; append_event; COMMIT``, what an agent appending as it goes does) or
  ten per transaction; 1 writer on one session (also with ``synchronous_commit = off`` for
  its transactions, which shows the CPU cost rather than the WAL flush), ``--writers`` on
  one session (they queue on the session's lock), ``--writers`` on a session each. Median
  of ``--rounds`` measurements, cogdb and baseline alternating. The committed events of
  every session are checked to be numbered 1 … n without a gap.
- **baseline**, same run, same shapes and transactions: a plain table with the same columns
  and indexes, without RLS, trigger or context, appended to by a plpgsql function that
  serialises the same way (the session's row lock, then max(seq) + 1). The ratio is what the
  rest costs: set_context (one more round trip per transaction), the policies, the checks.
- **cursor reads**: a session of ``--events`` events; pages of 100 after a random seq, and
  from a random time, inside an open scope (set_context not timed); baseline: the same
  SELECT on the plain table.
- **offloaded contexts**: prose, code, JSON, base64 and a short note, stored by
  offload_context: what TOAST keeps (pglz) against the text's size, zlib on the client for
  reference, the time to put and get, and whether the server offers lz4.

Medians are the figures to quote (the machine is shared). Results: bench/results/events.json.
"""
from __future__ import annotations

import argparse
import base64
import inspect
import json
import os
import platform
import random
import statistics
import threading
import time
import uuid
import zlib
from pathlib import Path

import psycopg

from .import_bench import OUT, SERVER_SETTINGS, start_server

APP_LOGIN = "cogdb_bench_events_app"
RESULTS = Path(__file__).resolve().parent / "results" / "events.json"
PAYLOAD = {"text": "merge to main, then promote the build to production", "tokens": 12}
FLAT = """
    CREATE SCHEMA IF NOT EXISTS bench;
    DROP TABLE IF EXISTS bench.flat_events, bench.flat_sessions;
    CREATE TABLE bench.flat_sessions (tenant_id uuid, id uuid, ended_at timestamptz,
                                      PRIMARY KEY (tenant_id, id));
    CREATE TABLE bench.flat_events (
        tenant_id uuid NOT NULL, id uuid NOT NULL DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL, seq bigint NOT NULL, event_type text NOT NULL,
        source_agent text, target_agent text, payload jsonb NOT NULL DEFAULT '{}',
        parent_event_id uuid, created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        appended_by uuid, owner_user_id uuid, visibility text NOT NULL DEFAULT 'private',
        PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, session_id, seq),
        FOREIGN KEY (tenant_id, session_id) REFERENCES bench.flat_sessions (tenant_id, id));
    CREATE INDEX ON bench.flat_events (tenant_id, session_id, created_at);
    CREATE INDEX ON bench.flat_events (tenant_id, parent_event_id)
        WHERE parent_event_id IS NOT NULL;
    -- The same serialisation as cogdb's (the session's row lock, then the next number), in
    -- one call, without the context, the policies or the checks.
    CREATE OR REPLACE FUNCTION bench.flat_append(p_tenant uuid, p_session uuid, p_payload jsonb)
        RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE v_seq bigint;
    BEGIN
        PERFORM FROM bench.flat_sessions s WHERE s.tenant_id = p_tenant AND s.id = p_session
            FOR NO KEY UPDATE;
        SELECT coalesce(max(e.seq), 0) + 1 INTO v_seq FROM bench.flat_events e
         WHERE e.tenant_id = p_tenant AND e.session_id = p_session;
        INSERT INTO bench.flat_events (tenant_id, session_id, seq, event_type, source_agent,
                                       payload)
        VALUES (p_tenant, p_session, v_seq, 'agent.reply', 'planner', p_payload);
        RETURN v_seq;
    END $$;
"""
FLAT_APPEND = "SELECT bench.flat_append(%(tenant)s, %(session)s, %(payload)s)"
COGDB_APPEND = ("SELECT seq FROM cogdb.append_event(%(session)s, 'agent.reply', %(payload)s,"
                " 'planner')")
SET_CONTEXT = "SELECT cogdb.set_context(%s::text, %s::text)"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


def prepare(url: str) -> tuple[str, str, str]:
    """Migrate, an app login, a tenant with a user, and the baseline tables."""
    from cogdb import AdminClient
    from cogdb.ops.migrate import migrate

    migrate(url, "head")
    with AdminClient(url) as admin:
        admin.ensure_app_login(APP_LOGIN)
        admin.secure_database()
        tenant = admin.create_tenant(f"events bench {uuid.uuid4().hex[:8]}").id
        user = admin.create_user(tenant, email=f"bench-{uuid.uuid4().hex[:8]}@events.bench").id
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(FLAT)
    app_url = url.replace("postgresql://postgres@", f"postgresql://{APP_LOGIN}@", 1)
    return app_url, str(tenant), str(user)


def new_sessions(app_url: str, admin_url: str, tenant: str, user: str, n: int) -> list[str]:
    """n cogdb sessions, each with its baseline session row under the same id."""
    with psycopg.connect(app_url) as conn:
        conn.execute(SET_CONTEXT, (tenant, user))
        ids = [str(conn.execute("SELECT cogdb.start_session(agent => 'bench')").fetchone()[0])
               for _ in range(n)]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for sid in ids:
            conn.execute("INSERT INTO bench.flat_sessions VALUES (%s, %s)", (tenant, sid))
    return ids


def append_run(url: str, kind: str, tenant: str, user: str, sessions: list[str], writers: int,
               per_txn: int, seconds: float, async_commit: bool = False) -> dict:
    """``writers`` threads append for ``seconds``; writer i uses sessions[i % len]."""
    payload = json.dumps(PAYLOAD)
    latencies: list[list[float]] = [[] for _ in range(writers)]
    counts = [0] * writers
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers + 1)
    stop = threading.Event()

    def writer(i: int) -> None:
        try:
            with psycopg.connect(url) as conn:
                params = {"tenant": tenant, "session": sessions[i % len(sessions)],
                          "payload": payload}
                statement = COGDB_APPEND if kind == "cogdb" else FLAT_APPEND
                barrier.wait()
                while not stop.is_set():
                    t0 = time.perf_counter()
                    with conn.transaction():
                        if kind == "cogdb":
                            conn.execute(SET_CONTEXT, (tenant, user))
                        if async_commit:
                            conn.execute("SET LOCAL synchronous_commit = off")
                        for _ in range(per_txn):
                            conn.execute(statement, params).fetchone()
                    latencies[i].append((time.perf_counter() - t0) * 1000)
                    counts[i] += per_txn
        except BaseException as exc:  # reported below
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    flat = [x for lane in latencies for x in lane]
    return {"kind": kind, "writers": writers, "sessions": len(sessions), "per_txn": per_txn,
            "events": sum(counts), "seconds": elapsed, "events_per_s": sum(counts) / elapsed,
            "txn_p50_ms": statistics.median(flat), "txn_p95_ms": pct(flat, 95)}


def call_costs(app_url: str, admin_url: str, tenant: str, user: str, calls: int) -> dict:
    """Median round trip of one call inside an open transaction (commit not timed):
    set_context, append_event, the baseline's append, and SELECT 1 (the round trip alone)."""
    session = new_sessions(app_url, admin_url, tenant, user, 1)[0]
    params = {"tenant": tenant, "user": user, "session": session, "payload": json.dumps(PAYLOAD)}
    cases = [("SELECT 1", app_url, "SELECT 1", False),
             ("set_context", app_url, "SELECT cogdb.set_context(%(tenant)s::text, %(user)s::text)",
              False),
             ("append_event", app_url, COGDB_APPEND, True),
             ("baseline append", admin_url, FLAT_APPEND, False)]
    out = {}
    for name, url, query, needs_context in cases:
        with psycopg.connect(url) as conn:
            ms = []
            for i in range(calls + 50):
                with conn.transaction():
                    conn.execute("SET LOCAL synchronous_commit = off")
                    if needs_context:
                        conn.execute(SET_CONTEXT, (tenant, user))
                    t0 = time.perf_counter()
                    conn.execute(query, params).fetchone()
                    if i >= 50:  # warm
                        ms.append((time.perf_counter() - t0) * 1000)
        out[name] = statistics.median(ms)
    return out


def offload_texts() -> dict[str, str]:
    """Kinds of context an assistant offloads, from files at hand: prose (this project's
    docs), source code (a standard-library module), JSON (tool output), base64 (an attached
    binary, incompressible), and a short note."""
    root = Path(__file__).resolve().parent.parent
    prose = "\n\n".join(p.read_text("utf-8") for p in [root / "README.md",
                                                         *sorted((root / "docs").glob("*.md"))])
    code = Path(inspect.__file__).read_text("utf-8")
    tool = json.dumps([{"name": n, "doc": (getattr(inspect, n).__doc__ or "")[:400],
                        "kind": type(getattr(inspect, n)).__name__}
                       for n in sorted(dir(inspect)) if not n.startswith("_")], indent=1)
    binary = base64.b64encode(random.Random(3).randbytes(48_000)).decode()
    return {"prose": prose, "code": code, "json": tool, "base64": binary,
            "note": prose[:1000]}


def offload_costs(app_url: str, tenant: str, user: str, repeat: int) -> dict:
    """Per kind of text: bytes, what TOAST stores (pglz, the column's method), the ratio,
    zlib level 6 on the client for reference, and the p50 of offload_context and
    get_offloaded. Whether the server could use lz4 is reported too."""
    vector = "[" + ",".join(["1"] + ["0"] * 383) + "]"
    out: dict = {"texts": {}}
    with psycopg.connect(app_url) as conn:
        conn.execute(SET_CONTEXT, (tenant, user))
        try:
            with conn.transaction():
                conn.execute("CREATE TEMP TABLE lz4_probe (t text COMPRESSION lz4)")
                raise psycopg.Rollback()
            out["lz4"] = "available"
        except psycopg.errors.FeatureNotSupported as exc:
            out["lz4"] = f"not available: {str(exc).splitlines()[0]}"
        except psycopg.Error as exc:
            out["lz4"] = f"not probed: {str(exc).splitlines()[0]}"
        for kind, text in offload_texts().items():
            put, get, row = [], [], None
            for _ in range(repeat):
                t0 = time.perf_counter()
                oid = conn.execute("SELECT cogdb.offload_context(%s, %s::vector)",
                                   (text, vector)).fetchone()[0]
                put.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                row = conn.execute("SELECT original_bytes, stored_bytes, compression_ratio,"
                                   " content FROM cogdb.get_offloaded(%s)", (oid,)).fetchone()
                get.append((time.perf_counter() - t0) * 1000)
            assert row is not None and row[3] == text
            raw = text.encode()
            out["texts"][kind] = {
                "bytes": row[0], "stored_bytes": row[1], "ratio": row[2],
                "zlib6_ratio": round(len(raw) / len(zlib.compress(raw, 6)), 2),
                "put_p50_ms": statistics.median(put), "get_p50_ms": statistics.median(get)}
        conn.rollback()
    return out


def check_gapless(admin_url: str, sessions: list[str]) -> None:
    with psycopg.connect(admin_url) as conn:
        for sid in sessions:
            n, lo, hi, distinct = conn.execute(
                "SELECT count(*), min(seq), max(seq), count(DISTINCT seq)"
                " FROM cogdb.events WHERE session_id = %s", (sid,)).fetchone()
            assert n == distinct == hi and (lo == 1 or n == 0), (
                f"session {sid}: {n} events, seq {lo}..{hi}, {distinct} distinct")


def load_session(app_url: str, admin_url: str, tenant: str, user: str, events: int) -> str:
    """One session of ``events`` events (and the same rows in the baseline table)."""
    sid = new_sessions(app_url, admin_url, tenant, user, 1)[0]
    with psycopg.connect(app_url) as conn:
        conn.execute(SET_CONTEXT, (tenant, user))
        conn.execute("INSERT INTO cogdb.events (session_id, event_type, source_agent, payload)"
                     " SELECT %s, 'agent.reply', 'planner', jsonb_build_object('i', i)"
                     " FROM generate_series(1, %s) i", (sid, events))
    with psycopg.connect(admin_url) as conn:
        conn.execute("INSERT INTO bench.flat_events (tenant_id, session_id, seq, event_type,"
                     " source_agent, payload, created_at)"
                     " SELECT tenant_id, session_id, seq, event_type, source_agent, payload,"
                     " created_at FROM cogdb.events WHERE session_id = %s", (sid,))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE cogdb.events, cogdb.sessions, bench.flat_events")
    return sid


def read_run(app_url: str, admin_url: str, tenant: str, user: str, sid: str, events: int,
             reads: int) -> list[dict]:
    rng = random.Random(7)
    afters = [rng.randrange(0, events - 100) for _ in range(reads)]
    with psycopg.connect(admin_url) as conn:
        times = [r[0] for r in conn.execute(
            "SELECT created_at FROM cogdb.events WHERE session_id = %s ORDER BY seq", (sid,))]
    starts = [times[a] for a in afters]
    queries = {
        ("cogdb", "cursor"): ("SELECT * FROM cogdb.list_events(%(session)s, %(after)s, 100)",
                              afters),
        ("baseline", "cursor"): ("SELECT * FROM bench.flat_events WHERE tenant_id = %(tenant)s"
                                 " AND session_id = %(session)s AND seq > %(after)s"
                                 " ORDER BY seq LIMIT 100", afters),
        ("cogdb", "time"): ("SELECT * FROM cogdb.list_events(%(session)s, 0, 100,"
                            " since => %(after)s)", starts),
        ("baseline", "time"): ("SELECT * FROM bench.flat_events WHERE tenant_id = %(tenant)s"
                               " AND session_id = %(session)s AND created_at >= %(after)s"
                               " ORDER BY created_at, seq LIMIT 100", starts),
    }
    out = []
    for (kind, how), (query, args) in queries.items():
        with psycopg.connect(app_url if kind == "cogdb" else admin_url) as conn:
            if kind == "cogdb":
                conn.execute(SET_CONTEXT, (tenant, user))
            for a in args[:20]:  # warm
                conn.execute(query, {"tenant": tenant, "session": sid, "after": a}).fetchall()
            ms = []
            for a in args:
                t0 = time.perf_counter()
                rows = conn.execute(query, {"tenant": tenant, "session": sid, "after": a}
                                    ).fetchall()
                ms.append((time.perf_counter() - t0) * 1000)
                assert len(rows) == 100, (kind, how, len(rows))
        out.append({"kind": kind, "read": how, "reads": len(ms), "page": 100,
                    "p50_ms": statistics.median(ms), "p95_ms": pct(ms, 95)})
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench events", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=3.0, help="per append measurement")
    ap.add_argument("--rounds", type=int, default=3,
                    help="measurements of each append shape (alternating cogdb and baseline)")
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--events", type=int, default=20_000, help="events of the read session")
    ap.add_argument("--reads", type=int, default=500)
    ap.add_argument("--home", help="bench server folder (default bench/out/home-events)")
    args = ap.parse_args(argv)

    def echo(line: str) -> None:
        print(line, flush=True)

    OUT.mkdir(parents=True, exist_ok=True)
    admin_url = start_server(Path(args.home) if args.home else OUT / "home-events", echo)
    app_url, tenant, user = prepare(admin_url)
    echo(f"server: {SERVER_SETTINGS}")
    w = args.writers
    plan = [("1 writer, 1 session", 1, 1, 1, False),
            ("1 writer, async commit", 1, 1, 1, True),
            (f"{w} writers, 1 session", w, 1, 1, False),
            (f"{w} writers, {w} sessions", w, w, 1, False),
            ("1 writer, 10 per txn", 1, 1, 10, False)]
    appends = []
    for label, writers, n_sessions, per_txn, async_commit in plan:
        rounds: dict[str, list[dict]] = {"cogdb": [], "baseline": []}
        for _ in range(args.rounds):  # alternating, so both see the same machine
            for kind in ("cogdb", "baseline"):
                sessions = new_sessions(app_url, admin_url, tenant, user, n_sessions)
                r = append_run(app_url if kind == "cogdb" else admin_url, kind, tenant, user,
                               sessions, writers, per_txn, args.seconds, async_commit)
                if kind == "cogdb":
                    check_gapless(admin_url, sessions)
                rounds[kind].append(r)
        for kind, runs in rounds.items():
            r = {"label": label, "kind": kind, "writers": writers, "sessions": n_sessions,
                 "per_txn": per_txn, "async_commit": async_commit, "rounds": runs,
                 "events_per_s": statistics.median(x["events_per_s"] for x in runs),
                 "txn_p50_ms": statistics.median(x["txn_p50_ms"] for x in runs),
                 "txn_p95_ms": statistics.median(x["txn_p95_ms"] for x in runs)}
            appends.append(r)
            echo(f"  append {label:<24} {kind:<8} {r['events_per_s']:>8,.0f} events/s"
                 f"  txn p50 {r['txn_p50_ms']:.2f} ms  p95 {r['txn_p95_ms']:.2f} ms")
    echo("  every cogdb session: seq 1..n, no gap, no duplicate")
    calls = call_costs(app_url, admin_url, tenant, user, 500)
    echo("  one call in an open transaction, p50: "
         + ", ".join(f"{k} {v:.3f} ms" for k, v in calls.items()))
    t0 = time.perf_counter()
    sid = load_session(app_url, admin_url, tenant, user, args.events)
    load_s = time.perf_counter() - t0
    echo(f"  loaded a session of {args.events:,} events in one INSERT … SELECT: {load_s:.1f} s")
    reads = read_run(app_url, admin_url, tenant, user, sid, args.events, args.reads)
    for r in reads:
        echo(f"  read {r['read']:<6} page of 100 {r['kind']:<8} p50 {r['p50_ms']:.2f} ms"
             f"  p95 {r['p95_ms']:.2f} ms")
    offload = offload_costs(app_url, tenant, user, 5)
    echo(f"  offload (TOAST, pglz; lz4 {offload['lz4']}):")
    for kind, r in offload["texts"].items():
        echo(f"    {kind:<7} {r['bytes']:>8,} bytes -> {r['stored_bytes']:>8,} stored, ratio"
             f" {r['ratio']:.2f} (zlib-6 on the client: {r['zlib6_ratio']:.2f});"
             f" put p50 {r['put_p50_ms']:.1f} ms, get p50 {r['get_p50_ms']:.1f} ms")
    with psycopg.connect(admin_url) as conn:
        version = conn.execute("SELECT version()").fetchone()[0]
    report = {"appends": appends, "calls_p50_ms": calls, "reads": reads, "load_s": load_s,
              "offload": offload,
              "args": vars(args),
              "server": {"version": version, "settings": SERVER_SETTINGS,
                         "cpus": os.cpu_count(), "machine": platform.machine()}}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    echo(f"written {RESULTS}")


if __name__ == "__main__":
    main()
