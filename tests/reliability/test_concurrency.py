"""Concurrency, each with its expected outcome (what exists elsewhere is not repeated: entity
upserts of one key, tests/knowledge/test_entities.py; two imports of one store,
tests/io/test_import_nodes.py; migrations of two databases at once,
tests/schema/test_migrations.py; a cancelled async scope, tests/memories/test_async_client.py).

- store_put of one key from several connections at once: one item, its vectors from one put;
- remember of one explicit id at once: one row, every other caller a clean Conflict;
- a sync scope cancelled mid-query: the caller gets the error, the pooled connection comes
  back without context or leftover settings;
- a statement timeout inside a scope: the same;
- a pool exhausted by slow scopes: PoolExhausted after pool_timeout, not a hang; once the
  slow scope ends the pool serves again.
"""
from __future__ import annotations

import json
import threading
import time

import pytest
from helpers import count, unit_vector, vec

import cogdb

THREADS = 6


def _run_all(target, n=THREADS):
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = ("ok", target(i))
        except BaseException as exc:  # collected and asserted by the caller
            results[i] = ("error", exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    return results


def test_concurrent_store_puts_of_one_key_leave_one_item_and_one_puts_vectors(db, tenants):
    clients = [cogdb.connect(db.app_url, pool_size=1) for _ in range(THREADS)]
    item = json.dumps([{"namespace": ["race"], "key": "k", "value": {"v": 0}}])
    keys = json.dumps([{"item": 1, "field": "a"}, {"item": 1, "field": "b"}])
    try:
        def put(i):
            for round_ in range(5):
                with clients[i].scope(tenants.a) as s:
                    s.connection.execute(
                        "SELECT cogdb.store_put(%s, %s, ARRAY[%s::vector, %s::vector])",
                        (item.replace('"v": 0', f'"v": {i * 10 + round_}'), keys,
                         vec(i), vec(i, second=THREADS + round_)))
        results = _run_all(put)
    finally:
        for c in clients:
            c.close()
    assert [r[0] for r in results] == ["ok"] * THREADS, [r for r in results if r[0] != "ok"]
    assert count(db, tenants.a, table="store_items") == 1
    rows = db.super.execute("SELECT i.value ->> 'v', v.field, v.embedding::text"
                            " FROM cogdb.store_items i JOIN cogdb.store_vectors v"
                            " USING (tenant_id, namespace, key) ORDER BY v.field").fetchall()
    assert [r[1] for r in rows] == ["a", "b"]
    # the item's value and both vectors come from one writer's put (vec(i): 1.0 at i)
    writer = int(rows[0][0]) // 10
    for _, _, text in rows:
        assert [float(x) for x in text.strip("[]").split(",")].index(1.0) == writer, rows


def test_concurrent_remembers_of_one_id_store_one_row_and_refuse_the_rest(db, tenants):
    clients = [cogdb.connect(db.app_url, pool_size=1) for _ in range(THREADS)]
    try:
        def remember(i):
            with clients[i].scope(tenants.a, tenants.a1) as s:
                return s.remember(f"writer {i}", "", vec(i), id="same-id")
        results = _run_all(remember)
    finally:
        for c in clients:
            c.close()
    ok = [r for r in results if r[0] == "ok"]
    refused = [r[1] for r in results if r[0] == "error"]
    assert len(ok) == 1 and ok[0][1] == "same-id"
    assert all(isinstance(e, cogdb.Conflict) for e in refused), refused
    assert count(db, tenants.a) == 1


@pytest.fixture
def one(db):
    c = cogdb.connect(db.app_url, pool_size=1, pool_timeout=0.5)
    yield c
    c.close()


def _clean(one, tenants, pid=None):
    """The next scope on the pool of one: no leftover context or settings."""
    with one.scope(tenants.b) as s:
        row = s.connection.execute(
            "SELECT pg_backend_pid(), current_setting('statement_timeout'),"
            " (SELECT count(*) FROM cogdb.memories WHERE tenant_id = %s)",
            (tenants.a,)).fetchone()
    assert row[1] == "0" and row[2] == 0, row
    return row[0]


def _wait_for_sleep(db, deadline=20.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if db.super.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE"
                            " 'SELECT pg_sleep(%' AND state = 'active'").fetchone()[0]:
            return
        time.sleep(0.02)
    raise AssertionError("the slow query never started")


def test_a_scope_cancelled_mid_query_returns_a_clean_connection(one, db, tenants):
    with one.scope(tenants.a, tenants.a1) as s:
        s.remember("kept", "", unit_vector())
    handle: list = []
    outcome: list = []

    def slow():
        try:
            with one.scope(tenants.a, tenants.a1) as s:
                handle.append(s.connection)
                s.remember("lost with the cancel", "", unit_vector(hot=2))
                s.connection.execute("SELECT pg_sleep(30)")
        except cogdb.CogdbError as exc:
            outcome.append(exc)

    t = threading.Thread(target=slow, daemon=True)
    t.start()
    _wait_for_sleep(db)
    handle[0].cancel_safe()
    t.join(timeout=30)
    assert not t.is_alive()
    assert len(outcome) == 1 and outcome[0].sqlstate == "57014", outcome
    assert count(db, tenants.a) == 1  # the cancelled scope's write was rolled back
    _clean(one, tenants)


def test_a_statement_timeout_inside_a_scope_leaves_nothing_behind(one, db, tenants):
    with pytest.raises(cogdb.CogdbError) as info, one.scope(tenants.a, tenants.a1) as s:
        s.remember("rolled back", "", unit_vector())
        s.connection.execute("SET LOCAL statement_timeout = '50ms'")
        s.connection.execute("SELECT pg_sleep(5)")
    assert info.value.sqlstate == "57014"
    assert count(db, tenants.a) == 0
    _clean(one, tenants)
    # control: the same scope without the timeout commits
    with one.scope(tenants.a, tenants.a1) as s:
        s.remember("kept", "", unit_vector())
    assert count(db, tenants.a) == 1


def test_an_exhausted_pool_gives_a_clear_error_not_a_hang(one, db, tenants):
    started = threading.Event()

    def slow():
        with one.scope(tenants.a) as s:
            started.set()
            s.connection.execute("SELECT pg_sleep(2)")

    t = threading.Thread(target=slow, daemon=True)
    t.start()
    assert started.wait(20)
    with pytest.raises(cogdb.PoolExhausted) as info, one.scope(tenants.b):
        pass
    assert "busy" in str(info.value) and info.value.hint
    t.join(timeout=30)
    assert not t.is_alive()
    _clean(one, tenants)  # control: once the slow scope ended, the pool serves again


async def test_an_exhausted_async_pool_gives_a_clear_error(db, tenants):
    import asyncio

    client = await cogdb.connect_async(db.app_url, pool_size=1, pool_timeout=0.5)
    try:
        gate = asyncio.Event()

        async def slow():
            async with client.scope(tenants.a) as s:
                gate.set()
                await s.connection.execute("SELECT pg_sleep(2)")

        task = asyncio.create_task(slow())
        await asyncio.wait_for(gate.wait(), 20)
        with pytest.raises(cogdb.PoolExhausted):
            async with client.scope(tenants.b):
                pass
        await asyncio.wait_for(task, 30)
        async with client.scope(tenants.b) as s:  # control
            assert await (await s.connection.execute("SELECT 1")).fetchone() == (1,)
    finally:
        await client.close()
