"""The audit trail's isolation, as real logins: the auditor (cogdb_test_auditor, a member of
cogdb_auditor) reads audit records and verifies chains through the definer functions, and
reads no memory content; the app login reads no audit record. The tenant fences of
audit_records and audit_seals are what keep one tenant's records and seals out of another's
log and verification: loosening either fails a test here. Each negative beside its positive
control."""
from __future__ import annotations

import numpy as np
import psycopg
import pytest
from helpers import assert_rls_applies, cli, refused, vec


@pytest.fixture
def audited(db, client, tenants):
    """Memories in both tenants, then one seal of each chain."""
    keys = {}
    for tenant, user in ((tenants.a, tenants.a1), (tenants.b, tenants.b1)):
        with client.scope(tenant=tenant, user=user) as s:
            keys[tenant] = s.remember_many(
                [{"human_content": f"private words {tenant}"} for _ in range(2)],
                np.stack([vec(1), vec(2)]))
    db.super.execute("SELECT * FROM cogdb.audit_seal()")
    return keys


@pytest.fixture
def auditor(db):
    conn = psycopg.connect(db.auditor_url, autocommit=True)
    assert_rls_applies(conn)
    yield conn
    conn.close()


def test_auditor_reads_one_tenants_records_only(auditor, tenants, audited):
    rows = auditor.execute("SELECT table_name, row_keys FROM cogdb.audit_log(%s)",
                           (tenants.a,)).fetchall()
    keys = {k for _, ks in rows for k in (ks or [])}
    assert set(audited[tenants.a]) <= keys  # positive control: A's writes are there
    assert not set(audited[tenants.b]) & keys  # B's are not
    assert str(tenants.b) not in keys and str(tenants.b1) not in keys


def test_auditor_verifies_with_each_tenants_own_seals(auditor, tenants, audited):
    rows = {r[0]: r for r in auditor.execute(
        "SELECT tenant_id, records, seals, ok FROM cogdb.audit_verify()").fetchall()}
    for t in (tenants.a, tenants.b):
        assert rows[t][3] is True and rows[t][1] > 0
        assert rows[t][2] == 1, f"tenant {t} verified against {rows[t][2]} seals, not its own one"


def test_auditor_reads_no_memory_content(auditor, db, tenants, audited):
    for statement in ("SELECT human_content FROM cogdb.memories",
                      "SELECT * FROM cogdb.audit_records",
                      "SELECT cogdb.set_context(%s::text, NULL)",
                      "SELECT * FROM cogdb.list_memories()"):
        params = (str(tenants.a),) if "%s" in statement else ()
        assert refused(auditor, statement, params) == "42501", statement
    # the log itself holds no content (positive control: it has the keys)
    text = " ".join(str(r) for r in auditor.execute(
        "SELECT * FROM cogdb.audit_log(%s)", (tenants.a,)).fetchall())
    assert audited[tenants.a][0] in text and "private words" not in text


def test_app_login_reads_no_audit_record(app_conn, tenants, audited):
    assert refused(app_conn, "SELECT * FROM cogdb.audit_log(%s)", (tenants.a,),
                   tenant=tenants.a) == "42501"
    assert refused(app_conn, "SELECT * FROM cogdb.audit_verify(%s)", (tenants.a,),
                   tenant=tenants.a) == "42501"
    assert refused(app_conn, "SELECT * FROM cogdb.audit_seals", tenant=tenants.a) == "42501"
    with app_conn.transaction():  # positive control: the app reads its own memories
        app_conn.execute("SELECT cogdb.set_context(%s::text, %s::text)",
                         (str(tenants.a), str(tenants.a1)))
        n = app_conn.execute("SELECT count(*) FROM cogdb.memories WHERE tenant_id = %s",
                             (tenants.a,)).fetchone()[0]
    assert n == 2


def test_audit_log_cli_as_the_auditor(db, tenants, audited):
    r = cli(db, "audit", "log", "--tenant", str(tenants.a), "--json")
    assert r.exit_code == 0, r.output
    assert "INSERT" in r.stdout and audited[tenants.a][0] in r.stdout
    assert audited[tenants.b][0] not in r.stdout and "private words" not in r.stdout
    text = cli(db, "audit", "log", "--tenant", str(tenants.a), "--since", "2000-01-01")
    assert text.exit_code == 0 and "INSERT memories 2 row(s)" in text.stdout
    bad = cli(db, "audit", "log", "--tenant", str(tenants.a), "--limit", "0")
    assert bad.exit_code == 1 and "max_rows" in bad.stderr
