"""The async client: what only it can get wrong (tasks, cancellation), plus the methods both
clients gained for the adapters (get_many, forget_many), run against both.

The rest of the contract is shared with the sync client: test_api_contract.py,
test_first_hour.py and test_smoke.py run each case against both (conftest's
``contract_client``).
"""
from __future__ import annotations

import asyncio

import psycopg
import pytest
from helpers import vec

import cogdb
from cogdb.db.pool import CONTEXT_QUERY


@pytest.fixture
def client(contract_client):
    return contract_client


def test_get_many_and_forget_many_in_input_order(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        ids = s.remember_many([{"id": i, "human": i} for i in ("x", "y", "z")],
                              [vec(0), vec(1), vec(2)])
        hidden = s.remember("mine", "", vec(3), private=True)
    with client.scope(tenants.a, tenants.a2) as s:
        got = s.get_many(["z", "missing", "x", hidden, "z"])
        assert [m.id for m in got] == ["z", "x"]
        assert got[0].human_content == "z" and got[0].embedding is not None
        assert s.get_many([]) == []
        # only the owner forgets an owned memory; another's private one looks missing
        assert s.forget_many(["y", hidden]) == 0
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.forget_many(["x", "missing", "x"]) == 1
        assert s.forget_many([]) == 0
        assert sorted(m.id for m in s.get_many([*ids, hidden])) == sorted(["y", "z", hidden])
    with client.scope(tenants.b) as s:
        assert s.get_many(ids) == [] and s.forget_many(ids) == 0
    with pytest.raises(cogdb.InvalidInput), client.scope(tenants.a) as s:
        s.get_many("x")


async def _context_of(pool_conn) -> tuple[str, str]:
    cur = await pool_conn.execute(CONTEXT_QUERY)
    return await cur.fetchone()


async def test_a_cancelled_scope_returns_its_connection_without_a_context(db, tenants):
    client = await cogdb.connect_async(db.app_url, pool_size=1)
    try:
        started = asyncio.Event()

        async def slow() -> None:
            async with client.scope(tenants.a, tenants.a1) as s:
                await s.remember("before the cancel", "", vec(0))
                started.set()
                await s.connection.execute("SELECT pg_sleep(30)")

        task = asyncio.create_task(slow())
        await started.wait()
        await asyncio.sleep(0.2)  # the sleep is running on the server
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=10)
        # The pool has one connection: it came back, carries no context, and its
        # transaction (the memory written before the cancel) was rolled back.
        async with client.pool.connection() as conn:
            assert await _context_of(conn) == ("", "")
            cur = await conn.execute("SELECT count(*) FROM pg_stat_activity"
                                     " WHERE query LIKE 'SELECT pg_sleep(30)%%'"
                                     " AND state = 'active'")
            assert (await cur.fetchone())[0] == 0
        async with client.scope(tenants.a, tenants.a1) as s:
            assert await s.list_memories() == []
            assert len(await s.search(vec(0))) == 0
    finally:
        await client.close()


async def test_an_error_in_a_scope_rolls_back_and_leaves_no_context(db, tenants):
    client = await cogdb.connect_async(db.app_url, pool_size=1)
    try:
        with pytest.raises(cogdb.InvalidInput):
            async with client.scope(tenants.a) as s:
                await s.remember("kept?", "", vec(0))
                await s.search(vec(0), k=0)
        with pytest.raises(ZeroDivisionError):
            async with client.scope(tenants.a) as s:
                await s.remember("kept?", "", vec(0))
                1 / 0  # noqa: B018
        async with client.pool.connection() as conn:
            assert await _context_of(conn) == ("", "")
        async with client.scope(tenants.a) as s:
            assert await s.list_memories() == []
        # a context left at session level by foreign code: the pool discards the connection
        async with client.pool.connection() as conn:
            await conn.execute("SELECT set_config('app.tenant_id', %s, false)",
                               (str(tenants.a),))
        async with client.pool.connection() as conn:
            assert await _context_of(conn) == ("", "")
        assert client.pool.get_stats().get("returns_bad", 0) >= 1
    finally:
        await client.close()


async def test_scopes_nest_in_no_task_but_run_side_by_side_in_many(db, tenants):
    async with await cogdb.connect_async(db.app_url, pool_size=2) as client:
        async with client.scope(tenants.a) as s:
            with pytest.raises(cogdb.IsolationViolation):
                async with client.scope(tenants.b):
                    pass
            await s.remember("a's", "", vec(0))

        async def count_in(tenant) -> int:
            async with client.scope(tenant) as s:
                await asyncio.sleep(0.05)  # both scopes are open at once
                return len(await s.search(vec(0), k=10))

        assert await asyncio.gather(count_in(tenants.a), count_in(tenants.b)) == [1, 0]


async def test_the_async_scope_refuses_rls_bypassing_roles(db, tenants):
    client = await cogdb.connect_async(db.url(), pool_size=1)  # the superuser
    try:
        with pytest.raises(cogdb.UnsafeRole):
            async with client.scope(tenants.a):
                pass
    finally:
        await client.close()


def test_an_async_scope_outlives_its_block_only_as_a_refusal(db, tenants):
    async def main() -> None:
        async with await cogdb.connect_async(db.app_url, pool_size=1) as client:
            async with client.scope(tenants.a) as s:
                pass
            with pytest.raises(cogdb.CogdbError, match="scope has ended"):
                s.connection  # noqa: B018
    asyncio.run(main())
    assert isinstance(psycopg.AsyncConnection, type)
