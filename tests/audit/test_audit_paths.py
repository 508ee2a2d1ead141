"""The audit trigger's two paths record the same thing (revision 0021).

cogdb.audit_rows runs static queries for tables keyed by their id (INSERT and DELETE on
memories, users, sessions, …) and a query built per statement for every other key and for
every UPDATE, whose changed columns are compared column by column instead of as JSON
(docs/governance.md, "What an audited write costs"). A second trigger on cogdb.memories,
added by the superuser for the test, has the key expression '(r.id)': the same key as the
real trigger's 'r.id', but not one the static path takes. Every write of the app login then
queues two records, which must agree in everything but their place in the chain."""
from __future__ import annotations

import psycopg
from helpers import vec

FIELDS = ("operation", "table_name", "row_count", "row_keys", "changed_columns",
          "content_hash", "login", "context_user")


def add_twin_triggers(db) -> None:
    for op, tables in (("INSERT", "NEW TABLE AS new_rows"),
                       ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                       ("DELETE", "OLD TABLE AS old_rows")):
        # named after the real triggers (memories_audit_*), so each fires second
        db.super.execute(f"CREATE TRIGGER zz_twin_{op.lower()} AFTER {op} ON cogdb.memories"
                         f" REFERENCING {tables} FOR EACH STATEMENT"
                         " EXECUTE FUNCTION cogdb.audit_rows('(r.id)')")


def memory_records(db, tenant, after: int = 0) -> list[dict]:
    cur = db.super.cursor(row_factory=psycopg.rows.dict_row)
    return cur.execute("SELECT * FROM cogdb.audit_records WHERE tenant_id = %s AND seq > %s"
                       " AND table_name = 'memories' ORDER BY seq", (tenant, after)).fetchall()


def test_static_and_dynamic_paths_record_the_same(db, app_conn, tenants):
    add_twin_triggers(db)
    statements = [
        ("SELECT cogdb.remember_many(%s::jsonb, %s::public.vector[])",
         ('[{"human_content": "one"}, {"human_content": "two"}, {"human_content": "3"}]',
          [vec(i) for i in range(3)])),
        # the embedding and the tags of every row change, the summary of one
        ("UPDATE cogdb.memories SET embedding = %s, tags = '[\"t\"]',"
         " summary = CASE WHEN human_content = 'one' THEN 's' END WHERE tenant_id = %s",
         (vec(9), tenants.a)),
        # nothing changes: no column is named
        ("UPDATE cogdb.memories SET tags = tags WHERE tenant_id = %s", (tenants.a,)),
        ("DELETE FROM cogdb.memories WHERE tenant_id = %s AND human_content <> 'one'",
         (tenants.a,)),
    ]
    with app_conn.transaction():
        app_conn.execute("SELECT cogdb.set_context(%s::text, %s::text)",
                         (str(tenants.a), str(tenants.a1)))
        for statement, params in statements:
            app_conn.execute(statement, params)
    rows = memory_records(db, tenants.a)
    assert len(rows) == 2 * len(statements)
    pairs = [(rows[i], rows[i + 1]) for i in range(0, len(rows), 2)]
    for real, twin in pairs:
        assert {f: real[f] for f in FIELDS} == {f: twin[f] for f in FIELDS}
        assert twin["seq"] == real["seq"] + 1 and twin["prev_hash"] == real["hash"]
    ins, upd, same, dele = (real for real, _ in pairs)
    assert (ins["operation"], ins["row_count"], ins["changed_columns"]) == ("INSERT", 3, None)
    assert len(ins["content_hash"]) == 32
    assert upd["changed_columns"] == ["embedding", "summary", "tags"]
    assert upd["content_hash"] != ins["content_hash"]
    assert (same["changed_columns"], same["row_count"]) == (None, 3)
    assert (dele["operation"], dele["row_count"], dele["content_hash"]) == ("DELETE", 2, None)
    assert db.super.execute("SELECT ok FROM cogdb.audit_verify(%s)",
                            (tenants.a,)).fetchone()[0] is True


def test_the_content_hash_is_the_documented_formula(db, app_conn, tenants):
    """SHA-256 over each new row's SHA-256 of record_send, in key order: recomputed from the
    rows as stored, for the static INSERT path and the dynamic UPDATE path."""
    formula = ("SELECT sha256(string_agg(sha256(record_send(m)), ''::bytea ORDER BY m.id))"
               " FROM cogdb.memories m WHERE m.tenant_id = %s")
    for statement, params in (
            ("SELECT cogdb.remember_many(%s::jsonb, %s::public.vector[])",
             ('[{"human_content": "a"}, {"human_content": "b"}, {"human_content": "c"}]',
              [vec(i) for i in range(3)])),
            ("UPDATE cogdb.memories SET summary = 'x' WHERE tenant_id = %s", (tenants.a,))):
        with app_conn.transaction():
            app_conn.execute("SELECT cogdb.set_context(%s::text, %s::text)",
                             (str(tenants.a), str(tenants.a1)))
            app_conn.execute(statement, params)
        stored = db.super.execute(formula, (tenants.a,)).fetchone()[0]
        assert memory_records(db, tenants.a)[-1]["content_hash"] == stored
