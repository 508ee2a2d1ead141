"""One documented SQLSTATE per refusal: a row written for another tenant than the context's.

Where cogdb checks rows with a trigger (memories, entities, events, offloaded contexts), the
trigger runs before the fence's WITH CHECK and refuses with CGA02, naming tenant_id; the
LangGraph store's tables have no trigger, and the fence refuses with PostgreSQL's 42501.
README's error table says so; this test holds it to that. Both map to IsolationViolation in
Python. Each refusal is beside its positive control (the same statement for the context's own
tenant) and leaves the table unchanged."""
from __future__ import annotations

import json

import pytest
from helpers import count, in_context, sql_error, vec

MOVES = {  # UPDATE … SET tenant_id = <other>: the documented code
    "memories": "CGA02",
    "entities": "CGA02",
    "store_items": "42501",
    "store_vectors": "42501",
}
INSERTS = {  # INSERT naming another tenant: (statement, documented code)
    "memories": ("INSERT INTO cogdb.memories (tenant_id, id, human_content, embedding)"
                 " VALUES (%(t)s, 'x', 'q', %(v)s)", "CGA02"),
    "entities": ("INSERT INTO cogdb.entities (tenant_id, id, external_id, entity_type, name)"
                 " VALUES (%(t)s, 'e-x', 'x', 'thing', 'x')", "CGA02"),
    "events": ("INSERT INTO cogdb.events (tenant_id, session_id, event_type, payload)"
               " VALUES (%(t)s, %(s)s, 'note', '{}')", "CGA02"),
    "offloaded_contexts": ("INSERT INTO cogdb.offloaded_contexts (tenant_id, memory_id, content)"
                           " VALUES (%(t)s, %(m)s, 'x')", "CGA02"),
    "store_items": ("INSERT INTO cogdb.store_items (tenant_id, namespace, key, value)"
                    " VALUES (%(t)s, 'x', 'k2', '{}')", "42501"),
}


@pytest.fixture
def seeded(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        memory = s.remember("q", "a", vec(1))
        s.upsert_entity("Acme")
        session = s.start_session()
        s.connection.execute(
            "SELECT cogdb.store_put(%s, '[{\"item\": 1, \"field\": \"$\"}]', ARRAY[%s::vector])",
            (json.dumps([{"namespace": ["n"], "key": "k", "value": {"a": 1}}]), vec(1)))
    return {"m": memory, "s": session}


@pytest.mark.parametrize("table", list(MOVES))
def test_moving_a_row_to_another_tenant_has_one_code(table, app_conn, db, tenants, seeded):
    before = count(db, tenants.a, table=table)
    err = sql_error(app_conn, f"UPDATE cogdb.{table} SET tenant_id = %s", (tenants.b,),
                    tenant=tenants.a, user=tenants.a1)
    assert err.sqlstate == MOVES[table], (table, err.sqlstate, err.diag.message_primary)
    if err.sqlstate == "CGA02":
        assert err.diag.column_name == "tenant_id"
    assert (count(db, tenants.a, table=table), count(db, tenants.b, table=table)) == (before, 0)
    # control: the same UPDATE keeping the tenant goes through
    with in_context(app_conn, tenants.a, tenants.a1) as c:
        assert c.execute(f"UPDATE cogdb.{table} SET tenant_id = %s", (tenants.a,)).rowcount > 0


@pytest.mark.parametrize("table", list(INSERTS))
def test_inserting_for_another_tenant_has_one_code(table, app_conn, db, tenants, seeded):
    stmt, code = INSERTS[table]
    before = count(db, table=table)
    err = sql_error(app_conn, stmt, {"t": tenants.b, "v": vec(2), **seeded},
                    tenant=tenants.a, user=tenants.a1)
    assert err.sqlstate == code, (table, err.sqlstate, err.diag.message_primary)
    if code == "CGA02":
        assert err.diag.column_name == "tenant_id"
    assert count(db, table=table) == before
