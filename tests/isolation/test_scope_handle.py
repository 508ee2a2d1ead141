"""A connection handle kept past its scope stops working; it never runs in the next request's
context.

With a pool of one connection, the next scope (tenant B's) gets the very session tenant A's
scope used (the backend pid proves it). A handle taken inside A's scope — the connection, a
cursor, a COPY — is refused from the moment A's scope ends (ScopeRequired), while B's scope is
open too, so it can neither read B's rows nor write into B (a client-side cursor still hands
out the rows it received inside A's scope). Positive controls: the same handles work inside
their own scope, and B's own handle reads B's row. Sync and async.
"""
from __future__ import annotations

import pytest
from helpers import assert_rls_applies, count, unit_vector

import cogdb

READ = "SELECT human_content FROM cogdb.memories"
WRITE = "SELECT cogdb.remember('planted', 'x', %s::vector)"


@pytest.fixture
def one(db):
    c = cogdb.connect(db.app_url, pool_size=1)
    yield c
    c.close()


def _seed(one, tenants):
    for tenant, user, hot in ((tenants.a, tenants.a1, 1), (tenants.b, tenants.b1, 2)):
        with one.scope(tenant, user) as s:
            s.remember(f"secret of {tenant}", "x", unit_vector(hot=hot))


def test_a_kept_connection_cursor_or_copy_is_refused_in_the_next_scope(one, db, tenants):
    _seed(one, tenants)
    with one.scope(tenants.a, tenants.a1) as s:
        h = s.connection
        assert_rls_applies(h)
        pid = h.execute("SELECT pg_backend_pid()").fetchone()[0]
        cur = h.cursor()
        # control: inside its scope the handle and its cursor read A's row
        assert h.execute(READ).fetchall() == [(f"secret of {tenants.a}",)]
        assert cur.execute(READ).fetchall() == [(f"secret of {tenants.a}",)]
        with h.cursor() as c2:
            assert c2.execute("SELECT 1").fetchone() == (1,)
    before = count(db, tenants.b)
    with one.scope(tenants.b, tenants.b1) as s:
        assert s.connection.execute("SELECT pg_backend_pid()").fetchone()[0] == pid
        for attempt in (lambda: h.execute(READ), lambda: h.execute(WRITE, (unit_vector(),)),
                        lambda: cur.execute(READ), lambda: cur.executemany(READ, []),
                        lambda: h.cursor(), lambda: h.pgconn,
                        lambda: h.transaction(), lambda: h.autocommit):
            with pytest.raises(cogdb.ScopeRequired):
                attempt()
        # what a cursor received inside its scope stays readable (no round trip)
        assert cur.fetchall() == [] and cur.rowcount == 1
        # control: B's own handle reads B's row
        assert s.connection.execute(READ).fetchall() == [(f"secret of {tenants.b}",)]
    assert count(db, tenants.b) == before
    with pytest.raises(cogdb.ScopeRequired):
        s.connection  # noqa: B018 - the ended scope refuses to hand one out at all


async def test_a_kept_async_connection_is_refused_in_the_next_scope(db, tenants):
    client = await cogdb.connect_async(db.app_url, pool_size=1)
    try:
        async with client.scope(tenants.a, tenants.a1) as s:
            await s.remember("secret of a", "x", unit_vector(hot=1))
            h = s.connection
            cur = await h.execute(READ)
            assert await cur.fetchall() == [("secret of a",)]  # control
            async with h.cursor() as c2:
                await c2.execute("SELECT 1")
        async with client.scope(tenants.b, tenants.b1) as s:
            with pytest.raises(cogdb.ScopeRequired):
                await h.execute(WRITE, (unit_vector(),))
            with pytest.raises(cogdb.ScopeRequired):
                await cur.execute(READ)
            got = await (await s.connection.execute("SELECT count(*) FROM cogdb.memories")
                         ).fetchone()
            assert got == (0,)  # control: B's own handle works, and nothing was planted
    finally:
        await client.close()
