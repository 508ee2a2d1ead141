"""A read grant's expiry applies at the grantee's next statement, also inside a transaction
that began before it (docs/trust-model.md, "Sharing between tenants"): live_grants compares
the expiry with the statement's clock, not with the transaction's start (found by an
adversarial review: a transaction begun before the expiry kept reading the shared rows for
as long as it stayed open). As the app login; the expiry is moved, by the superuser, to a
moment after the grantee's transaction began and before its next statement, so no test
waits on a timer."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import psycopg
import pytest
from helpers import SET_CONTEXT, assert_rls_applies, vec

ASK = "SELECT cogdb.share_request(true)"


@pytest.fixture
def share(admin, app_conn):
    tag = uuid.uuid4().hex[:8]
    src = admin.create_tenant(f"src {tag}", isolation_level="shared").id
    dst = admin.create_tenant(f"dst {tag}", isolation_level="shared").id
    app_conn.autocommit = True
    with app_conn.transaction():
        app_conn.execute(SET_CONTEXT, (str(src), None))
        app_conn.execute("SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                         (json.dumps([{"id": "m-1", "human_content": "m-1", "tags": ["x"]}]),
                          [vec(1)]))
        app_conn.execute("SELECT * FROM cogdb.upsert_entity('Alice', entity_type => 'person')")
    admin.grant_share(src, dst, tags=["x"], entity_types=["person"],
                      expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    return src, dst


@pytest.mark.parametrize("table", ["memories", "entities"])
def test_an_expiry_reached_inside_an_open_transaction_applies_at_its_next_statement(
        db, share, table):
    src, dst = share
    conn = psycopg.connect(db.app_url)
    assert_rls_applies(conn)
    conn.commit()
    try:
        conn.execute(SET_CONTEXT, (str(dst), None))
        conn.execute(ASK)
        q = f"SELECT count(*) FROM cogdb.{table} WHERE tenant_id = %s"
        assert conn.execute(q, (src,)).fetchone()[0] == 1            # control: shared
        db.super.execute("UPDATE cogdb.share_receipts SET expires_at = clock_timestamp()"
                         " WHERE source_tenant_id = %s AND tenant_id = %s", (src, dst))
        conn.execute(ASK)
        assert conn.execute(q, (src,)).fetchone()[0] == 0            # expired: gone
        conn.rollback()
    finally:
        conn.close()
