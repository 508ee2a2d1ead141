"""The audit trail: what a write records, that the records are append-only, that the chain
holds under concurrent writers, and that every kind of tampering a superuser could do is
reported by cogdb.audit_verify, each beside a clean chain (tenant B) that still verifies.

Tampering is done as a superuser would: with the append-only trigger disabled (and the chain
head rewritten where the forger would rewrite it too)."""
from __future__ import annotations

import itertools
import json
import threading
import uuid

import numpy as np
import psycopg
import pytest
from helpers import cli, refused, vec

import cogdb

DIMS = 384


@pytest.fixture
def scopes(db, client, tenants):
    """A few audited writes in each tenant (memories, an update, a delete)."""
    for tenant, user in ((tenants.a, tenants.a1), (tenants.b, tenants.b1)):
        with client.scope(tenant=tenant, user=user) as s:
            ids = s.remember_many([{"human_content": f"secret text {i}"} for i in range(3)],
                                  np.stack([vec(i) for i in range(3)]))
            s.forget(ids[0])
    return tenants


def records(db, tenant) -> list[dict]:
    cur = db.super.cursor(row_factory=psycopg.rows.dict_row)
    return cur.execute("SELECT * FROM cogdb.audit_records WHERE tenant_id = %s ORDER BY seq",
                       (tenant,)).fetchall()


def verify(db, tenant) -> dict:
    cur = db.super.cursor(row_factory=psycopg.rows.dict_row)
    return cur.execute("SELECT * FROM cogdb.audit_verify(%s)", (tenant,)).fetchone()


def seal(db) -> None:
    db.super.execute("SELECT * FROM cogdb.audit_seal()")


# -- what a write records ------------------------------------------------------------------

def test_provisioning_and_writes_append_one_record_per_statement(db, client, tenants):
    with client.scope(tenant=tenants.a, user=tenants.a1) as s:
        ids = s.remember_many([{"human_content": f"confidential {i}"} for i in range(200)],
                              np.stack([vec(i % DIMS) for i in range(200)]))
    rows = records(db, tenants.a)
    # create_tenant, create_user a1 (users), create_user a2 (users), then the batch
    assert [(r["operation"], r["table_name"]) for r in rows] == [
        ("INSERT", "tenants"), ("INSERT", "users"), ("INSERT", "users"),
        ("INSERT", "memories")]
    batch = rows[-1]
    assert batch["row_count"] == 200 and batch["row_keys"] == sorted(ids)
    assert batch["login"] == "cogdb_test_app" and batch["context_user"] == tenants.a1
    assert len(batch["content_hash"]) == 32 and batch["changed_columns"] is None
    assert rows[0]["login"] == "cogdb_test_admin" and rows[0]["row_keys"] == [str(tenants.a)]
    # never content: no record of any table holds the text
    dump = db.super.execute("SELECT string_agg(a::text, ' ') FROM cogdb.audit_records a"
                            ).fetchone()[0]
    assert "confidential" not in dump
    assert all(r["seq"] == n for n, r in enumerate(rows, start=1))


def test_update_records_the_changed_columns_and_delete_no_hash(db, app_conn, scopes):
    with app_conn.transaction():
        app_conn.execute("SELECT cogdb.set_context(%s::text, %s::text)",
                         (str(scopes.a), str(scopes.a1)))
        app_conn.execute("UPDATE cogdb.memories SET tags = '[\"x\"]', summary = 's'"
                         " WHERE tenant_id = %s", (scopes.a,))
    last = records(db, scopes.a)[-1]
    assert (last["operation"], last["row_count"]) == ("UPDATE", 2)
    assert last["changed_columns"] == ["summary", "tags"]
    deleted = [r for r in records(db, scopes.a) if r["operation"] == "DELETE"]
    assert len(deleted) == 1 and deleted[0]["content_hash"] is None


def test_settings_merges_user_and_tenant_deletion_are_recorded(db, admin, client, tenants):
    admin.set_tenant_setting(tenants.a, "features.chat_import", False)
    with client.scope(tenant=tenants.a, user=tenants.a1) as s:
        s.upsert_entity("Ann")
        s.upsert_entity("Anne")
        s.merge_entities("Ann", "Anne")
    admin.delete_user(tenants.a, tenants.a2)
    db.super.execute("DELETE FROM cogdb.tenants WHERE id = %s", (tenants.a,))
    rows = records(db, tenants.a)
    kinds = [(r["operation"], r["table_name"] or r["action"]) for r in rows]
    assert ("UPDATE", "tenants") in kinds
    assert rows[kinds.index(("UPDATE", "tenants"))]["changed_columns"] == ["settings"]
    note = rows[kinds.index(("NOTE", "entity.merge"))]
    assert set(note["details"]) >= {"survivor", "merged", "observations_moved"}
    assert ("DELETE", "users") in kinds
    # the tenant's deletion is its chain's last record; its cascade adds nothing
    assert kinds[-1] == ("DELETE", "tenants")
    assert verify(db, tenants.a)["ok"] is True


# -- append-only ----------------------------------------------------------------------------

@pytest.mark.parametrize("statement", [
    "UPDATE cogdb.audit_records SET login = 'x'",
    "DELETE FROM cogdb.audit_records",
    "TRUNCATE cogdb.audit_records",
    "DELETE FROM cogdb.audit_seals",
])
def test_audit_tables_are_append_only_for_the_owner_and_superuser(db, scopes, statement):
    seal(db)
    conn = db.super
    for role in ("cogdb_owner", None):  # the owner, then the superuser itself
        with conn.transaction(force_rollback=True):
            if role:
                conn.execute(f"SET LOCAL ROLE {role}")
            conn.execute("SELECT cogdb.enter_tenant(%s)", (scopes.a,))
            with pytest.raises(psycopg.Error) as info:
                conn.execute(statement)
            assert info.value.sqlstate == "CGA04"
    assert verify(db, scopes.a)["ok"] is True  # positive control: nothing changed


def test_the_app_login_has_no_access_to_the_audit_tables(app_conn, scopes):
    for statement in ("SELECT * FROM cogdb.audit_records", "SELECT * FROM cogdb.audit_heads",
                      "INSERT INTO cogdb.audit_seals VALUES (gen_random_uuid(), 1,"
                      " sha256(''), now(), 'x')",
                      "SELECT cogdb.audit_note('x.y', '{}')"):
        assert refused(app_conn, statement, tenant=scopes.a) == "42501", statement


def test_audit_note_checks_its_input_and_needs_a_tenant(db, scopes):
    conn = db.super
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL ROLE cogdb_owner")
        with pytest.raises(psycopg.Error) as info:
            conn.execute("SELECT cogdb.audit_note('purge.done', '{}')")
        assert info.value.sqlstate == "CGA01"
    for action, details, column in (("Bad Action", "{}", "action"), ("ok.x", "[1]", "details")):
        with conn.transaction(force_rollback=True):
            conn.execute("SET LOCAL ROLE cogdb_owner")
            conn.execute("SELECT cogdb.enter_tenant(%s)", (scopes.a,))
            with pytest.raises(psycopg.Error) as info:
                conn.execute("SELECT cogdb.audit_note(%s, %s::jsonb)", (action, details))
            assert (info.value.sqlstate, info.value.diag.column_name) == ("CGV01", column)
    before = len(records(db, scopes.a))
    with conn.transaction():
        conn.execute("SET LOCAL ROLE cogdb_owner")
        conn.execute("SELECT cogdb.enter_tenant(%s)", (scopes.a,))
        conn.execute("SELECT cogdb.audit_note('retention.purge', '{\"memories\": 3}')")
    last = records(db, scopes.a)[-1]
    assert last["seq"] == before + 1 and last["details"] == {"memories": 3}
    assert (last["operation"], last["action"]) == ("NOTE", "retention.purge")
    assert verify(db, scopes.a)["ok"] is True


# -- concurrency ---------------------------------------------------------------------------

def test_eight_concurrent_writers_make_one_unbroken_chain(db, tenants):
    before = len(records(db, tenants.a))
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        c = cogdb.connect(db.app_url, pool_size=1)
        try:
            start.wait()
            for i in range(6):
                with c.scope(tenant=tenants.a, user=tenants.a1) as s:
                    s.remember(f"writer {n} memory {i}", embedding=vec((n * 7 + i) % DIMS))
                    if i % 3 == 0:  # a transaction with two audited statements
                        s.remember(f"writer {n} second {i}", embedding=vec(n))
        except BaseException as exc:
            errors.append(exc)
        finally:
            c.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    rows = records(db, tenants.a)
    assert len(rows) == before + 8 * 8
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(r["prev_hash"] == p["hash"] for p, r in itertools.pairwise(rows))
    assert verify(db, tenants.a)["ok"] is True


def test_writers_queue_on_the_session_not_on_the_head(db, client, tenants):
    """T1 writes a memory, T2 appends to a session (and takes its row lock), then T1
    appends to the same session. Records join the chain at commit, so T1 holds no chain
    head while it writes: T1 waits for T2's session lock, never T2 for T1's head as well
    (a deadlock, 40P01, that would abort one of them)."""
    with client.scope(tenant=tenants.a, user=tenants.a1) as s:
        session = s.start_session(agent="t", visibility="tenant")
    t1 = psycopg.connect(db.app_url)
    t2 = psycopg.connect(db.app_url)
    append = "SELECT cogdb.append_event(%s, 'note', '{}'::jsonb)"
    result: dict[str, object] = {}

    def second() -> None:
        try:
            with t2.transaction():
                t2.execute("SELECT cogdb.set_context(%s::text, NULL)", (str(tenants.a),))
                t2.execute(append, (session,))
            result["t2"] = "committed"
        except psycopg.Error as exc:
            result["t2"] = exc.sqlstate

    try:
        t1.execute("SELECT cogdb.set_context(%s::text, NULL)", (str(tenants.a),))
        t1.execute("SELECT cogdb.remember_many('[{\"human_content\": \"x\"}]'::jsonb,"
                   " ARRAY[%s::public.vector])", (str(vec(3).tolist()),))
        thread = threading.Thread(target=second)
        thread.start()
        pid = t2.info.backend_pid
        for _ in range(500):  # until T2 waits on a lock
            waiting = db.super.execute("SELECT wait_event_type FROM pg_stat_activity"
                                       " WHERE pid = %s", (pid,)).fetchone()
            if (waiting and waiting[0] == "Lock") or "t2" in result:
                break
            threading.Event().wait(0.01)
        t1.execute(append, (session,))
        t1.commit()
        thread.join()
    finally:
        t1.close()
        t2.close()
    assert result == {"t2": "committed"}
    last = records(db, tenants.a)[-3:]  # T2's append, then T1's transaction
    assert [(r["operation"], r["table_name"]) for r in last] == [
        ("INSERT", "events"), ("INSERT", "memories"), ("INSERT", "events")]
    assert verify(db, tenants.a)["ok"] is True


def test_a_rolled_back_write_leaves_no_record(db, app_conn, scopes):
    before = records(db, scopes.a)
    with app_conn.transaction(force_rollback=True):
        app_conn.execute("SELECT cogdb.set_context(%s::text, %s::text)",
                         (str(scopes.a), str(scopes.a1)))
        app_conn.execute("DELETE FROM cogdb.memories WHERE tenant_id = %s", (scopes.a,))
    assert records(db, scopes.a) == before
    assert db.super.execute("SELECT count(*) FROM cogdb.audit_pending").fetchone()[0] == 0


# -- tampering -----------------------------------------------------------------------------

ZERO = "decode(repeat('00', 32), 'hex')"


def tamper(db, *statements: str) -> None:
    """Run statements as a superuser with the append-only trigger disabled."""
    conn = db.super
    with conn.transaction():
        conn.execute("ALTER TABLE cogdb.audit_records DISABLE TRIGGER audit_records_append_only")
        for s in statements:
            conn.execute(s)
        conn.execute("ALTER TABLE cogdb.audit_records ENABLE TRIGGER audit_records_append_only")


def rechain_from(tenant, seq: int) -> str:
    """SQL that recomputes prev_hash and hash of every record from ``seq`` on, and the
    head, as a forger would."""
    return f"""
        DO $$ DECLARE r cogdb.audit_records; prev bytea; BEGIN
            SELECT hash INTO prev FROM cogdb.audit_records
             WHERE tenant_id = '{tenant}' AND seq = {seq} - 1;
            FOR r IN SELECT * FROM cogdb.audit_records WHERE tenant_id = '{tenant}'
                      AND seq >= {seq} ORDER BY seq LOOP
                r.prev_hash := coalesce(prev, {ZERO});
                r.hash := cogdb.audit_record_hash(r);
                UPDATE cogdb.audit_records a SET prev_hash = r.prev_hash, hash = r.hash
                 WHERE a.tenant_id = r.tenant_id AND a.seq = r.seq;
                prev := r.hash;
            END LOOP;
            UPDATE cogdb.audit_heads SET hash = prev WHERE tenant_id = '{tenant}';
        END $$"""


TAMPERING = {
    # an edited record: its hash no longer matches its fields
    "edit": (lambda t: [f"UPDATE cogdb.audit_records SET login = 'someone else'"
                        f" WHERE tenant_id = '{t}' AND seq = 3"],
             3, "edited"),
    # a record deleted in the middle: a gap in the numbers
    "delete_middle": (lambda t: [f"DELETE FROM cogdb.audit_records"
                                 f" WHERE tenant_id = '{t}' AND seq = 3"],
                      3, "missing"),
    # two records swapped: the one now at 3 does not follow record 2
    "reorder": (lambda t: [
        f"UPDATE cogdb.audit_records SET seq = seq + 1000"
        f" WHERE tenant_id = '{t}' AND seq IN (3, 4)",
        f"UPDATE cogdb.audit_records SET seq = CASE seq WHEN 1003 THEN 4 ELSE 3 END"
        f" WHERE tenant_id = '{t}' AND seq IN (1003, 1004)"],
        3, "prev_hash"),
    # the newest records cut off, with the head rewritten to match: only the seal shows it
    "cut_tail": (lambda t: [
        f"DELETE FROM cogdb.audit_records WHERE tenant_id = '{t}' AND seq >= 4",
        f"UPDATE cogdb.audit_heads h SET seq = 3, hash = (SELECT hash FROM cogdb.audit_records"
        f" WHERE tenant_id = '{t}' AND seq = 3) WHERE h.tenant_id = '{t}'"],
        4, "missing: a seal"),
    # a record rewritten and every hash after it recomputed (head too): no seal matches
    "forge_recomputed": (lambda t: [
        f"UPDATE cogdb.audit_records SET row_count = 99 WHERE tenant_id = '{t}' AND seq = 2",
        rechain_from(t, 2)],
        1, "rewritten after they were sealed"),
    # a record appended behind the trigger's back, with a valid hash: beyond the head
    "append_forged": (lambda t: [f"""
        DO $$ DECLARE r cogdb.audit_records; BEGIN
            SELECT * INTO r FROM cogdb.audit_records WHERE tenant_id = '{t}'
             ORDER BY seq DESC LIMIT 1;
            r.prev_hash := r.hash; r.seq := r.seq + 1; r.operation := 'DELETE';
            r.hash := cogdb.audit_record_hash(r);
            INSERT INTO cogdb.audit_records SELECT r.*;
        END $$"""],
        None, "beyond the chain head"),
}


@pytest.mark.parametrize("kind", sorted(TAMPERING))
def test_tampering_is_reported_and_a_clean_chain_is_not(db, scopes, kind):
    seal(db)
    clean_a, clean_b = verify(db, scopes.a), verify(db, scopes.b)
    assert clean_a["ok"] and clean_b["ok"], (clean_a, clean_b)  # positive controls
    records_before = clean_a["records"]
    statements, broken_seq, words = TAMPERING[kind]
    tamper(db, *statements(scopes.a))
    found = verify(db, scopes.a)
    assert found["ok"] is False, found
    assert words in found["problem"], found
    assert found["broken_seq"] == (records_before + 1 if broken_seq is None else broken_seq)
    assert verify(db, scopes.b)["ok"] is True  # the other tenant's chain is untouched


def test_cli_verify_exits_5_on_a_break_and_0_on_clean_chains(db, scopes):
    seal(db)
    ok = cli(db, "audit", "verify", "--json")
    assert ok.exit_code == 0, ok.output
    assert {r["tenant_id"] for r in json.loads(ok.stdout)} >= {str(scopes.a), str(scopes.b)}
    tamper(db, *TAMPERING["edit"][0](scopes.a))
    broken = cli(db, "audit", "verify", "--tenant", str(scopes.a))
    assert broken.exit_code == 5, broken.output
    assert "BROKEN  at record 3" in broken.stdout
    other = cli(db, "audit", "verify", "--tenant", str(scopes.b))
    assert other.exit_code == 0 and " ok " in other.stdout


def test_maintain_seals_and_a_second_seal_adds_nothing(db, scopes):
    from cogdb.ops import maintain

    maintain.run(db.url(), echo=lambda *_: None)
    first = verify(db, scopes.a)
    assert first["seals"] == 1 and first["sealed_seq"] == first["records"]
    again = cli(db, "audit", "seal", "--tenant", str(scopes.a), "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)[0]["sealed"] is False
    assert verify(db, scopes.a)["seals"] == 1


def test_uuid_of_unknown_tenant_verifies_as_empty(db):
    row = verify(db, uuid.uuid4())
    assert row is None or (row["records"] == 0 and row["ok"])
