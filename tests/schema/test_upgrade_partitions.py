"""Revision 0009 on a database with data: memories becomes partitioned without losing a row,
an index or a foreign key, and `cogdb maintain` then promotes the large tenants.

The database starts at 0008 with two tenants, a per-tenant partial index built by the maintain
of that time, and a table of another layer (as later layers may add) whose foreign key references
memories (tenant_id, id) ON DELETE CASCADE. After the upgrade: the rows are in the DEFAULT
partition, the old index still serves searches, the foreign key references the partitioned
table; maintain promotes the large tenant (the referencing rows survive the move: their CASCADE
does not fire), swaps the old index for one on the partition; the key still cascades a real
delete; and the downgrade folds everything back into one table.
"""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

import numpy as np
import psycopg
import pytest
from helpers import APP_LOGIN
from pgvector.psycopg import register_vector
from psycopg import sql

import cogdb.ops.maintain
from cogdb.ops import migrate

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))
import bench.corpus  # noqa: E402

MODEL = "cogdb-hash-384"


@pytest.fixture
def old_database(db, pg_server):
    name = f"cogdb_upgrade_{uuid.uuid4().hex[:10]}"
    db.super.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield pg_server.url(name), pg_server.url(name, APP_LOGIN)
    db.super.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
        sql.Identifier(name)))


def _write(app_url: str, tenant, user, prefix: str, vecs: np.ndarray) -> None:
    with psycopg.connect(app_url) as conn:
        register_vector(conn)
        conn.execute("SELECT cogdb.set_context(%s::text, %s::text)", (str(tenant), str(user)))
        items = psycopg.types.json.Jsonb([{"id": f"{prefix}{i:04d}", "human_content": "m"}
                                          for i in range(len(vecs))])
        conn.execute("SELECT count(*) FROM cogdb.remember_many(%s, %s::vector[])",
                     (items, list(vecs)))


def _search(app_url: str, tenant, q) -> list[tuple]:
    with psycopg.connect(app_url) as conn:
        register_vector(conn)
        conn.execute("SELECT cogdb.set_context(%s::text)", (str(tenant),))
        return conn.execute("SELECT id, plan FROM cogdb.search(%s::vector, 5)", (q,)).fetchall()


def _policy_reads(policy: str, su: psycopg.Connection) -> set[str]:
    """The tables a policy's expressions depend on (other than its own)."""
    return {r[0] for r in su.execute(
        "SELECT DISTINCT d.refobjid::regclass::text FROM pg_policy p JOIN pg_depend d"
        " ON d.classid = 'pg_policy'::regclass AND d.objid = p.oid"
        " AND d.refclassid = 'pg_class'::regclass"
        " WHERE p.polname = %s AND d.refobjid <> p.polrelid", (policy,))} - {"cogdb.entities"}


def test_upgrade_keeps_rows_indexes_and_foreign_keys(old_database, db, pg_server):
    url, app_url = old_database
    assert migrate.migrate(url, "0008")[1] == "0008"
    vecs, _ = bench.corpus.vectors(450, 384, seed=3)
    with psycopg.connect(url, autocommit=True) as su:
        a = su.execute("SELECT cogdb.create_tenant('A', 'enterprise', 'ua')").fetchone()[0]
        b = su.execute("SELECT cogdb.create_tenant('B', 'personal', 'ub')").fetchone()[0]
        ua = su.execute("SELECT cogdb.create_user(%s::text, 'a@x.example')", (a,)).fetchone()[0]
        ub = su.execute("SELECT cogdb.create_user(%s::text, 'b@x.example')", (b,)).fetchone()[0]
    _write(app_url, a, ua, "a", vecs[:400])
    _write(app_url, b, ub, "b", vecs[400:])
    with psycopg.connect(url, autocommit=True) as su:
        su.execute("UPDATE cogdb.settings SET value = '300' WHERE key = 'search.ann_min_rows'")
        su.execute("UPDATE cogdb.settings SET value = '100' WHERE key = 'search.exact_max_rows'")
    # The maintain of revision 0008: a partial index on the whole table.
    steps = cogdb.ops.maintain.run(url, echo=lambda *_: None)
    assert [(s.action, s.error) for s in steps] == [("create", None)]
    legacy = steps[0].index_name
    with psycopg.connect(url, autocommit=True) as su:
        su.execute("SET ROLE cogdb_owner")
        su.execute("CREATE TABLE cogdb.notes (tenant_id uuid NOT NULL, memory_id text NOT NULL,"
                   " FOREIGN KEY (tenant_id, memory_id) REFERENCES cogdb.memories (tenant_id, id)"
                   " ON DELETE CASCADE)")
        su.execute("RESET ROLE")
        su.execute("INSERT INTO cogdb.notes SELECT %s, 'a' || lpad(i::text, 4, '0')"
                   " FROM generate_series(0, 9) i", (a,))
    assert _search(app_url, a, vecs[0])[0] == ("a0000", f"ann:{legacy}")

    assert migrate.migrate(url, "head")[1] == migrate.head_revision()
    with psycopg.connect(url, autocommit=True) as su:
        assert su.execute("SELECT relkind FROM pg_class WHERE oid = 'cogdb.memories'::regclass"
                          ).fetchone() == ("p",)
        counts = dict(su.execute("SELECT tableoid::regclass::text, count(*) FROM cogdb.memories"
                                 " GROUP BY 1"))
        assert counts == {"cogdb.memories_default": 450}
        assert su.execute("SELECT confrelid::regclass::text, pg_get_constraintdef(oid)"
                          " FROM pg_constraint WHERE conrelid = 'cogdb.notes'::regclass"
                          " AND contype = 'f' AND conparentid = 0").fetchall() == [
            ("cogdb.memories", "FOREIGN KEY (tenant_id, memory_id) REFERENCES "
                               "cogdb.memories(tenant_id, id) ON DELETE CASCADE")]
        assert su.execute("SELECT indrelid::regclass::text, indisvalid FROM pg_index"
                          " WHERE indexrelid = %s::regclass", (f"cogdb.{legacy}",)).fetchone() \
            == ("cogdb.memories_default", True)
        plan = [(r[1], r[2]) for r in su.execute(
            "SELECT step, action, index_name FROM cogdb.plan_maintenance() ORDER BY step")]
        part = su.execute("SELECT cogdb.partition_name(%s)", (a,)).fetchone()[0]
        # A policy of another table that reads memories follows the parent, not the DEFAULT
        # partition (which no role but the owner may read).
        assert _policy_reads("relationships__endpoints_visible", su) == {"cogdb.memories"}
    # The old index serves A until maintain runs.
    assert _search(app_url, a, vecs[0])[0] == ("a0000", f"ann:{legacy}")
    assert plan == [("promote", part), ("drop_legacy", legacy), ("create", legacy)]

    # A migrating role that is not a superuser cannot move rows under that CASCADE: the
    # promotion refuses (and leaves no fence behind), and the index steps of A wait for it.
    owner = f"cogdb_test_owner_{uuid.uuid4().hex[:8]}"
    db.super.execute(f"CREATE ROLE {owner} LOGIN")
    try:
        db.super.execute(f"GRANT cogdb_owner TO {owner}")
        dbname = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
        steps = cogdb.ops.maintain.run(pg_server.url(dbname, owner), echo=lambda *_: None)
    finally:
        db.super.execute(f"DROP ROLE {owner}")
    assert steps[0].action == "promote" and "notes_tenant_id_memory_id_fkey" in steps[0].error
    assert [s.error for s in steps[1:]] == ["skipped: the tenant's promotion failed"] * 2
    with psycopg.connect(url, autocommit=True) as su:
        assert su.execute("SELECT count(*) FROM pg_constraint WHERE conname LIKE"
                          " 'memories\\_default\\_not\\_%'").fetchone() == (0,)
        assert su.execute("SELECT count(*) FROM cogdb.notes").fetchone() == (10,)

    steps = cogdb.ops.maintain.run(url, echo=lambda *_: None)
    assert [(s.action, s.error) for s in steps] == [
        ("promote", None), ("drop_legacy", None), ("create", None)]
    with psycopg.connect(url, autocommit=True) as su:
        counts = dict(su.execute("SELECT tableoid::regclass::text, count(*) FROM cogdb.memories"
                                 " GROUP BY 1"))
        assert counts == {"cogdb.memories_default": 50, f"cogdb.{part}": 400}
        assert su.execute("SELECT count(*) FROM cogdb.notes").fetchone() == (10,), (
            "the promotion fired the CASCADE of a foreign key that references memories")
        assert su.execute("SELECT indrelid::regclass::text FROM pg_index"
                          " WHERE indexrelid = %s::regclass", (f"cogdb.{legacy}",)
                          ).fetchone() == (f"cogdb.{part}",)
    assert _search(app_url, a, vecs[0])[0] == ("a0000", f"ann:{legacy}")
    assert _search(app_url, b, vecs[400])[0] == ("b0000", "exact")
    # The key still acts: forgetting a referenced memory deletes its note.
    with psycopg.connect(app_url) as conn:
        conn.execute("SELECT cogdb.set_context(%s::text, %s::text)", (str(a), str(ua)))
        assert conn.execute("SELECT cogdb.forget('a0003')").fetchone() == (True,)
    with psycopg.connect(url, autocommit=True) as su:
        assert su.execute("SELECT count(*) FROM cogdb.notes").fetchone() == (9,)
        # and refuses a note of a memory that does not exist
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            su.execute("INSERT INTO cogdb.notes VALUES (%s, 'nope')", (a,))

    assert migrate.migrate(url, "0008")[1] == "0008"
    with psycopg.connect(url, autocommit=True) as su:
        assert su.execute("SELECT relkind, count(*) FROM pg_class c, cogdb.memories m"
                          " WHERE c.oid = 'cogdb.memories'::regclass GROUP BY 1").fetchone() \
            == ("r", 449)
        assert su.execute("SELECT count(*) FROM cogdb.notes").fetchone() == (9,)
        assert _policy_reads("relationships__endpoints_visible", su) == {"cogdb.memories"}
        assert su.execute("SELECT confrelid::regclass::text FROM pg_constraint"
                          " WHERE conrelid = 'cogdb.notes'::regclass AND contype = 'f'"
                          ).fetchall() == [("cogdb.memories",)]
    assert migrate.migrate(url, "head")[1] == migrate.head_revision()
