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

import psycopg
import pytest
from helpers import APP_LOGIN, SET_CONTEXT, assert_rls_applies, unit_vector
from pgvector.psycopg import register_vector


@pytest.fixture
def written(db, tenants, standby, replay):
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
    replay()
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
