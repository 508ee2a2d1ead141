"""Connection failures fail at once, in one `error:` line and one `hint:` line with libpq's
reason: an unreachable server, a missing database or login, a database without the cogdb
schema (the pool used to retry for 15 s and end with "pool initialization incomplete")."""
from __future__ import annotations

import subprocess
import sys
import time

import psycopg
import pytest
from helpers import cli, one_error

import cogdb
from cogdb.config import EMBEDDED_APP_LOGIN

TENANT = "6f1c2b3a-0000-4000-8000-000000000001"
#: A TCP port nothing listens on (1 is privileged and unused) and a socket folder that is absent.
REFUSED = "postgresql://cogdb@127.0.0.1:1/cogdb"
NO_SOCKET = "postgresql://postgres@/nodb?host=/nonexistent-cogdb-socket&port=1"
#: Generous: the behaviour checked is "no retrying until a pool timeout" (15 s before).
PROMPT = 2.0


@pytest.mark.parametrize("url", [REFUSED, NO_SOCKET], ids=["refused", "no-socket"])
def test_an_unreachable_server_fails_at_once_in_one_line(db, url):
    started = time.monotonic()
    r = cli(db, "search", "--tenant", TENANT, "anything", app_url=url, admin_url=url)
    elapsed = time.monotonic() - started
    error, hint = one_error(r, "cannot connect to")
    assert elapsed < PROMPT, f"took {elapsed:.1f} s"
    assert "Connection refused" in error or "No such file or directory" in error
    assert "Is the server running?" in hint
    assert "error connecting" not in r.output and "pool" not in r.output
    started = time.monotonic()
    with pytest.raises(cogdb.ServerUnavailable):
        cogdb.connect(url)
    assert time.monotonic() - started < PROMPT


def test_missing_database_and_login(db, pg_server):
    missing = pg_server.url("cogdb_no_such_database")
    _, hint = one_error(cli(db, "search", "--tenant", TENANT, "x", app_url=missing),
                        'database "cogdb_no_such_database" does not exist')
    assert "createdb cogdb_no_such_database" in hint
    _, hint = one_error(cli(db, "tenant", "list", admin_url=missing), "does not exist")
    nobody = pg_server.url(db.name, "cogdb_no_such_login")
    _, hint = one_error(cli(db, "search", "--tenant", TENANT, "x", app_url=nobody),
                        'role "cogdb_no_such_login" does not exist')
    assert "CREATE ROLE cogdb_no_such_login" in hint


def test_the_embedded_app_login_missing_says_quickstart(db, pg_server):
    url = pg_server.url(db.name, EMBEDDED_APP_LOGIN)
    with pytest.raises(cogdb.NotMigrated) as info:
        cogdb.connect(url)
    assert "cogdb quickstart" in info.value.hint and "cogdb migrate" in info.value.hint


def test_a_database_without_the_schema(db, pg_server):
    name = f"{db.name}_bare"
    db.super.execute(f'CREATE DATABASE "{name}"')
    try:
        url = pg_server.url(name)
        with pytest.raises(cogdb.NotMigrated) as info:
            cogdb.connect(url)
        assert "has no cogdb schema" in info.value.message
        _, hint = one_error(cli(db, "search", "--tenant", TENANT, "x", app_url=url),
                            "has no cogdb schema")
        assert "cogdb migrate" in hint
    finally:
        db.super.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.mark.slow
def test_a_real_process_prints_two_lines_and_no_pool_warnings():
    env = {"COGDB_DATABASE_URL": REFUSED, "COGDB_ADMIN_URL": REFUSED, "PATH": "/usr/bin:/bin"}
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "cogdb", "search", "--tenant", TENANT, "x"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 10  # the interpreter's start-up included
    lines = proc.stderr.splitlines()
    assert proc.returncode == 1 and len(lines) == 2, proc.stderr
    assert lines[0].startswith("error: cannot connect to 127.0.0.1:1: Connection refused")
    assert lines[1].startswith("hint: ")


def test_connect_timeout_is_kept_when_given():
    from cogdb.db.pool import connect_timeout

    assert connect_timeout("postgresql://x@h/db") == {"connect_timeout": 5}
    assert connect_timeout("postgresql://x@h/db?connect_timeout=30") == {}
    assert connect_timeout("host=h connect_timeout=1") == {}
    with pytest.raises(psycopg.ProgrammingError):
        psycopg.conninfo.conninfo_to_dict("not a url ===")
    assert connect_timeout("not a url ===") == {"connect_timeout": 5}
