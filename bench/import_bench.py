"""Node-import benchmark: `cogdb import nodes` as the app login, under RLS, at 1024 dimensions.

    python -m bench import --rows 100k            # about a minute
    python -m bench import --rows 1m              # the full figure (writes ~5 GB of input)

On one embedded server of its own (``--home``, default bench/out/home-import), as cogdb
creates it (sized for the machine; the settings are printed in the report), it:

1. writes a corpus in the seeds' format (corpus/nodes.json + vectors/nodes.npy, 1024-d unit
   vectors, realistic field mix: ~150-600 characters of question and answer, tags, cluster
   fields) into a temporary folder;
2. runs the import as the app login into a fresh personal tenant whose default model has
   1024 dimensions, timed end to end (validation pass included, no index builds: the
   memories table has only its b-tree keys), with the importer's own phase timings;
3. profiles the parts apart: the JSON reader alone, reader + validation/encoding, and on
   the server (as the superuser, rolled back) the same INSERT ... SELECT from a staging table
   with all triggers, without the per-row check_memory_row trigger, and without the
   statement-level count trigger;
4. measures a floor in the same run: the same rows COPYed by the superuser, with the same
   number of connections, into a bare table of the same shape (no keys, indexes, checks,
   triggers or RLS), from bytes encoded in advance: what this machine's PostgreSQL takes
   to store them at all;
5. prints the row shape, the server settings, the figures (with the CPU each side spent
   per row: at 20,000 rows/s two cores have 100 us per row in all) and the ratio to the
   floor, and writes bench/out/import-<rows>.json.

A figure, never a timed test.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg

OUT = Path(__file__).resolve().parent / "out"
MODEL, DIMS = "bench-import-1024", 1024
APP_LOGIN = "cogdb_bench_import_app"
#: Reported with the figures (the server runs with what cogdb set when it created it).
SERVER_SETTINGS = ("shared_buffers", "work_mem", "maintenance_work_mem", "synchronous_commit",
                   "wal_level", "wal_compression", "max_wal_size", "checkpoint_timeout",
                   "full_page_writes", "jit")
_WORDS = ("deploy rotate logs kubernetes pod restart memory leak cache index query plan python "
          "function retry backoff timeout schema migration tenant vector search budget meeting "
          "draft email summary invoice travel recipe garden")
WORDS = tuple(_WORDS.split(" "))


def parse_rows(text: str) -> int:
    text = text.lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text[:-1] if text[-1] in "km" else text) * mult)


def write_corpus(folder: Path, rows: int, seed: int = 1) -> dict:
    """The seeds' store with realistic records; vectors written in chunks (never all in RAM
    at 1M x 1024)."""
    rnd = random.Random(seed)
    (folder / "corpus").mkdir(parents=True)
    (folder / "vectors").mkdir(parents=True)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    intents = ["question", "request", "statement", "command", "feedback"]
    modes = ["chat", "task", "debug", "brainstorm", "learning"]

    def sentence(lo: int, hi: int) -> str:
        return " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(lo, hi)))

    with open(folder / "corpus" / "nodes.json", "w", encoding="utf-8") as out:
        out.write("[")
        for i in range(rows):
            rec = {
                "id": f"mem_{uuid.UUID(int=rnd.getrandbits(128)).hex[:16]}{i:08x}",
                "conversation_id": f"conv_{i // 6:08d}", "sequence_index": i % 6,
                "human_content": sentence(8, 40) + "?", "assistant_content": sentence(20, 80),
                "source": "import",
                "created_at": (t0 + timedelta(seconds=37 * i)).isoformat(),
                "intent_type": intents[i % 5], "complexity": "moderate",
                "technical_depth": i % 11, "emotional_valence": "neutral", "urgency": "low",
                "conversation_mode": modes[i % 5], "action_required": i % 3 == 0,
                "has_code": i % 4 == 0, "has_error": i % 9 == 0,
                "tags": [rnd.choice(WORDS), rnd.choice(WORDS)], "cluster_id": i % 50,
                "cluster_label": f"cluster {i % 50}", "cluster_confidence": round(rnd.random(), 3),
                "access_count": i % 7, "last_accessed": None,
                "tenant_id": "ignored", "user_id": "ignored",
            }
            out.write(("\n" if i == 0 else ",\n") + json.dumps(rec))
        out.write("\n]\n")
    vecs = np.lib.format.open_memmap(folder / "vectors" / "nodes.npy", mode="w+",
                                     dtype=np.float32, shape=(rows, DIMS))
    rng = np.random.default_rng(seed)
    for start in range(0, rows, 50_000):
        block = rng.standard_normal((min(50_000, rows - start), DIMS), dtype=np.float32)
        vecs[start:start + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    vecs.flush()
    del vecs
    size = (folder / "corpus" / "nodes.json").stat().st_size
    return {"rows": rows, "dims": DIMS, "nodes_json_bytes": size,
            "json_bytes_per_record": round(size / max(rows, 1)),
            "vector_bytes_per_record": 4 * DIMS}


def start_server(home: Path, echo) -> str:
    os.environ["COGDB_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    from cogdb.db import embedded

    return embedded.start(home).url()


def prepare(url: str, revision: str = "head") -> tuple[str, uuid.UUID]:
    """Migrate (to ``revision``), register the 1024-d model, an app login, and a fresh
    personal tenant."""
    from cogdb import AdminClient
    from cogdb.ops.migrate import migrate

    migrate(url, revision)
    with AdminClient(url) as admin:
        admin.register_model(MODEL, DIMS, description="import benchmark")
        admin.ensure_app_login(APP_LOGIN)
        admin.secure_database()
        tenant = admin.create_tenant(f"import bench {time.strftime('%H%M%S')}",
                                     default_model=MODEL).id
    app_url = url.replace("postgresql://postgres@", f"postgresql://{APP_LOGIN}@", 1)
    return app_url, tenant


def profile_client(folder: Path, ctx) -> dict:
    from cogdb.io.jsonstream import iter_json_array
    from cogdb.io.nodes import NODES_FILE
    from cogdb.io.records import encode_record

    path = folder / NODES_FILE
    t0 = time.perf_counter()
    n = sum(1 for _ in iter_json_array(path))
    t1 = time.perf_counter()
    for _, rec in iter_json_array(path):
        encode_record(rec, ctx)
    t2 = time.perf_counter()
    return {"records": n, "json_read_s": round(t1 - t0, 3),
            "json_read_plus_validate_encode_s": round(t2 - t1, 3),
            "validate_encode_only_s": round((t2 - t1) - (t1 - t0), 3)}


def encoded_payload(folder: Path, ctx, count: int, id_prefix: str = "") -> tuple[bytes, int]:
    """The first `count` records of the corpus as one binary COPY stream (the importer's own
    encoding, vectors included), and how many rows it holds."""
    from cogdb.io.jsonstream import iter_json_array
    from cogdb.io.nodes import NODES_FILE, VECTORS_FILE
    from cogdb.io.records import copy_payload, encode_record

    rows = []
    for _, rec in iter_json_array(folder / NODES_FILE):
        rec["id"] = id_prefix + rec["id"]
        rows.append(encode_record(rec, ctx)[0])
        if len(rows) == count:
            break
    vectors = np.load(folder / VECTORS_FILE, mmap_mode="r")[:len(rows)]
    return copy_payload(rows, vectors), len(rows)


def profile_server(url: str, tenant: uuid.UUID, folder: Path, ctx, sample: int) -> dict:
    """The server's share, on `sample` real records staged by COPY as the superuser (context
    set by hand; every run rolled back): rows/s of the whole merge statement, of a plain
    INSERT ... SELECT, and of that INSERT without the per-row check_memory_row trigger,
    without each statement-level trigger (counts, audit, statistics, text index, batch
    check) and without any trigger (foreign-key checks included)."""
    from psycopg import sql

    from cogdb.io import loader

    payload, sampled = encoded_payload(folder, ctx, sample, id_prefix="profile_")
    insert = sql.SQL("INSERT INTO cogdb.memories ({c}, model, embedding) SELECT {c},"
                     " %(model)s, embedding FROM pg_temp.cogdb_import_stage").format(
        c=loader.COLUMNS)
    variants = {"merge statement (what the import runs)": (loader.MERGE, []),
                "plain INSERT ... SELECT": (insert, []),
                "  without check_memory_row": (insert, ["memories_check_row_inserts"]),
                "  without the count trigger": (insert, ["memories_count_inserts"]),
                "  without the audit trigger": (insert, ["memories_audit_inserts"]),
                "  without the statistics trigger": (insert, ["memories_stats_inserts"]),
                "  without the text index trigger": (insert, ["memories_index_text_inserts"]),
                "  without the batch check": (insert, ["memories_check_batch_inserts"]),
                "  without any trigger (FK checks too)": (insert, ["ALL"])}
    out: dict = {"sample_rows": sampled}
    with psycopg.connect(url) as conn:
        existing = {r[0] for r in conn.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'cogdb.memories'::regclass")}
        for name, (query, disabled) in variants.items():
            if not set(disabled) - {"ALL"} <= existing:
                continue
            conn.execute("SELECT set_config('app.tenant_id', %s, true),"
                         " set_config('app.context_xact', cogdb.context_stamp(), true)",
                         (str(tenant),))
            conn.execute(loader.CREATE_STAGE)
            t0 = time.perf_counter()
            with conn.cursor().copy(loader.COPY_TO_STAGE) as copy:
                copy.write(payload)
            out.setdefault("copy_to_stage", round(sampled / (time.perf_counter() - t0)))
            for trig in disabled:
                conn.execute(sql.SQL("ALTER TABLE cogdb.memories DISABLE TRIGGER {}").format(
                    sql.SQL("ALL") if trig == "ALL" else sql.Identifier(trig)))
            t1 = time.perf_counter()
            conn.execute(query, {"model": MODEL, "tenant": tenant})
            out[name.strip()] = round(sampled / (time.perf_counter() - t1))
            conn.rollback()
    return out


def postgres_cpu_seconds() -> float:
    """User + system CPU of every postgres process on this machine (the embedded server is
    local), from /proc; exited backends are not counted, so read it while they live."""
    hz = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if stat[stat.index("(") + 1:stat.rindex(")")].startswith("postgres"):
            fields = stat[stat.rindex(")") + 2:].split()
            total += (int(fields[11]) + int(fields[12])) / hz
    return total


def floor_copy(url: str, folder: Path, ctx, rows: int, workers: int) -> dict:
    """The floor: `rows` rows COPYed by the superuser over `workers` connections into a bare
    table shaped like cogdb.memories, from one batch of real records encoded in advance and
    sent again and again (the bare table has no key), so nearly all the time is the
    server's."""
    import threading

    from psycopg import sql

    from cogdb.io.loader import COLUMNS

    payload, batch = encoded_payload(folder, ctx, 1000)
    copy = sql.SQL("COPY public.cogdb_bench_floor ({}, embedding) FROM STDIN (FORMAT BINARY)"
                   ).format(COLUMNS)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS public.cogdb_bench_floor")
        conn.execute("CREATE TABLE public.cogdb_bench_floor (LIKE cogdb.memories)"
                     " WITH (toast_tuple_target = 8160)")
        conn.execute("ALTER TABLE public.cogdb_bench_floor"
                     " ALTER COLUMN embedding SET STORAGE PLAIN,"
                     " ALTER COLUMN tenant_id SET DEFAULT gen_random_uuid(),"
                     f" ALTER COLUMN model SET DEFAULT '{MODEL}'")
        conn.execute("CHECKPOINT")

    errors: list[BaseException] = []
    # Connections stay open until the CPU is read: an exited backend's CPU is gone from /proc.
    connected, finished, release = threading.Barrier(workers + 1), threading.Barrier(
        workers + 1), threading.Event()

    def worker(count: int) -> None:
        try:
            with psycopg.connect(url) as conn:
                connected.wait()
                try:
                    for _ in range(0, count, batch):
                        with conn.cursor().copy(copy) as cp:
                            cp.write(payload)
                        conn.commit()
                finally:
                    finished.wait()
                    release.wait()
        except BaseException as exc:  # re-raised in the main thread
            errors.append(exc)
            connected.abort()
            finished.abort()

    per_worker = max(rows // workers // batch, 1) * batch
    threads = [threading.Thread(target=worker, args=(per_worker,)) for _ in range(workers)]
    for t in threads:
        t.start()
    try:
        connected.wait()
        cpu0, t0 = postgres_cpu_seconds(), time.perf_counter()
        finished.wait()
        seconds, cpu = time.perf_counter() - t0, postgres_cpu_seconds() - cpu0
    except threading.BrokenBarrierError:
        pass  # a worker failed: its error is raised below
    release.set()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE public.cogdb_bench_floor")
    done = per_worker * workers
    return {"rows": done, "workers": workers, "rows_per_s": round(done / seconds),
            "server_cpu_us_per_row": round(cpu / done * 1e6, 1)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench import", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default="100k", help="corpus size, e.g. 100k or 1m")
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2, help="writer connections")
    ap.add_argument("--home", help="bench server folder (default bench/out/home-import)")
    ap.add_argument("--profile-sample", type=int, default=10_000)
    ap.add_argument("--keep-corpus", help="write the corpus here and keep it")
    ap.add_argument("--floor-rows", default="200k", help="rows for the floor (bare COPY)")
    ap.add_argument("--revision", default="head",
                    help="migrate a new server to this revision (an earlier one to compare"
                         " with; needs a fresh --home)")
    args = ap.parse_args(argv)
    rows = parse_rows(args.rows)

    def echo(line: str) -> None:
        print(line, flush=True)

    OUT.mkdir(parents=True, exist_ok=True)
    home = Path(args.home) if args.home else OUT / "home-import"
    folder = Path(args.keep_corpus) if args.keep_corpus else Path(
        tempfile.mkdtemp(prefix="cogdb-import-bench-"))
    report: dict = {"rows": rows, "started": time.ctime(), "cpus": os.cpu_count(),
                    "machine": platform.machine(), "batch_size": args.batch_size,
                    "workers": args.workers}
    echo(f"== cogdb node-import benchmark: {rows:,} nodes at {DIMS}-d ==")
    try:
        if not (folder / "corpus" / "nodes.json").exists():
            t0 = time.perf_counter()
            report["shape"] = write_corpus(folder, rows)
            echo(f"corpus written in {time.perf_counter() - t0:.0f} s: {report['shape']}")
        url = start_server(home, echo)
        with psycopg.connect(url) as conn:
            report["server"] = {
                "version": conn.execute("SELECT version()").fetchone()[0],
                "settings": {k: conn.execute(f"SHOW {k}").fetchone()[0]
                             for k in SERVER_SETTINGS}}
        app_url, tenant = prepare(url, args.revision)
        with psycopg.connect(url) as conn:
            report["revision"] = conn.execute("SELECT version_num FROM cogdb.alembic_version"
                                              ).fetchone()[0]
        import cogdb
        from cogdb.io.loader import preflight
        from cogdb.io.nodes import import_nodes

        with cogdb.connect(app_url, pool_size=args.workers) as client:
            _, _, ctx = preflight(client, tenant, None, None)
            usage0, server0 = resource.getrusage(resource.RUSAGE_SELF), postgres_cpu_seconds()
            t0 = time.perf_counter()
            result = import_nodes(client, tenant, folder, batch_size=args.batch_size,
                                  workers=args.workers)
            seconds = time.perf_counter() - t0
            usage1, server1 = resource.getrusage(resource.RUSAGE_SELF), postgres_cpu_seconds()
        assert result.imported == rows and result.ok, result
        client_cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
        report["import"] = {"seconds": round(seconds, 2), "nodes_per_s": round(rows / seconds),
                            "client_cpu_us_per_row": round(client_cpu / rows * 1e6, 1),
                            "server_cpu_us_per_row": round((server1 - server0) / rows * 1e6, 1),
                            "phases_s": {k: round(v, 2) for k, v in result.timings.items()}}
        with psycopg.connect(url) as conn:
            size = conn.execute("SELECT pg_table_size('cogdb.memories')").fetchone()[0]
            count = conn.execute("SELECT count(*) FROM cogdb.memories").fetchone()[0]
        report["shape"] = {**report.get("shape", {}), "columns": 30,
                           "table_bytes_per_row": round(size / max(count, 1))}
        imp_report = report["import"]
        echo(f"import: {rows:,} nodes in {seconds:.1f} s = {rows / seconds:,.0f} nodes/s; CPU "
             f"per row: client {imp_report['client_cpu_us_per_row']} us, server "
             f"{imp_report['server_cpu_us_per_row']} us (phases: {imp_report['phases_s']})")
        floor = floor_copy(url, folder, ctx, parse_rows(args.floor_rows), args.workers)
        floor["import_over_floor"] = round(rows / seconds / floor["rows_per_s"], 3)
        report["floor_bare_copy"] = floor
        echo(f"floor (superuser COPY into a bare table of the same shape, {floor['workers']} "
             f"connections): {floor['rows_per_s']:,} rows/s, server CPU "
             f"{floor['server_cpu_us_per_row']} us/row; the import runs at "
             f"{floor['import_over_floor']:.2f} of it")
        report["profile_client"] = profile_client(folder, ctx)
        report["profile_server_rows_per_s"] = profile_server(url, tenant, folder, ctx,
                                                             args.profile_sample)
    finally:
        if not args.keep_corpus:
            shutil.rmtree(folder, ignore_errors=True)
    echo(json.dumps(report, indent=2))
    (OUT / f"import-{args.rows.lower()}.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
