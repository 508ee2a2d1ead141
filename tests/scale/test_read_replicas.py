"""A Client with read replicas, against a real streaming replica (tests/scale/conftest.py).

Read-only scopes run on the replica (``pg_is_in_recovery()`` on the scope's own connection),
every other scope on the primary. While the replica's replay is paused (the lag a reader can
meet), a read-only scope shows the state before the write; one asking for read-your-writes
reads on the primary after ``replica_wait`` and, once replay resumes, waits and reads its
write on the replica. A replica that is absent, or whose connection is lost, sends reads to
the next replica or the primary with a warning, never an error.
"""
from __future__ import annotations

import asyncio
import json
import logging
from contextlib import contextmanager

import psycopg
import pytest
from helpers import APP_LOGIN, cli, one_error

import cogdb

IN_RECOVERY = "SELECT pg_is_in_recovery()"


@pytest.fixture
def replica_url(db, tenants, standby, replay) -> str:
    replay()  # the test's database and tenants exist on the standby
    return standby.url(db.name, APP_LOGIN)


@pytest.fixture
def rclient(db, replica_url):
    c = cogdb.connect(db.app_url, pool_size=2, replicas=[replica_url], replica_wait=0.2)
    yield c
    c.close()


def _on_replica(s) -> bool:
    return s.connection.execute(IN_RECOVERY).fetchone()[0]


@contextmanager
def replay_paused(standby):
    """The standby receives the primary's WAL but applies none of it (the lag a reader can
    meet, held still)."""
    with psycopg.connect(standby.url("postgres"), autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
        try:
            yield
        finally:
            conn.execute("SELECT pg_wal_replay_resume()")


def _dead_url(db) -> str:
    return f"postgresql://{APP_LOGIN}@/{db.name}?host=/nonexistent-cogdb-replica&port=1"


def test_reads_go_to_the_replica_and_writes_to_the_primary(rclient, tenants, replay):
    with rclient.scope(tenants.a, tenants.a1) as s:
        assert not _on_replica(s)
        mid = s.remember("deploys?", "merge to main")
    replay()
    with rclient.scope(tenants.a, tenants.a1, read_only=True) as s:
        assert _on_replica(s)
        assert s.get(mid) is not None
        assert [h.id for h in s.search("deploys?", k=5)] == [mid]
        assert [m.id for m in s.list_memories(5)] == [mid]
    # the isolation holds there: another tenant's read-only scope does not see it
    with rclient.scope(tenants.b, tenants.b1, read_only=True) as s:
        assert _on_replica(s)
        assert s.get(mid) is None
        assert s.search("deploys?", k=5) == []


def test_a_read_only_scope_refuses_writes_on_the_replica_and_the_primary(db, rclient,
                                                                        tenants):
    with pytest.raises(cogdb.CogdbError) as err, \
            rclient.scope(tenants.a, tenants.a1, read_only=True) as s:
        s.remember("no", "writes here")
    assert err.value.sqlstate == "25006"
    with cogdb.connect(db.app_url, pool_size=1) as primary_only:
        with pytest.raises(cogdb.CogdbError) as err, \
                primary_only.scope(tenants.a, tenants.a1, read_only=True) as s:
            assert not _on_replica(s)
            s.remember("no", "writes here")
        assert err.value.sqlstate == "25006"
        with primary_only.scope(tenants.a, tenants.a1) as s:  # positive control
            assert s.remember("yes", "a write scope writes")


def test_lag_read_your_writes_waits_or_reads_on_the_primary(rclient, tenants, standby,
                                                            replay, caplog):
    with rclient.scope(tenants.a, tenants.a1) as s:
        before = s.remember("before the pause", "replayed")
    replay()
    with replay_paused(standby):
        with rclient.scope(tenants.a, tenants.a1) as s:
            during = s.remember("during the pause", "not replayed yet")
        # without read-your-writes: the replica's state, from before the write
        with rclient.scope(tenants.a, tenants.a1, read_only=True) as s:
            assert _on_replica(s)
            assert s.get(before) is not None
            assert s.get(during) is None
        # with it: replica_wait (0.2 s) passes, the scope reads on the primary
        with caplog.at_level(logging.INFO, logger="cogdb.replicas"), \
                rclient.scope(tenants.a, tenants.a1, read_only=True, read_your_writes=True) as s:
            assert not _on_replica(s)
            assert s.get(during) is not None
        assert "reading on the primary" in caplog.text
    # replay resumed: the scope waits for the replica, which then shows the write
    rclient.replicas.wait = 30.0
    with rclient.scope(tenants.a, tenants.a1, read_only=True, read_your_writes=True) as s:
        assert _on_replica(s)
        assert s.get(during) is not None


def test_read_your_writes_as_the_clients_default(db, replica_url, tenants, standby):
    with cogdb.connect(db.app_url, pool_size=1, replicas=[replica_url],
                       read_your_writes=True, replica_wait=0.2) as c, replay_paused(standby):
        with c.scope(tenants.a, tenants.a1) as s:
            mid = s.remember("mine", "read it back")
        with c.scope(tenants.a, tenants.a1, read_only=True) as s:
            assert s.get(mid) is not None and not _on_replica(s)
        # a scope may opt out: the replica's older state
        with c.scope(tenants.a, tenants.a1, read_only=True, read_your_writes=False) as s:
            assert s.get(mid) is None and _on_replica(s)


def test_a_replica_that_is_down_sends_reads_elsewhere_with_a_warning(db, replica_url, tenants,
                                                                    caplog):
    with cogdb.connect(db.app_url, pool_size=1) as c, c.scope(tenants.a, tenants.a1) as s:
        mid = s.remember("still", "readable")
    dead = _dead_url(db)
    with caplog.at_level(logging.WARNING, logger="cogdb.replicas"):
        # the first healthy replica takes the read
        with cogdb.connect(db.app_url, pool_size=1, replicas=[dead, replica_url]) as c:
            for _ in range(2):
                with c.scope(tenants.a, tenants.a1, read_only=True) as s:
                    assert _on_replica(s)
        # no healthy replica: the primary, never an error
        with cogdb.connect(db.app_url, pool_size=1, replicas=[dead]) as c, \
                c.scope(tenants.a, tenants.a1, read_only=True) as s:
            assert not _on_replica(s)
            assert s.get(mid) is not None
    assert "nonexistent-cogdb-replica" in caplog.text and "left out" in caplog.text


def test_a_lost_replica_connection_falls_back(db, rclient, tenants, standby):
    with rclient.scope(tenants.a, tenants.a1, read_only=True) as s:
        assert _on_replica(s)  # the replica's pool now holds a connection
    with psycopg.connect(standby.url("postgres"), autocommit=True) as su:
        su.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                   "WHERE usename = %s AND datname = %s", (APP_LOGIN, db.name))
    with rclient.scope(tenants.a, tenants.a1, read_only=True) as s:  # no error
        assert s.list_memories(5) == []
        assert not _on_replica(s)  # the pooled connection was dead: the primary


def test_the_async_client_routes_the_same_way(db, replica_url, tenants, standby):
    async def main() -> None:
        c = await cogdb.connect_async(db.app_url, pool_size=1, replicas=[replica_url],
                                      replica_wait=0.2)
        try:
            with replay_paused(standby):
                async with c.scope(tenants.a, tenants.a1) as s:
                    assert not await _on_replica_async(s)
                    mid = await s.remember("async", "write")
                async with c.scope(tenants.a, tenants.a1, read_only=True) as s:
                    assert await _on_replica_async(s)
                    assert await s.get(mid) is None
                async with c.scope(tenants.a, tenants.a1, read_only=True,
                                   read_your_writes=True) as s:
                    assert not await _on_replica_async(s)
                    assert await s.get(mid) is not None
        finally:
            await c.close()

    asyncio.run(main())


async def _on_replica_async(s) -> bool:
    cur = await s.connection.execute(IN_RECOVERY)
    return (await cur.fetchone())[0]


def test_cli_reads_on_the_replica(db, rclient, replica_url, tenants, standby):
    t, u = str(tenants.a), str(tenants.a1)
    with replay_paused(standby):
        with rclient.scope(tenants.a, tenants.a1) as s:
            mid = s.remember("cli", "not replayed yet")
        on_primary = cli(db, "get", mid, "--tenant", t, "--user", u, "--json")
        assert on_primary.exit_code == 0, on_primary.output
        on_replica = cli(db, "get", mid, "--tenant", t, "--user", u, "--json",
                         "--replica", replica_url)
        assert on_replica.exit_code == 1 and on_replica.stdout.strip() == "null"
        listed = cli(db, "list", "--tenant", t, "--user", u, "--json", "--replica", replica_url)
        assert listed.exit_code == 0 and '"memories": []' in listed.stdout
        found = cli(db, "search", "cli", "--tenant", t, "--user", u, "--json",
                    "--replica", replica_url)
        assert found.exit_code == 0 and found.stdout.strip() == "[]"


def test_cli_knowledge_reads_and_export_on_the_replica(db, rclient, replica_url, tenants,
                                                       replay, tmp_path):
    t, u = str(tenants.a), str(tenants.a1)
    with rclient.scope(tenants.a, tenants.a1) as s:
        s.upsert_entity("Ada", type="person")
        s.upsert_entity("Babbage", type="person")
        s.relate("Ada", "Babbage", "relates_to")
        s.remember("exported", "from the replica")
    replay()
    for args in (("entity", "get", "Ada"), ("entity", "list"), ("relationships", "Ada"),
                 ("neighbors", "Ada")):
        result = cli(db, *args, "--tenant", t, "--user", u, "--json", "--replica", replica_url)
        assert result.exit_code == 0, (args, result.output)
        assert json.loads(result.stdout), args  # found, on the replica
    exported = cli(db, "export", "nodes", "--tenant", t, "--user", u, "--data-dir",
                   str(tmp_path), "--json", "--replica", replica_url)
    assert exported.exit_code == 0, exported.output
    assert '"exported": 1' in exported.stdout


def test_cli_db_replicas_shows_the_lag(db, replica_url, standby, replay):
    dead = _dead_url(db)
    result = cli(db, "db", "replicas", "--replica", replica_url, "--replica", dead, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    streaming, down = report["replicas"]
    assert streaming["state"] == "streaming" and streaming["in_recovery"] is True
    assert down["state"] == "unreachable" and down["error"]
    with replay_paused(standby):
        with psycopg.connect(db.url(), autocommit=True) as su:  # a write the replica holds
            su.execute("CREATE TABLE public.lag_probe AS SELECT 1 AS x")
        paused = json.loads(cli(db, "db", "replicas", "--replica", replica_url,
                                "--json").stdout)["replicas"][0]
        assert paused["state"] == "replay_paused" and paused["lag_bytes"] > 0
    none = cli(db, "db", "replicas")
    one_error(none, "no replicas given")


def test_replicas_take_reads_in_turn(db, replica_url, tenants):
    first, second = (f"{replica_url}&application_name=replica-{n}" for n in (1, 2))
    with cogdb.connect(db.app_url, pool_size=1, replicas=[first, second]) as c:
        seen = []
        for _ in range(4):
            with c.scope(tenants.a, tenants.a1, read_only=True) as s:
                assert _on_replica(s)
                seen.append(s.connection.execute(
                    "SELECT current_setting('application_name')").fetchone()[0])
    assert seen == ["replica-1", "replica-2", "replica-1", "replica-2"]


def test_replica_settings_are_checked(db, replica_url, monkeypatch):
    with pytest.raises(cogdb.InvalidInput) as err:
        cogdb.connect(db.app_url, replicas=replica_url)
    assert err.value.field == "replicas"
    with pytest.raises(cogdb.InvalidInput) as err:
        cogdb.connect(db.app_url, replicas=[replica_url], replica_wait=-1)
    assert err.value.field == "replica_wait"
    monkeypatch.setenv("COGDB_REPLICA_URLS", f"{replica_url}, {_dead_url(db)}")
    with cogdb.connect(db.app_url, pool_size=1) as c:
        assert c.replicas.urls == [replica_url, _dead_url(db)]
    with cogdb.connect(db.app_url, pool_size=1, replicas=[]) as c:  # given beats the variable
        assert not c.replicas


def test_the_async_client_falls_back_with_a_warning(db, replica_url, tenants, standby,
                                                    caplog):
    async def main() -> None:
        c = await cogdb.connect_async(db.app_url, pool_size=1,
                                      replicas=[_dead_url(db), replica_url])
        try:
            async with c.scope(tenants.a, tenants.a1, read_only=True) as s:
                assert await _on_replica_async(s)  # the healthy one
            await asyncio.sleep(0.5)  # the pool's reset of the returned connection is done
            with psycopg.connect(standby.url("postgres"), autocommit=True) as su:
                su.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE usename = %s AND datname = %s", (APP_LOGIN, db.name))
            async with c.scope(tenants.a, tenants.a1, read_only=True) as s:  # no error
                assert await s.list_memories(5) == []
                assert not await _on_replica_async(s)  # both left out: the primary
        finally:
            await c.close()

    with caplog.at_level(logging.WARNING, logger="cogdb.replicas"):
        asyncio.run(main())
    assert "nonexistent-cogdb-replica" in caplog.text
