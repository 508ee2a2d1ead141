"""Database-enforced isolation, exercised as the non-superuser app login.

Every check runs on a connection whose role is neither superuser nor BYPASSRLS (each helper
calls ``assert_rls_applies``), sets its context with ``cogdb.set_context`` as the first
statement of the transaction, and sits beside a positive control: the same query in the
right context does return the row, so a test that cannot fail shows up as such. Data is
seeded through the API (``cogdb.remember`` / ``remember_many`` as the app login inside each
tenant's context); the superuser connection (``db.super``) only counts ground truth.

SQLSTATEs: CGA01 scope required, CGA02 isolation violation, CGA03 unsafe role, CGV01
invalid input, CGN01 not found, 42501 privileges or row-level security.
"""
from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import numpy as np
import psycopg
import pytest
from helpers import SET_CONTEXT, assert_rls_applies, refused, unit_vector, vec
from helpers import count as memory_count
from psycopg import sql

import cogdb

NO_ROWS_OR_ERROR = {"22P02"}  # a malformed context may only raise invalid_text_representation


# --------------------------------------------------------------------------- helpers

def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def _begin(conn: psycopg.Connection, tenant: Any = None, user: Any = None) -> None:
    """Start a fresh transaction on the app connection; set_context is its first statement."""
    assert_rls_applies(conn)
    conn.rollback()
    if tenant is not None:
        conn.execute("SELECT cogdb.set_context(%s::text, %s::text)", (_s(tenant), _s(user)))


def run(conn: psycopg.Connection, query: str | sql.Composable, params: Any = (), *,
        tenant: Any = None, user: Any = None) -> tuple[int, list[tuple]]:
    """Run ``query`` in its own transaction (in the given context), roll back, return
    (rowcount, rows)."""
    _begin(conn, tenant, user)
    try:
        cur = conn.execute(query, params)
        rows = cur.fetchall() if cur.description else []
        return cur.rowcount, rows
    finally:
        conn.rollback()


def ids(conn: psycopg.Connection, table: str = "memories", *, tenant: Any = None,
        user: Any = None) -> set:
    """The ids of ``cogdb.<table>`` visible in the given context (none: no context)."""
    query = sql.SQL("SELECT id FROM {}").format(sql.Identifier("cogdb", table))
    return {r[0] for r in run(conn, query, tenant=tenant, user=user)[1]}


def search_ids(conn: psycopg.Connection, vector: np.ndarray, *, tenant: Any = None,
               user: Any = None, k: int = 100) -> list[str]:
    rows = run(conn, "SELECT id FROM cogdb.search(%s::vector, %s::integer)", (vector, k),
               tenant=tenant, user=user)[1]
    return [r[0] for r in rows]


def get_ids(conn: psycopg.Connection, memory_id: str, *, tenant: Any = None,
            user: Any = None) -> list[str]:
    rows = run(conn, "SELECT id FROM cogdb.get(%s::text)", (memory_id,),
               tenant=tenant, user=user)[1]
    return [r[0] for r in rows]


def truth(db, query: str | sql.Composable, params: Any = ()) -> Any:
    """Ground truth as the superuser (never used for isolation assertions)."""
    return db.super.execute(query, params).fetchone()[0]


def content_of(db, tenant: Any, memory_id: str) -> str:
    return truth(db, "SELECT human_content FROM cogdb.memories WHERE tenant_id = %s AND id = %s",
                 (tenant, memory_id))


INSERT_MEMORY = ("INSERT INTO cogdb.memories (id, human_content, model, embedding)"
                 " VALUES (%s, 'inserted by hand', 'cogdb-hash-384', %s::vector)")
INSERT_MEMORY_FOR_TENANT = (
    "INSERT INTO cogdb.memories (tenant_id, id, human_content, model, embedding)"
    " VALUES (%s::uuid, %s, 'inserted by hand', 'cogdb-hash-384', %s::vector)")
INSERT_MEMORY_FOR_OWNER = (
    "INSERT INTO cogdb.memories (owner_user_id, visibility, id, human_content, model, embedding)"
    " VALUES (%s::uuid, 'private', %s, 'inserted by hand', 'cogdb-hash-384', %s::vector)")


@pytest.fixture
def seeded(client, tenants, db) -> SimpleNamespace:
    """Memories written through the API as the app login, each in its own tenant's context.

    Tenant A: a1 private + a1 shared (remember_many), a2 private, a shared memory written
    without a user. Tenant B: b1 shared + b1 private. Each memory has its own hot dimension.
    """
    with client.scope(tenants.a, tenants.a1) as s:
        a1_private, a1_shared = s.remember_many(
            [{"human": "a1 private note", "assistant": "secret of a1", "visibility": "private"},
             {"human": "a1 shared note", "assistant": "for all of A"}],
            [vec(1), vec(2)])
    with client.scope(tenants.a, tenants.a2) as s:
        a2_private = s.remember("a2 private note", "secret of a2", vec(3), private=True)
    with client.scope(tenants.a) as s:
        a_shared = s.remember("A team note", "written without a user", vec(4))
    with client.scope(tenants.b, tenants.b1) as s:
        b1_shared = s.remember("b1 shared note", "for all of B", vec(5))
        b1_private = s.remember("b1 private note", "secret of b1", vec(6), private=True)
    ns = SimpleNamespace(
        a1_private=a1_private, a1_shared=a1_shared, a2_private=a2_private, a_shared=a_shared,
        b1_shared=b1_shared, b1_private=b1_private, hot={
            a1_private: 1, a1_shared: 2, a2_private: 3, a_shared: 4, b1_shared: 5,
            b1_private: 6})
    ns.a_all = {a1_private, a1_shared, a2_private, a_shared}
    ns.b_all = {b1_shared, b1_private}
    ns.a_public = {a1_shared, a_shared}
    # what a1 may change or forget: its own memories and the ownerless one
    ns.a1_writable = {a1_private, a1_shared, a_shared}
    # Ground truth: everything was written, in the right tenant.
    assert memory_count(db, tenants.a) == 4 and memory_count(db, tenants.b) == 2
    return ns


# --------------------------------------------------------------------------- the whole matrix

def test_who_sees_and_changes_what(app_conn, db, tenants, seeded):
    """Every context against every row: what it reads, updates and deletes. The expected sets
    are non-empty wherever access is right, so each line is its own positive control.
    (First in the file: a loosened policy shows up here within seconds.)"""
    s = seeded
    contexts = {
        "none": (None, None, set(), set(), set(), set()),
        "A": (tenants.a, None, s.a_public, {s.a_shared}, {tenants.a1, tenants.a2}, {tenants.a}),
        "A/a1": (tenants.a, tenants.a1, s.a_public | {s.a1_private}, s.a1_writable,
                 {tenants.a1, tenants.a2}, {tenants.a}),
        "A/a2": (tenants.a, tenants.a2, s.a_public | {s.a2_private}, {s.a2_private, s.a_shared},
                 {tenants.a1, tenants.a2}, {tenants.a}),
        "B": (tenants.b, None, {s.b1_shared}, set(), {tenants.b1}, {tenants.b}),
        "B/b1": (tenants.b, tenants.b1, s.b_all, s.b_all, {tenants.b1}, {tenants.b}),
    }
    seen = {}
    for name, (tenant, user, reads, writes, users, tenant_rows) in contexts.items():
        ctx = {"tenant": tenant, "user": user}
        seen[name] = {
            "reads": ids(app_conn, **ctx),
            "updates": {r[0] for r in run(app_conn, "UPDATE cogdb.memories SET summary = 'x'"
                                          " RETURNING id", **ctx)[1]},
            "deletes": {r[0] for r in run(app_conn, "DELETE FROM cogdb.memories RETURNING id",
                                          **ctx)[1]},
            "users": ids(app_conn, "users", **ctx),
            "tenants": ids(app_conn, "tenants", **ctx),
        }
        expected = {"reads": reads, "updates": writes, "deletes": writes, "users": users,
                    "tenants": tenant_rows}
        assert seen[name] == expected, name
    assert memory_count(db) == 6  # everything above was rolled back


# --------------------------------------------------------------------------- no context

@pytest.mark.parametrize("table", ["memories", "users", "tenants"])
def test_no_context_reads_no_rows(app_conn, db, tenants, seeded, table):
    assert truth(db, sql.SQL("SELECT count(*) FROM {}").format(
        sql.Identifier("cogdb", table))) > 0
    assert ids(app_conn, table) == set()
    # control: the same query in tenant A's context sees A's rows
    expected = {"memories": seeded.a_public, "users": {tenants.a1, tenants.a2},
                "tenants": {tenants.a}}[table]
    assert ids(app_conn, table, tenant=tenants.a) == expected


def test_no_context_search_and_get_return_nothing(app_conn, tenants, seeded):
    target = seeded.a1_shared
    vector = vec(seeded.hot[target])
    assert search_ids(app_conn, vector) == []
    assert get_ids(app_conn, target) == []
    # control
    assert search_ids(app_conn, vector, tenant=tenants.a)[0] == target
    assert get_ids(app_conn, target, tenant=tenants.a) == [target]


def test_no_context_insert_is_refused(app_conn, db, tenants, seeded):
    before = memory_count(db)
    assert refused(app_conn, INSERT_MEMORY, ("mem_by_hand", vec(7))) == "CGA01"
    # naming a tenant explicitly does not help either
    assert refused(app_conn, INSERT_MEMORY_FOR_TENANT,
                   (str(tenants.a), "mem_by_hand", vec(7))) == "CGA01"
    assert memory_count(db) == before
    # control: the same INSERT in A's context works (tenant_id defaults to the context's)
    count, _ = run(app_conn, INSERT_MEMORY, ("mem_by_hand", vec(7)), tenant=tenants.a)
    assert count == 1


def test_no_context_remember_is_refused(app_conn, db, tenants, seeded):
    before = memory_count(db)
    assert refused(app_conn, "SELECT cogdb.remember('h', 'a', %s::vector)", (vec(7),)) == "CGA01"
    assert refused(app_conn, "SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                   ('[{"human_content": "h"}]', [vec(7)])) == "CGA01"
    assert memory_count(db) == before
    # control
    _, rows = run(app_conn, "SELECT cogdb.remember('h', 'a', %s::vector)", (vec(7),),
                  tenant=tenants.a)
    assert rows[0][0].startswith("mem_")
    _, rows = run(app_conn, "SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                  ('[{"human_content": "h"}]', [vec(7)]), tenant=tenants.a)
    assert len(rows) == 1


def test_no_context_forget_is_refused(app_conn, db, tenants, seeded):
    assert refused(app_conn, "SELECT cogdb.forget(%s)", (seeded.a1_shared,)) == "CGA01"
    assert memory_count(db, tenants.a) == 4
    # control
    _, rows = run(app_conn, "SELECT cogdb.forget(%s)", (seeded.a1_shared,), tenant=tenants.a,
                  user=tenants.a1)
    assert rows == [(True,)]


def test_no_context_update_and_delete_affect_nothing(app_conn, db, tenants, seeded):
    before = memory_count(db)
    count, _ = run(app_conn, "UPDATE cogdb.memories SET human_content = 'changed'")
    assert count == 0
    count, _ = run(app_conn, "DELETE FROM cogdb.memories")
    assert count == 0
    assert memory_count(db) == before
    assert content_of(db, tenants.a, seeded.a1_shared) == "a1 shared note"
    # control: in a1's context both touch the rows a1 may change
    count, _ = run(app_conn, "UPDATE cogdb.memories SET human_content = 'changed'",
                   tenant=tenants.a, user=tenants.a1)
    assert count == len(seeded.a1_writable)
    count, _ = run(app_conn, "DELETE FROM cogdb.memories", tenant=tenants.a, user=tenants.a1)
    assert count == len(seeded.a1_writable)


@pytest.mark.parametrize("tenant_ctx", [False, True], ids=["no-context", "context"])
@pytest.mark.parametrize("statement", [
    "INSERT INTO cogdb.users (email) VALUES ('new@a.example')",
    "UPDATE cogdb.users SET email = 'x@a.example'",
    "DELETE FROM cogdb.users",
    "INSERT INTO cogdb.tenants (name) VALUES ('rogue')",
    "UPDATE cogdb.tenants SET settings = '{\"features\": {\"chat_import\": true}}'",
    "DELETE FROM cogdb.tenants",
], ids=["insert-users", "update-users", "delete-users", "insert-tenants", "update-tenants",
        "delete-tenants"])
def test_users_and_tenants_writes_need_privileges_the_app_lacks(app_conn, tenants, statement,
                                                                 tenant_ctx):
    tenant = tenants.a if tenant_ctx else None
    assert refused(app_conn, statement, tenant=tenant) == "42501"
    # control: the app may read its own tenant's rows in context
    assert ids(app_conn, "users", tenant=tenants.a) == {tenants.a1, tenants.a2}


@pytest.mark.parametrize("tenant_ctx", [False, True], ids=["no-context", "context"])
@pytest.mark.parametrize("statement", [
    "SELECT * FROM cogdb.identities",
    "INSERT INTO cogdb.identities (auth_provider, external_id, tenant_id, user_id)"
    " VALUES ('p', 'x', gen_random_uuid(), gen_random_uuid())",
    "UPDATE cogdb.identities SET external_id = 'x'",
    "DELETE FROM cogdb.identities",
], ids=["select", "insert", "update", "delete"])
def test_identities_are_out_of_reach(app_conn, db, admin, tenants, statement, tenant_ctx):
    tag = uuid.uuid4().hex[:8]
    user = admin.create_user(tenants.a, email=f"idp-{tag}@a.example", auth_provider="idp",
                             external_id=f"ext-{tag}")
    assert truth(db, "SELECT count(*) FROM cogdb.identities WHERE external_id = %s",
                 (f"ext-{tag}",)) == 1
    assert refused(app_conn, statement, tenant=tenants.a if tenant_ctx else None) == "42501"
    # control: the narrow definer function is the app's only way in
    _, rows = run(app_conn, "SELECT tenant_id, user_id FROM cogdb.resolve_identity('idp', %s)",
                  (f"ext-{tag}",))
    assert rows == [(tenants.a, user.id)]


# --------------------------------------------------------------------------- ended / malformed

def test_ended_context_sees_nothing(app_conn, tenants, seeded):
    _begin(app_conn, tenants.a, tenants.a1)
    try:
        # control, same transaction: the context sees its rows
        assert app_conn.execute("SELECT count(*) FROM cogdb.memories").fetchone()[0] == 3
        app_conn.execute("SELECT set_config('app.tenant_id', '', true)")
        for table in ("memories", "users", "tenants"):
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("cogdb", table))
            assert app_conn.execute(query).fetchone()[0] == 0, table
        assert app_conn.execute("SELECT count(*) FROM cogdb.search(%s::vector)",
                                (vec(2),)).fetchone()[0] == 0
        assert app_conn.execute("SELECT count(*) FROM cogdb.get(%s)",
                                (seeded.a1_shared,)).fetchone()[0] == 0
        with pytest.raises(psycopg.Error) as info:
            app_conn.execute("SELECT cogdb.remember('h', 'a', %s::vector)", (vec(7),))
        assert info.value.sqlstate == "CGA01"
    finally:
        app_conn.rollback()


def test_context_ends_with_the_transaction(app_conn, tenants, seeded):
    _begin(app_conn, tenants.a, tenants.a1)
    assert app_conn.execute("SELECT count(*) FROM cogdb.memories").fetchone()[0] == 3
    app_conn.commit()
    assert app_conn.execute("SELECT count(*) FROM cogdb.memories").fetchone()[0] == 0
    assert app_conn.execute("SELECT current_setting('app.tenant_id', true)").fetchone()[0] \
        in ("", None)
    app_conn.rollback()


def _malformed(conn: psycopg.Connection, stamped: bool, value: str = "not-a-uuid") -> None:
    """Open a transaction whose app.tenant_id is set by hand to ``value`` (bypassing
    set_context); ``stamped`` also forges the transaction stamp set_context would write."""
    _begin(conn)
    conn.execute("SELECT set_config('app.tenant_id', %s, true)", (value,))
    if stamped:
        conn.execute("SELECT set_config('app.context_xact', cogdb.context_stamp(), true)")


def test_session_level_context_does_not_outlive_its_transaction(app_conn, db, tenants, seeded):
    """A context copied to session level (set_config(..., false)) survives COMMIT as settings,
    but is stamped with the old transaction: the next transaction has no context."""
    _begin(app_conn, tenants.a, tenants.a1)
    assert app_conn.execute("SELECT count(*) FROM cogdb.memories").fetchone() == (3,)  # control
    app_conn.execute("""SELECT set_config('app.tenant_id', current_setting('app.tenant_id'), false),
                               set_config('app.user_id', current_setting('app.user_id'), false),
                               set_config('app.context_xact',
                                          current_setting('app.context_xact'), false)""")
    app_conn.commit()
    try:
        assert app_conn.execute("SELECT current_setting('app.tenant_id', true)").fetchone() == (
            str(tenants.a),)
        assert app_conn.execute("SELECT count(*) FROM cogdb.memories").fetchone() == (0,)
        assert app_conn.execute("SELECT count(*) FROM cogdb.users").fetchone() == (0,)
        assert app_conn.execute("SELECT count(*) FROM cogdb.tenants").fetchone() == (0,)
        assert app_conn.execute("SELECT count(*) FROM cogdb.search(%s::vector)",
                                (vec(1),)).fetchone() == (0,)
        with pytest.raises(psycopg.Error) as info:
            app_conn.execute("SELECT cogdb.remember('h', 'a', %s::vector)", (vec(7),))
        assert info.value.sqlstate == "CGA01"
    finally:
        app_conn.rollback()
    assert memory_count(db) == 6


@pytest.mark.xfail(strict=True, reason=(
    "known limit (README): transactions sent in one simple-protocol message share "
    "transaction_timestamp(), so the stamp cannot tell them apart; only an xid could, and "
    "assigning one would make every read a write transaction. strict: fixing it fails here."))
def test_session_level_context_dies_with_its_transaction_in_a_multi_statement_query(
        app_conn, db, tenants, seeded):
    """Same as above, but both transactions travel in one simple-protocol message (psql -c,
    a driver's multi-statement execute). context_stamp() is transaction_timestamp(), which is
    the time the *message* arrived, so every transaction in the message shares the stamp and
    the session-level copy is still accepted by the next transaction."""
    app_conn.autocommit = True
    cur = app_conn.cursor()
    try:
        cur.execute(f"""
            BEGIN;
            SELECT cogdb.set_context('{tenants.a}', '{tenants.a1}');
            SELECT set_config('app.tenant_id', current_setting('app.tenant_id'), false),
                   set_config('app.user_id', current_setting('app.user_id'), false),
                   set_config('app.context_xact', current_setting('app.context_xact'), false);
            SELECT count(*) FROM cogdb.memories;
            COMMIT;
            SELECT count(*) FROM cogdb.memories;""")
        counts = []
        while True:
            if cur.description is not None and cur.description[0].name == "count":
                counts.append(cur.fetchone()[0])
            if not cur.nextset():
                break
    finally:
        cur.close()
        app_conn.execute("RESET ALL")
        app_conn.autocommit = False
    inside, after = counts
    assert inside == 3  # control: the first transaction had its context
    assert after == 0, "a session-level context outlived its transaction within one message"


MALFORMED_READS = [
    "SELECT id::text FROM cogdb.memories",
    "SELECT id::text FROM cogdb.users",
    "SELECT id::text FROM cogdb.tenants",
    "SELECT id FROM cogdb.search(%(v)s::vector)",
    "SELECT id FROM cogdb.get(%(id)s)",
]


@pytest.mark.parametrize("stamped", [False, True], ids=["bare", "stamped"])
@pytest.mark.parametrize("query", MALFORMED_READS,
                         ids=["memories", "users", "tenants", "search", "get"])
@pytest.mark.parametrize("value", ["not-a-uuid", " ", "00000000-0000-0000-0000-00000000000g"],
                         ids=["garbage", "blank", "bad-hex"])
def test_malformed_context_errors_or_sees_nothing(app_conn, tenants, seeded, query, value,
                                                  stamped):
    params = {"v": vec(seeded.hot[seeded.a1_shared]), "id": seeded.a1_shared}
    _malformed(app_conn, stamped, value)
    try:
        try:
            rows = app_conn.execute(query, params).fetchall()
        except psycopg.Error as exc:
            assert exc.sqlstate in NO_ROWS_OR_ERROR, exc
        else:
            assert rows == []
    finally:
        app_conn.rollback()
    # control: the same read in a proper context returns rows
    _, rows = run(app_conn, query, params, tenant=tenants.a)
    assert rows


@pytest.mark.parametrize("stamped", [False, True], ids=["bare", "stamped"])
def test_malformed_context_refuses_writes(app_conn, db, tenants, seeded, stamped):
    """'bare': only app.tenant_id is set by hand, so there is no context at all (CGA01).
    'stamped': the hand-made context also carries this transaction's stamp, so the malformed
    tenant id is read and refused as invalid text (22P02). Never a write."""
    expected = "22P02" if stamped else "CGA01"
    before = memory_count(db)
    for statement, params in [
        (INSERT_MEMORY, ("mem_by_hand", vec(7))),
        ("SELECT cogdb.remember('h', 'a', %s::vector)", (vec(7),)),
        ("SELECT cogdb.forget(%s)", (seeded.a1_shared,)),
    ]:
        _malformed(app_conn, stamped)
        try:
            with pytest.raises(psycopg.Error) as info:
                app_conn.execute(statement, params)
            assert info.value.sqlstate == expected, statement
        finally:
            app_conn.rollback()
    for statement in ("UPDATE cogdb.memories SET human_content = 'changed'",
                      "DELETE FROM cogdb.memories"):
        _malformed(app_conn, stamped)
        try:
            count = app_conn.execute(statement).rowcount
        except psycopg.Error as exc:
            assert exc.sqlstate in NO_ROWS_OR_ERROR, exc
        else:
            assert count == 0
        finally:
            app_conn.rollback()
    assert memory_count(db) == before
    # control: the same INSERT in a proper context
    count, _ = run(app_conn, INSERT_MEMORY, ("mem_by_hand", vec(7)), tenant=tenants.a)
    assert count == 1


def test_malformed_user_context_hides_private_rows(app_conn, tenants, seeded):
    _begin(app_conn, tenants.a)
    try:
        app_conn.execute("SELECT set_config('app.user_id', 'not-a-uuid', true)")
        try:
            rows = {r[0] for r in app_conn.execute("SELECT id FROM cogdb.memories")}
        except psycopg.Error as exc:
            assert exc.sqlstate in NO_ROWS_OR_ERROR, exc
        else:
            assert rows <= seeded.a_public
    finally:
        app_conn.rollback()
    # control
    assert ids(app_conn, tenant=tenants.a, user=tenants.a1) == seeded.a_public | {
        seeded.a1_private}


# --------------------------------------------------------------------------- tenant A vs B

def test_each_tenant_reads_only_its_own_memories(app_conn, tenants, seeded):
    a_view = ids(app_conn, tenant=tenants.a, user=tenants.a1)
    b_view = ids(app_conn, tenant=tenants.b, user=tenants.b1)
    assert a_view == seeded.a_public | {seeded.a1_private}
    assert b_view == seeded.b_all
    assert not a_view & seeded.b_all and not b_view & seeded.a_all
    # rows of B never show up in A, even when asked for explicitly
    _, rows = run(app_conn, "SELECT id FROM cogdb.memories WHERE tenant_id = %s::uuid",
                  (str(tenants.b),), tenant=tenants.a, user=tenants.a1)
    assert rows == []
    # control
    _, rows = run(app_conn, "SELECT id FROM cogdb.memories WHERE tenant_id = %s::uuid",
                  (str(tenants.b),), tenant=tenants.b, user=tenants.b1)
    assert {r[0] for r in rows} == seeded.b_all


def test_each_tenant_reads_only_its_own_users_and_tenant_row(app_conn, tenants, seeded):
    assert ids(app_conn, "users", tenant=tenants.a) == {tenants.a1, tenants.a2}
    assert ids(app_conn, "users", tenant=tenants.b) == {tenants.b1}
    assert ids(app_conn, "tenants", tenant=tenants.a, user=tenants.a1) == {tenants.a}
    assert ids(app_conn, "tenants", tenant=tenants.b) == {tenants.b}
    assert ids(app_conn, "tenants") == set()


def test_search_never_returns_another_tenants_memories(app_conn, tenants, seeded):
    target = seeded.b1_shared
    vector = vec(seeded.hot[target])
    hits = search_ids(app_conn, vector, tenant=tenants.a, user=tenants.a1)
    assert hits and target not in hits and set(hits) <= seeded.a_all
    # control
    assert search_ids(app_conn, vector, tenant=tenants.b, user=tenants.b1)[0] == target


def test_get_of_another_tenants_id_looks_missing(app_conn, tenants, seeded):
    for memory_id in (seeded.b1_shared, seeded.b1_private):
        foreign = run(app_conn, "SELECT * FROM cogdb.get(%s)", (memory_id,),
                      tenant=tenants.a, user=tenants.a1)
        missing = run(app_conn, "SELECT * FROM cogdb.get(%s)", ("mem_does_not_exist",),
                      tenant=tenants.a, user=tenants.a1)
        assert foreign == missing == (0, [])
    # control
    assert get_ids(app_conn, seeded.b1_shared, tenant=tenants.b) == [seeded.b1_shared]


def test_tenant_a_cannot_update_or_delete_tenant_b(app_conn, db, tenants, seeded):
    for memory_id in (seeded.b1_shared, seeded.b1_private):
        count, _ = run(app_conn, "UPDATE cogdb.memories SET human_content = 'hijacked'"
                       " WHERE id = %s", (memory_id,), tenant=tenants.a, user=tenants.a1)
        assert count == 0
        count, _ = run(app_conn, "DELETE FROM cogdb.memories WHERE id = %s", (memory_id,),
                       tenant=tenants.a, user=tenants.a1)
        assert count == 0
        _, rows = run(app_conn, "SELECT cogdb.forget(%s)", (memory_id,),
                      tenant=tenants.a, user=tenants.a1)
        assert rows == [(False,)]
    count, _ = run(app_conn, "UPDATE cogdb.memories SET human_content = 'hijacked'"
                   " WHERE tenant_id = %s::uuid", (str(tenants.b),), tenant=tenants.a)
    assert count == 0
    assert memory_count(db, tenants.b) == 2
    assert content_of(db, tenants.b, seeded.b1_shared) == "b1 shared note"
    # control: B's own context (its owner) can
    count, _ = run(app_conn, "UPDATE cogdb.memories SET human_content = 'edited' WHERE id = %s",
                   (seeded.b1_shared,), tenant=tenants.b, user=tenants.b1)
    assert count == 1
    _, rows = run(app_conn, "SELECT cogdb.forget(%s)", (seeded.b1_shared,), tenant=tenants.b,
                  user=tenants.b1)
    assert rows == [(True,)]


def test_tenant_a_cannot_insert_into_tenant_b(app_conn, db, tenants, seeded):
    assert refused(app_conn, INSERT_MEMORY_FOR_TENANT, (str(tenants.b), "mem_into_b", vec(7)),
                   tenant=tenants.a, user=tenants.a1) == "CGA02"
    # a user of B as owner, from A's context
    assert refused(app_conn, INSERT_MEMORY_FOR_OWNER, (str(tenants.b1), "mem_into_b", vec(7)),
                   tenant=tenants.a, user=tenants.a1) == "CGA02"
    assert memory_count(db, tenants.b) == 2
    # control: the same INSERT naming A, in A's context
    count, _ = run(app_conn, INSERT_MEMORY_FOR_TENANT, (str(tenants.a), "mem_into_a", vec(7)),
                   tenant=tenants.a, user=tenants.a1)
    assert count == 1


def test_ids_are_per_tenant_so_a_taken_id_reveals_nothing_across_tenants(app_conn, db, tenants,
                                                                          seeded):
    remember_with_id = ("SELECT cogdb.remember('h', 'a', %s::vector,"
                        " jsonb_build_object('id', %s::text))")
    # A may use the id of B's memory: no conflict, so no hint that B has it
    _, rows = run(app_conn, remember_with_id, (vec(7), seeded.b1_shared), tenant=tenants.a,
                  user=tenants.a1)
    assert rows == [(seeded.b1_shared,)]
    assert content_of(db, tenants.b, seeded.b1_shared) == "b1 shared note"
    # control: inside B the id is taken
    assert refused(app_conn, remember_with_id, (vec(7), seeded.b1_shared), tenant=tenants.b,
                   user=tenants.b1) == "23505"


@pytest.mark.parametrize("key", ["tenant_id", "owner_user_id"])
def test_remember_refuses_tenant_and_owner_from_input(app_conn, db, tenants, seeded, key):
    value = {"tenant_id": tenants.b, "owner_user_id": tenants.b1}[key]
    fields = f'{{"{key}": "{value}"}}'
    assert refused(app_conn, "SELECT cogdb.remember('h', 'a', %s::vector, %s::jsonb)",
                   (vec(7), fields), tenant=tenants.a, user=tenants.a1) == "CGV01"
    assert memory_count(db, tenants.b) == 2
    # control
    _, rows = run(app_conn, "SELECT cogdb.remember('h', 'a', %s::vector, '{}'::jsonb)",
                  (vec(7),), tenant=tenants.a, user=tenants.a1)
    assert rows[0][0].startswith("mem_")


def test_update_cannot_move_a_row_to_another_tenant(app_conn, db, tenants, seeded):
    assert refused(app_conn, "UPDATE cogdb.memories SET tenant_id = %s::uuid WHERE id = %s",
                   (str(tenants.b), seeded.a1_shared), tenant=tenants.a,
                   user=tenants.a1) == "CGA02"
    assert memory_count(db, tenants.a) == 4 and memory_count(db, tenants.b) == 2
    # control: the same row can be updated in place
    count, _ = run(app_conn, "UPDATE cogdb.memories SET tenant_id = %s::uuid,"
                   " human_content = 'kept in A' WHERE id = %s",
                   (str(tenants.a), seeded.a1_shared), tenant=tenants.a, user=tenants.a1)
    assert count == 1


def test_update_cannot_hand_a_row_to_a_user_of_another_tenant(app_conn, tenants, seeded):
    assert refused(app_conn, "UPDATE cogdb.memories SET owner_user_id = %s::uuid WHERE id = %s",
                   (str(tenants.b1), seeded.a1_shared), tenant=tenants.a,
                   user=tenants.a1) == "CGA02"
    # control: the owner may keep ownership while editing
    count, _ = run(app_conn, "UPDATE cogdb.memories SET owner_user_id = %s::uuid,"
                   " summary = 's' WHERE id = %s", (str(tenants.a1), seeded.a1_shared),
                   tenant=tenants.a, user=tenants.a1)
    assert count == 1


# --------------------------------------------------------------------------- users' privacy

def test_private_memory_is_visible_to_its_owner_only(app_conn, tenants, seeded):
    private = seeded.a1_private
    vector = vec(seeded.hot[private])
    for user in (tenants.a2, None):
        assert private not in ids(app_conn, tenant=tenants.a, user=user)
        assert get_ids(app_conn, private, tenant=tenants.a, user=user) == []
        assert private not in search_ids(app_conn, vector, tenant=tenants.a, user=user)
        # tenant-visible memories are visible to everyone in the tenant
        assert ids(app_conn, tenant=tenants.a, user=user) >= seeded.a_public
        assert seeded.a1_shared in search_ids(app_conn, vec(seeded.hot[seeded.a1_shared]),
                                              tenant=tenants.a, user=user)
    assert ids(app_conn, tenant=tenants.a, user=tenants.a2) == seeded.a_public | {
        seeded.a2_private}
    assert ids(app_conn, tenant=tenants.a) == seeded.a_public
    # control: the owner sees it everywhere
    assert private in ids(app_conn, tenant=tenants.a, user=tenants.a1)
    assert get_ids(app_conn, private, tenant=tenants.a, user=tenants.a1) == [private]
    assert search_ids(app_conn, vector, tenant=tenants.a, user=tenants.a1)[0] == private


def test_get_of_invisible_private_id_looks_missing(app_conn, tenants, seeded):
    invisible = run(app_conn, "SELECT * FROM cogdb.get(%s)", (seeded.a1_private,),
                    tenant=tenants.a, user=tenants.a2)
    missing = run(app_conn, "SELECT * FROM cogdb.get(%s)", ("mem_does_not_exist",),
                  tenant=tenants.a, user=tenants.a2)
    assert invisible == missing == (0, [])
    # control
    assert get_ids(app_conn, seeded.a1_private, tenant=tenants.a,
                   user=tenants.a1) == [seeded.a1_private]


@pytest.mark.parametrize("who", ["a2", "tenant-only"])
def test_others_cannot_change_or_forget_a_private_memory(app_conn, db, tenants, seeded, who):
    user = tenants.a2 if who == "a2" else None
    private = seeded.a1_private
    count, _ = run(app_conn, "UPDATE cogdb.memories SET human_content = 'hijacked'"
                   " WHERE id = %s", (private,), tenant=tenants.a, user=user)
    assert count == 0
    count, _ = run(app_conn, "UPDATE cogdb.memories SET visibility = 'tenant' WHERE id = %s",
                   (private,), tenant=tenants.a, user=user)
    assert count == 0
    count, _ = run(app_conn, "DELETE FROM cogdb.memories WHERE id = %s", (private,),
                   tenant=tenants.a, user=user)
    assert count == 0
    _, rows = run(app_conn, "SELECT cogdb.forget(%s)", (private,), tenant=tenants.a, user=user)
    assert rows == [(False,)]
    assert content_of(db, tenants.a, private) == "a1 private note"
    # control: the owner can
    count, _ = run(app_conn, "UPDATE cogdb.memories SET human_content = 'edited' WHERE id = %s",
                   (private,), tenant=tenants.a, user=tenants.a1)
    assert count == 1
    _, rows = run(app_conn, "SELECT cogdb.forget(%s)", (private,), tenant=tenants.a,
                  user=tenants.a1)
    assert rows == [(True,)]


@pytest.mark.parametrize("who", ["a2", "tenant-only"])
def test_only_the_owner_may_change_or_forget_a_shared_memory(app_conn, db, tenants, seeded, who):
    user = tenants.a2 if who == "a2" else None
    shared = seeded.a1_shared
    assert shared in ids(app_conn, tenant=tenants.a, user=user)  # visible, yet not theirs
    count, _ = run(app_conn, "UPDATE cogdb.memories SET human_content = 'hijacked'"
                   " WHERE id = %s", (shared,), tenant=tenants.a, user=user)
    assert count == 0
    count, _ = run(app_conn, "DELETE FROM cogdb.memories WHERE id = %s", (shared,),
                   tenant=tenants.a, user=user)
    assert count == 0
    _, rows = run(app_conn, "SELECT cogdb.forget(%s)", (shared,), tenant=tenants.a, user=user)
    assert rows == [(False,)]
    assert content_of(db, tenants.a, shared) == "a1 shared note"
    # control: the ownerless memory is the tenant's, editable by anyone in it
    count, _ = run(app_conn, "UPDATE cogdb.memories SET human_content = 'edited' WHERE id = %s",
                   (seeded.a_shared,), tenant=tenants.a, user=user)
    assert count == 1
    _, rows = run(app_conn, "SELECT cogdb.forget(%s)", (seeded.a_shared,), tenant=tenants.a,
                  user=user)
    assert rows == [(True,)]
    # control: the owner may change and forget the shared memory
    count, _ = run(app_conn, "UPDATE cogdb.memories SET human_content = 'edited' WHERE id = %s",
                   (shared,), tenant=tenants.a, user=tenants.a1)
    assert count == 1
    _, rows = run(app_conn, "SELECT cogdb.forget(%s)", (shared,), tenant=tenants.a,
                  user=tenants.a1)
    assert rows == [(True,)]


@pytest.mark.parametrize("memory,actor,new_owner", [
    ("a1_shared", "a1", "a2"), ("a1_shared", "a1", None), ("a1_private", "a1", "a2"),
    ("a_shared", "a2", "a2"), ("a_shared", None, "a1"),
], ids=["give-away", "disown", "give-away-private", "take-ownerless", "assign-ownerless"])
def test_owner_user_id_cannot_be_changed(app_conn, db, tenants, seeded, memory, actor,
                                         new_owner):
    memory_id = getattr(seeded, memory)
    user = actor and getattr(tenants, actor)
    owner = new_owner and str(getattr(tenants, new_owner))
    before = truth(db, "SELECT owner_user_id FROM cogdb.memories WHERE id = %s", (memory_id,))
    assert refused(app_conn, "UPDATE cogdb.memories SET owner_user_id = %s::uuid WHERE id = %s",
                   (owner, memory_id), tenant=tenants.a, user=user) == "CGA02"
    assert truth(db, "SELECT owner_user_id FROM cogdb.memories WHERE id = %s",
                 (memory_id,)) == before
    # control: the same actor may edit the same row when the owner stays
    count, _ = run(app_conn, "UPDATE cogdb.memories SET summary = 'edited' WHERE id = %s",
                   (memory_id,), tenant=tenants.a, user=user)
    assert count == 1


def test_a_user_cannot_write_a_private_memory_for_another_user(app_conn, db, tenants, seeded):
    assert refused(app_conn, INSERT_MEMORY_FOR_OWNER, (str(tenants.a1), "mem_for_a1", vec(7)),
                   tenant=tenants.a, user=tenants.a2) == "CGA02"
    assert refused(app_conn, INSERT_MEMORY_FOR_OWNER, (str(tenants.a1), "mem_for_a1", vec(7)),
                   tenant=tenants.a) == "CGA02"
    # nor turn someone else's shared memory private
    count, _ = run(app_conn, "UPDATE cogdb.memories SET visibility = 'private' WHERE id = %s",
                   (seeded.a1_shared,), tenant=tenants.a, user=tenants.a2)
    assert count == 0
    assert memory_count(db, tenants.a) == 4
    assert truth(db, "SELECT visibility FROM cogdb.memories WHERE id = %s",
                 (seeded.a1_shared,)) == "tenant"
    # control
    count, _ = run(app_conn, INSERT_MEMORY_FOR_OWNER, (str(tenants.a1), "mem_for_a1", vec(7)),
                   tenant=tenants.a, user=tenants.a1)
    assert count == 1


def test_a_private_memory_needs_a_user_in_the_context(client, tenants):
    with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a) as s:
        s.remember("orphan", "private without a user", unit_vector(hot=9), private=True)
    assert info.value.sqlstate == "CGV01"
    # control
    with client.scope(tenants.a, tenants.a1) as s:
        mid = s.remember("mine", "private with a user", unit_vector(hot=9), private=True)
        assert s.get(mid).owner_user_id == tenants.a1


def test_scope_api_hides_other_users_and_tenants(client, tenants, seeded):
    with client.scope(tenants.a, tenants.a2) as s:
        assert s.get(seeded.a1_private) is None
        assert s.get(seeded.b1_shared) is None
        assert s.get("mem_does_not_exist") is None
        assert s.forget(seeded.a1_private) is False
        assert s.forget(seeded.b1_shared) is False
        hits = {h.id for h in s.search(unit_vector(hot=1), k=50)}
        assert hits == seeded.a_public | {seeded.a2_private}
        # control
        assert s.get(seeded.a1_shared).id == seeded.a1_shared
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.get(seeded.a1_private).visibility == "private"


# --------------------------------------------------------------------------- set_context

def test_set_context_refuses_a_user_of_another_tenant(app_conn, tenants):
    assert refused(app_conn, SET_CONTEXT, (str(tenants.a), str(tenants.b1))) == "CGA02"
    assert refused(app_conn, SET_CONTEXT, (str(tenants.b), str(tenants.a1))) == "CGA02"
    # control
    run(app_conn, SET_CONTEXT, (str(tenants.b), str(tenants.b1)))
    run(app_conn, SET_CONTEXT, (str(tenants.a), str(tenants.a1)))


def test_set_context_refuses_an_unknown_tenant_or_user(app_conn, tenants):
    assert refused(app_conn, SET_CONTEXT, (str(uuid.uuid4()), None)) == "CGN01"
    assert refused(app_conn, SET_CONTEXT, (str(uuid.uuid4()), str(tenants.a1))) == "CGN01"
    assert refused(app_conn, SET_CONTEXT, (str(tenants.a), str(uuid.uuid4()))) == "CGA02"
    # control
    run(app_conn, SET_CONTEXT, (str(tenants.a), None))


@pytest.mark.parametrize("tenant,user", [
    ("not-a-uuid", None), ("", None), (None, None), ("1; DROP TABLE cogdb.memories", None),
    ("TENANT", "not-a-uuid"), ("TENANT", ""),
], ids=["tenant-garbage", "tenant-empty", "tenant-null", "tenant-injection", "user-garbage",
        "user-empty"])
def test_set_context_refuses_malformed_ids(app_conn, tenants, tenant, user):
    tenant = str(tenants.a) if tenant == "TENANT" else tenant
    assert refused(app_conn, SET_CONTEXT, (tenant, user)) == "CGV01"
    # control
    run(app_conn, SET_CONTEXT, (str(tenants.a), str(tenants.a1)))


@pytest.mark.parametrize("first,second", [
    (("a", "a1"), ("b", "b1")), (("a", None), ("b", None)), (("a", "a1"), ("a", "a2")),
    (("a", "a1"), ("a", None)), (("a", None), ("a", "a1")),
], ids=["other-tenant", "other-tenant-no-user", "other-user", "drop-user", "add-user"])
def test_set_context_refuses_a_second_context(app_conn, tenants, seeded, first, second):
    def ctx(pair):
        return str(getattr(tenants, pair[0])), _s(pair[1] and getattr(tenants, pair[1]))

    _begin(app_conn, *ctx(first))
    try:
        before = {r[0] for r in app_conn.execute("SELECT id FROM cogdb.memories")}
        with pytest.raises(psycopg.Error) as info:
            app_conn.execute(SET_CONTEXT, ctx(second))
        assert info.value.sqlstate == "CGA02"
    finally:
        app_conn.rollback()
    assert before  # control: the first context worked
    # control: the second context alone, in a new transaction, is fine
    run(app_conn, SET_CONTEXT, ctx(second))


def test_set_context_refuses_switching_inside_a_savepoint(app_conn, tenants, seeded):
    _begin(app_conn, tenants.a, tenants.a1)
    try:
        app_conn.execute("SAVEPOINT s1")
        with pytest.raises(psycopg.Error) as info:
            app_conn.execute(SET_CONTEXT, (str(tenants.b), str(tenants.b1)))
        assert info.value.sqlstate == "CGA02"
        app_conn.execute("ROLLBACK TO SAVEPOINT s1")
        # still A's context, and only A's rows
        rows = {r[0] for r in app_conn.execute("SELECT id FROM cogdb.memories")}
        assert rows == seeded.a_public | {seeded.a1_private}
    finally:
        app_conn.rollback()


def test_context_set_in_a_released_savepoint_cannot_be_switched(app_conn, tenants, seeded):
    _begin(app_conn)
    try:
        app_conn.execute("SAVEPOINT s1")
        app_conn.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
        app_conn.execute("RELEASE SAVEPOINT s1")
        # the setting survives the released savepoint ...
        rows = {r[0] for r in app_conn.execute("SELECT id FROM cogdb.memories")}
        assert rows == seeded.a_public | {seeded.a1_private}
        # ... and so does the refusal to switch
        with pytest.raises(psycopg.Error) as info:
            app_conn.execute(SET_CONTEXT, (str(tenants.b), None))
        assert info.value.sqlstate == "CGA02"
    finally:
        app_conn.rollback()


def test_a_refused_set_context_leaves_no_context_behind(app_conn, tenants, seeded):
    """set_context writes the settings before it checks the tenant and user; a refusal caught
    by a savepoint or an exception block must not leave them set."""
    _begin(app_conn)
    try:
        app_conn.execute("SAVEPOINT s1")
        with pytest.raises(psycopg.Error) as info:
            app_conn.execute(SET_CONTEXT, (str(tenants.a), str(tenants.b1)))
        assert info.value.sqlstate == "CGA02"
        app_conn.execute("ROLLBACK TO SAVEPOINT s1")
        app_conn.execute(f"""DO $$ BEGIN
            PERFORM cogdb.set_context('{tenants.b}', '{tenants.a1}');
        EXCEPTION WHEN sqlstate 'CGA02' THEN NULL; END $$""")
        assert app_conn.execute("SELECT current_setting('app.tenant_id', true),"
                                " current_setting('app.user_id', true)").fetchone() == ("", "")
        assert app_conn.execute("SELECT count(*) FROM cogdb.memories").fetchone() == (0,)
        # control: a proper context now works in the same transaction
        app_conn.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
        assert app_conn.execute("SELECT count(*) FROM cogdb.memories").fetchone() == (3,)
    finally:
        app_conn.rollback()


def test_set_context_twice_with_the_same_context_is_fine(app_conn, tenants, seeded):
    _begin(app_conn, tenants.a, tenants.a1)
    try:
        app_conn.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
        app_conn.execute("SAVEPOINT s1")
        app_conn.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
        app_conn.execute("RELEASE SAVEPOINT s1")
        rows = {r[0] for r in app_conn.execute("SELECT id FROM cogdb.memories")}
        assert rows == seeded.a_public | {seeded.a1_private}
    finally:
        app_conn.rollback()


def test_set_context_refuses_superuser(db, tenants):
    with psycopg.connect(db.url()) as conn:
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
                            ).fetchone() == (True,)
        with pytest.raises(psycopg.Error) as info:
            conn.execute(SET_CONTEXT, (str(tenants.a), None))
        assert info.value.sqlstate == "CGA03"


def test_set_context_refuses_a_bypassrls_login(db, app_conn, tenants):
    name = f"cogdb_test_bypass_{uuid.uuid4().hex[:8]}"
    db.super.execute(f"CREATE ROLE {name} LOGIN BYPASSRLS NOSUPERUSER")
    try:
        db.super.execute(f"GRANT cogdb_app TO {name}")
        with psycopg.connect(db.url(name)) as conn:
            assert conn.execute("SELECT rolsuper, rolbypassrls FROM pg_roles"
                                " WHERE rolname = current_user").fetchone() == (False, True)
            with pytest.raises(psycopg.Error) as info:
                conn.execute(SET_CONTEXT, (str(tenants.a), None))
            assert info.value.sqlstate == "CGA03"
    finally:
        db.super.execute(f"DROP ROLE {name}")
    # control: the app login may
    run(app_conn, SET_CONTEXT, (str(tenants.a), None))


def test_set_context_refuses_the_owner_role(db, app_conn, tenants):
    """cogdb_owner is neither superuser nor BYPASSRLS, but it could switch RLS off."""
    with psycopg.connect(db.url()) as conn:
        conn.execute("SET ROLE cogdb_owner")
        assert conn.execute("SELECT rolsuper, rolbypassrls FROM pg_roles"
                            " WHERE rolname = current_user").fetchone() == (False, False)
        with pytest.raises(psycopg.Error) as info:
            conn.execute(SET_CONTEXT, (str(tenants.a), None))
        assert info.value.sqlstate == "CGA03"
    # control: the app login may
    run(app_conn, SET_CONTEXT, (str(tenants.a), None))


# --------------------------------------------------------------------------- Python scopes

def _pooled_contexts(client) -> list[tuple]:
    """The context settings of every connection the pool holds (both, held at once)."""
    found = []
    with client.pool.connection() as c1, client.pool.connection() as c2:
        for conn in (c1, c2):
            assert_rls_applies(conn)
            found.append(conn.execute("SELECT current_setting('app.tenant_id', true),"
                                      " current_setting('app.user_id', true)").fetchone())
    return found


def _clean(setting: tuple) -> bool:
    return all(v in ("", None) for v in setting)


def test_nested_scopes_raise(client, tenants, seeded):
    with client.scope(tenants.a, tenants.a1) as outer:
        for tenant, user in ((tenants.b, tenants.b1), (tenants.a, tenants.a1), (tenants.a, None)):
            with pytest.raises(cogdb.IsolationViolation) as info, client.scope(tenant, user):
                pass
            assert info.value.sqlstate == "CGA02"
        # control: the outer scope is intact and still in A
        assert outer.get(seeded.a1_private) is not None
        assert outer.get(seeded.b1_shared) is None
    # control: after the outer scope closes, a new one opens
    with client.scope(tenants.b, tenants.b1) as s:
        assert s.get(seeded.b1_shared) is not None


def test_pooled_connection_carries_no_context_after_a_scope(client, tenants, seeded):
    with client.scope(tenants.a, tenants.a1) as s:
        inside = s.connection.execute("SELECT current_setting('app.tenant_id', true)").fetchone()
        assert inside == (str(tenants.a),)  # control: the scope did set it
    assert all(_clean(c) for c in _pooled_contexts(client))


def test_pooled_connection_carries_no_context_after_an_exception(client, tenants, seeded):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), client.scope(tenants.a, tenants.a1) as s:
        assert s.get(seeded.a1_private) is not None
        raise Boom
    assert all(_clean(c) for c in _pooled_contexts(client))
    # a database error inside the scope too
    with pytest.raises(cogdb.IsolationViolation) as info, \
            client.scope(tenants.a, tenants.a1) as s:
        s.connection.execute(SET_CONTEXT, (str(tenants.b), None))
    assert info.value.sqlstate == "CGA02"
    assert all(_clean(c) for c in _pooled_contexts(client))
    # and a scope refused at set_context
    with pytest.raises(cogdb.IsolationViolation), client.scope(tenants.a, tenants.b1):
        pass
    assert all(_clean(c) for c in _pooled_contexts(client))
    # the work done inside the failed scopes was rolled back, nothing leaked
    with client.scope(tenants.a, tenants.a1) as s:
        assert {h.id for h in s.search(unit_vector(hot=1), k=50)} == seeded.a_public | {
            seeded.a1_private}


def test_pool_discards_a_connection_with_a_session_level_context(client, tenants, seeded):
    with pytest.raises(cogdb.IsolationViolation) as info, \
            client.scope(tenants.a, tenants.a1) as s:
        s.connection.execute("SELECT set_config('app.tenant_id', %s, false)", (str(tenants.a),))
        conn = s.connection
    assert "session level" in info.value.message
    assert conn.closed  # discarded, never handed out again
    contexts = _pooled_contexts(client)
    assert all(_clean(c) for c in contexts), contexts


def test_an_ended_scope_refuses_its_connection(client, tenants, seeded):
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.connection.execute("SELECT count(*) FROM cogdb.memories").fetchone() == (3,)
    with pytest.raises(cogdb.CogdbError):
        s.connection  # noqa: B018
    with pytest.raises(cogdb.CogdbError):
        s.get(seeded.a1_private)


def test_scope_refusals_map_to_typed_exceptions(client, tenants):
    with pytest.raises(cogdb.IsolationViolation) as info, client.scope(tenants.a, tenants.b1):
        pass
    assert info.value.sqlstate == "CGA02"
    with pytest.raises(cogdb.NotFound) as info, client.scope(uuid.uuid4()):
        pass
    assert info.value.sqlstate == "CGN01"
    with pytest.raises(cogdb.InvalidInput) as info, client.scope("not-a-uuid"):
        pass
    assert info.value.sqlstate == "CGV01"
    with pytest.raises(cogdb.ScopeRequired) as info, client.scope(tenants.a) as s:
        s.connection.execute("SELECT set_config('app.tenant_id', '', true)")
        s.remember("h", "a", unit_vector(hot=1))
    assert info.value.sqlstate == "CGA01"
    # control
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.tenant_id == tenants.a


def test_scope_on_a_superuser_connection_raises_unsafe_role(db, client, tenants):
    with cogdb.connect(db.url(), pool_size=1) as unsafe:
        with pytest.raises(cogdb.UnsafeRole) as info, unsafe.scope(tenants.a):
            pass
        assert info.value.sqlstate == "CGA03"
    # control: the app login opens the same scope
    with client.scope(tenants.a) as s:
        assert s.search(unit_vector(hot=1)) == []


# --------------------------------------------------------------------------- the app role

def test_app_role_is_unprivileged(app_conn):
    _, rows = run(app_conn, """
        SELECT r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb,
               pg_has_role(current_user, 'cogdb_app', 'MEMBER'),
               pg_has_role(current_user, 'cogdb_owner', 'MEMBER'),
               pg_has_role(current_user, 'cogdb_admin', 'MEMBER'),
               has_schema_privilege('cogdb', 'CREATE'),
               -- the definer functions pin search_path = pg_catalog, public, pg_temp: an
               -- app able to create objects in public could shadow what they call
               has_schema_privilege('public', 'CREATE')
          FROM pg_roles r WHERE r.rolname = current_user""")
    assert rows == [(False, False, False, False, True, False, False, False, False)]


def test_app_role_owns_nothing_in_schema_cogdb(app_conn, db):
    query = """
        SELECT count(*) FILTER (WHERE pg_has_role(current_user, owner, 'MEMBER')),
               count(*) FILTER (WHERE owner = 'cogdb_owner'::regrole)
          FROM (SELECT c.relowner AS owner FROM pg_class c
                 WHERE c.relnamespace = 'cogdb'::regnamespace
                UNION ALL
                SELECT p.proowner FROM pg_proc p WHERE p.pronamespace = 'cogdb'::regnamespace
                UNION ALL
                SELECT t.typowner FROM pg_type t WHERE t.typnamespace = 'cogdb'::regnamespace
                UNION ALL
                SELECT n.nspowner FROM pg_namespace n WHERE n.nspname = 'cogdb') o"""
    _, rows = run(app_conn, query)
    mine, owners = rows[0]
    assert mine == 0
    assert owners > 10  # control: the objects are there, owned by cogdb_owner


@pytest.mark.parametrize("tenant_ctx", [False, True], ids=["no-context", "context"])
def test_app_cannot_truncate_memories(app_conn, db, tenants, seeded, tenant_ctx):
    assert refused(app_conn, "TRUNCATE cogdb.memories",
                   tenant=tenants.a if tenant_ctx else None) == "42501"
    assert memory_count(db) == 6
    # control: deleting the rows it may delete is allowed
    count, _ = run(app_conn, "DELETE FROM cogdb.memories", tenant=tenants.a, user=tenants.a1)
    assert count == len(seeded.a1_writable)


def test_app_cannot_change_its_own_tenant_settings(app_conn, db, tenants):
    for statement in (
        "UPDATE cogdb.tenants SET settings = '{\"features\": {\"chat_import\": true}}'"
        " WHERE id = %(t)s::uuid",
        "UPDATE cogdb.tenants SET isolation_level = 'shared' WHERE id = %(t)s::uuid",
        "UPDATE cogdb.tenants SET default_model = NULL WHERE id = %(t)s::uuid",
    ):
        assert refused(app_conn, statement, {"t": str(tenants.a)}, tenant=tenants.a) == "42501"
    assert truth(db, "SELECT isolation_level FROM cogdb.tenants WHERE id = %s",
                 (tenants.a,)) == "strict"
    # control: it may read its own row
    _, rows = run(app_conn, "SELECT id, isolation_level FROM cogdb.tenants", tenant=tenants.a)
    assert rows == [(tenants.a, "strict")]


@pytest.mark.parametrize("statement", [
    "INSERT INTO cogdb.settings (key, value, description) VALUES ('x', '1', 'x')",
    "UPDATE cogdb.settings SET value = '100000' WHERE key = 'search.max_k'",
    "DELETE FROM cogdb.settings",
    "INSERT INTO cogdb.embedding_models (name, dimensions) VALUES ('rogue', 3)",
    "UPDATE cogdb.embedding_models SET dimensions = 3",
    "DELETE FROM cogdb.embedding_models",
], ids=["settings-insert", "settings-update", "settings-delete", "models-insert",
        "models-update", "models-delete"])
def test_app_cannot_write_global_registries(app_conn, tenants, statement):
    assert refused(app_conn, statement, tenant=tenants.a) == "42501"
    # control: it may read them
    _, rows = run(app_conn, "SELECT value FROM cogdb.settings WHERE key = 'search.max_k'")
    assert rows == [(1000,)]


ADMIN_CALLS = {
    "create_tenant": ("SELECT cogdb.create_tenant('Rogue')", ()),
    "create_user": ("SELECT cogdb.create_user(%s::text, 'rogue@a.example')", ("TENANT",)),
    "register_model": ("SELECT cogdb.register_model('rogue-3', 3)", ()),
    "delete_user": ("SELECT cogdb.delete_user(%s::text, %s::text)", ("TENANT", "USER")),
}


@pytest.mark.parametrize("tenant_ctx", [False, True], ids=["no-context", "context"])
@pytest.mark.parametrize("name", sorted(ADMIN_CALLS))
def test_app_cannot_call_admin_functions(app_conn, db, admin, tenants, name, tenant_ctx):
    query, args = ADMIN_CALLS[name]
    params = tuple({"TENANT": str(tenants.a), "USER": str(tenants.a1)}[a] for a in args)
    users_before = truth(db, "SELECT count(*) FROM cogdb.users")
    assert refused(app_conn, query, params, tenant=tenants.a if tenant_ctx else None) == "42501"
    assert truth(db, "SELECT count(*) FROM cogdb.users") == users_before
    # control: the admin login may call it
    assert admin._one(query, params) is not None


# --------------------------------------------------------------------------- delete_user

def test_delete_user_purges_private_and_keeps_shared_memories(app_conn, db, admin, tenants,
                                                              seeded):
    # control before: a1's memories exist as written
    assert ids(app_conn, tenant=tenants.a, user=tenants.a1) == seeded.a_public | {
        seeded.a1_private}
    assert truth(db, "SELECT owner_user_id FROM cogdb.memories WHERE id = %s",
                 (seeded.a1_shared,)) == tenants.a1
    # wrong tenant: nothing happens
    assert admin.delete_user(tenants.b, tenants.a1) is False
    assert memory_count(db, tenants.a) == 4

    assert admin.delete_user(tenants.a, tenants.a1) is True
    assert truth(db, "SELECT count(*) FROM cogdb.memories WHERE id = %s",
                 (seeded.a1_private,)) == 0
    assert truth(db, "SELECT count(*) FROM cogdb.memories WHERE owner_user_id = %s",
                 (tenants.a1,)) == 0
    assert memory_count(db, tenants.a) == 3 and memory_count(db, tenants.b) == 2
    # the shared memory stays, ownerless, visible to the tenant
    _, rows = run(app_conn, "SELECT owner_user_id, visibility, human_content"
                  " FROM cogdb.memories WHERE id = %s", (seeded.a1_shared,),
                  tenant=tenants.a, user=tenants.a2)
    assert rows == [(None, "tenant", "a1 shared note")]
    # others' private memories are untouched
    assert get_ids(app_conn, seeded.a2_private, tenant=tenants.a,
                   user=tenants.a2) == [seeded.a2_private]
    # the user is gone: no context can name them any more
    assert ids(app_conn, "users", tenant=tenants.a) == {tenants.a2}
    assert refused(app_conn, SET_CONTEXT, (str(tenants.a), str(tenants.a1))) == "CGA02"
    # the admin's own context is left as it was (none)
    assert admin._one("SELECT coalesce(current_setting('app.tenant_id', true), '')") == ""
