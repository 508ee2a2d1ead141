"""The chat-import toggle and the provisioning functions of revision 0002, tested in SQL.

features.chat_import (tenant settings; default on for personal tenants, off for enterprise
ones) is enforced by check_memory_row, so it holds against a direct INSERT by the app login,
not only against cogdb's own importer. Only cogdb_admin changes settings, through
cogdb.set_tenant_setting; the app role has no UPDATE on cogdb.tenants. Every refusal sits
beside a positive control.
"""
from __future__ import annotations

import psycopg
import pytest
from helpers import assert_rls_applies, unit_vector

import cogdb

DISABLED = ("chat import is disabled for this tenant; enterprise memory is built from the "
            "assistant's own conversations")
INSERT = ("INSERT INTO cogdb.memories (id, human_content, assistant_content, source, model,"
          " embedding) VALUES (%s, 'q', 'a', %s, 'cogdb-hash-384', %s::vector)")


def _insert(conn: psycopg.Connection, tenant, memory_id: str, source: str):
    """A direct INSERT as the app login in ``tenant``'s context; returns the error or None."""
    assert_rls_applies(conn)
    conn.rollback()
    try:
        conn.execute("SELECT cogdb.set_context(%s::text)", (str(tenant),))
        conn.execute(INSERT, (memory_id, source, str(unit_vector())))
        conn.commit()
        return None
    except psycopg.Error as exc:
        conn.rollback()
        return exc


@pytest.mark.parametrize("source", ["chatgpt_export", "claude_export"])
def test_direct_insert_of_chat_export_refused_in_enterprise_tenant(app_conn, tenants, source):
    err = _insert(app_conn, tenants.a, "m1", source)  # tenant A is enterprise
    assert err is not None and err.sqlstate == "CGF01", err
    assert err.diag.message_primary == DISABLED
    assert "features.chat_import=true" in err.diag.message_hint
    assert err.diag.column_name == "source"
    # positive controls: the same row in personal tenant B, and another source in A
    assert _insert(app_conn, tenants.b, "m1", source) is None
    assert _insert(app_conn, tenants.a, "m2", "import") is None


def test_python_layer_maps_the_refusal_to_feature_disabled(client, tenants):
    with pytest.raises(cogdb.FeatureDisabled) as info, client.scope(tenants.a) as s:
        s.remember("q", "a", source="chatgpt_export")
    assert info.value.sqlstate == "CGF01" and info.value.message == DISABLED
    with client.scope(tenants.b) as s:
        assert s.remember("q", "a", source="chatgpt_export")


def test_admin_toggles_the_setting_and_the_database_follows(admin, app_conn, tenants):
    conn = admin.connection
    eff = conn.execute("SELECT cogdb.set_tenant_setting(%s, 'features.chat_import',"
                       " 'true'::jsonb)", (str(tenants.a),)).fetchone()[0]
    assert eff["features"]["chat_import"] is True
    assert _insert(app_conn, tenants.a, "m1", "chatgpt_export") is None
    conn.execute("SELECT cogdb.set_tenant_setting(%s, 'features.chat_import', 'false'::jsonb)",
                 (str(tenants.b),))
    err = _insert(app_conn, tenants.b, "m9", "claude_export")
    assert err is not None and err.sqlstate == "CGF01"
    # NULL removes the key: the mode's default (personal: on) applies again
    eff = conn.execute("SELECT cogdb.set_tenant_setting(%s, 'features.chat_import', NULL)",
                       (str(tenants.b),)).fetchone()[0]
    assert eff["features"]["chat_import"] is True
    stored = conn.execute("SELECT settings FROM cogdb.list_tenants() WHERE id = %s",
                          (tenants.b,)).fetchone()[0]
    assert stored == {"features": {}}
    assert _insert(app_conn, tenants.b, "m9", "claude_export") is None


def test_update_turning_a_memory_into_a_chat_export_is_refused(app_conn, tenants):
    assert _insert(app_conn, tenants.a, "m1", "import") is None
    app_conn.execute("SELECT cogdb.set_context(%s::text)", (str(tenants.a),))
    with pytest.raises(psycopg.Error) as info:
        app_conn.execute("UPDATE cogdb.memories SET source = 'chatgpt_export' WHERE id = 'm1'")
    app_conn.rollback()
    assert info.value.sqlstate == "CGF01"
    app_conn.execute("SELECT cogdb.set_context(%s::text)", (str(tenants.a),))
    cur = app_conn.execute("UPDATE cogdb.memories SET source = 'manual' WHERE id = 'm1'")
    assert cur.rowcount == 1  # positive control: another source is fine
    app_conn.rollback()


def test_app_role_cannot_change_its_own_tenant_settings(app_conn, tenants):
    assert_rls_applies(app_conn)
    app_conn.execute("SELECT cogdb.set_context(%s::text)", (str(tenants.a),))
    # positive control: the app reads its own tenant row, settings included
    assert app_conn.execute("SELECT count(*) FROM cogdb.tenants").fetchone() == (1,)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute("UPDATE cogdb.tenants SET settings = "
                         "'{\"features\": {\"chat_import\": true}}'")
    app_conn.rollback()
    app_conn.execute("SELECT cogdb.set_context(%s::text)", (str(tenants.a),))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute("SELECT cogdb.set_tenant_setting(%s, 'features.chat_import',"
                         " 'true'::jsonb)", (str(tenants.a),))
    app_conn.rollback()
    for fn in ("cogdb.list_tenants()", "cogdb.list_users(NULL)"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app_conn.execute(f"SELECT * FROM {fn}")
        app_conn.rollback()


@pytest.mark.parametrize(("key", "value", "sqlstate", "column", "text"), [
    ("features.nope", "true", "CGV01", "key", "unknown tenant setting"),
    ("features", "true", "CGV01", "key", "settable: features.chat_import"),
    ("features.chat_import", '"yes"', "CGV01", "value", "must be a boolean"),
    ("features.chat_import", "1", "CGV01", "value", "must be a boolean"),
])
def test_set_tenant_setting_whitelists_keys_and_types(admin, tenants, key, value, sqlstate,
                                                      column, text):
    with pytest.raises(psycopg.Error) as info:
        admin.connection.execute("SELECT cogdb.set_tenant_setting(%s, %s, %s::jsonb)",
                                 (str(tenants.a), key, value))
    assert info.value.sqlstate == sqlstate and info.value.diag.column_name == column
    assert text in info.value.diag.message_primary
    stored = admin.connection.execute("SELECT settings FROM cogdb.list_tenants() WHERE id = %s",
                                      (tenants.a,)).fetchone()[0]
    assert stored == {}, "a refused setting changed the tenant"


@pytest.mark.parametrize(("tenant", "sqlstate"), [
    ("not-a-uuid", "CGV01"), ("00000000-0000-0000-0000-000000000000", "CGN01")])
def test_unknown_or_malformed_tenant(admin, tenant, sqlstate):
    for query in ("SELECT cogdb.set_tenant_setting(%s, 'features.chat_import', 'true')",
                  "SELECT * FROM cogdb.list_users(%s)"):
        with pytest.raises(psycopg.Error) as info:
            admin.connection.execute(query, (tenant,))
        assert info.value.sqlstate == sqlstate, query


def test_list_tenants_shows_every_tenant_with_effective_settings(admin, tenants):
    rows = {r[0]: r for r in admin.connection.execute(
        "SELECT id, mode, effective_settings FROM cogdb.list_tenants()")}
    assert rows[tenants.a][1:] == ("enterprise", {"features": {"chat_import": False}})
    assert rows[tenants.b][1:] == ("personal", {"features": {"chat_import": True}})


def test_list_users_is_fenced_to_the_tenant_and_restores_the_context(admin, tenants):
    conn = admin.connection
    admin.create_user(tenants.a, email="idp@a.example", auth_provider="oidc", external_id="x1")
    with conn.transaction():
        conn.execute("SELECT set_config('app.tenant_id', 'caller', true)")
        rows = conn.execute("SELECT id, email, identities FROM cogdb.list_users(%s)",
                            (str(tenants.a),)).fetchall()
        assert conn.execute("SELECT current_setting('app.tenant_id')").fetchone() == ("caller",)
    assert {r[0] for r in rows} == {tenants.a1, tenants.a2,
                                    admin.resolve_identity("oidc", "x1")[1]}
    assert ["oidc/x1"] in [r[2] for r in rows]
    users_b = conn.execute("SELECT id FROM cogdb.list_users(%s)", (str(tenants.b),)).fetchall()
    assert [r[0] for r in users_b] == [tenants.b1]
