"""Revision 0008 on a database that already holds memories: they enter the text index
(hybrid search finds them, private ones only for their owner) and the tenant statistics,
read in each tenant's and user's context by the migration (FORCE RLS fences the owner)."""
from __future__ import annotations

import uuid

import psycopg
from helpers import vec
from psycopg import sql

import cogdb
from cogdb.ops import migrate


def test_upgrade_from_0007_indexes_and_counts_existing_memories(db, pg_server):
    name = f"cogdb_upgrade_{uuid.uuid4().hex[:8]}"
    db.super.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = pg_server.url(name)
        migrate.migrate(url, "0007")
        with psycopg.connect(url, autocommit=True) as conn:
            tenant = conn.execute("SELECT cogdb.create_tenant('Old')").fetchone()[0]
            ann = conn.execute("SELECT cogdb.create_user(%s::text, 'ann@old.example')",
                               (str(tenant),)).fetchone()[0]
            bob = conn.execute("SELECT cogdb.create_user(%s::text, 'bob@old.example')",
                               (str(tenant),)).fetchone()[0]
        app = cogdb.connect(pg_server.url(name, "cogdb_test_app"), pool_size=1)
        with app.scope(tenant, ann) as s:
            shared = s.remember("the quarterly platypus report", embedding=vec(1))
            private = s.remember("ann's private platypus notes", embedding=vec(2),
                                 private=True, source="manual")
        migrate.migrate(url, "head")
        with app.scope(tenant, ann) as s:
            assert {h.id for h in s.hybrid_search("platypus", embed=False)} == {shared, private}
            stats = s.stats()
        with app.scope(tenant, bob) as s:
            assert [h.id for h in s.hybrid_search("platypus", embed=False)] == [shared]
        app.close()
        assert stats["memories"]["total"] == 2
        assert stats["memories"]["by_visibility"] == {"private": 1, "tenant": 1}
        assert stats["memories"]["by_source"] == {"api": 1, "manual": 1}
    finally:
        db.super.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
