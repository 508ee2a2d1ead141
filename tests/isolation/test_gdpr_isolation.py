"""The GDPR functions (revision 0017) as the app login and across tenants: the app cannot
call export, erase, anonymise or the reference count (admin only), beside the admin's
positive control; erasing or exporting with another tenant's user id finds nothing and
changes nothing in the user's own tenant."""
from __future__ import annotations

import psycopg
import pytest
from helpers import SET_CONTEXT, assert_rls_applies, refused, vec

import cogdb

CALLS = ["SELECT cogdb.export_user(%s::text, %s::text)",
         "SELECT cogdb.anonymise_user(%s::text, %s::text)",
         "SELECT * FROM cogdb.user_references(%s::text, %s::text)",
         "SELECT cogdb.erase_user(%s::text, %s::text)"]


def test_the_app_cannot_call_the_gdpr_functions(db, app_conn, tenants):
    for call in CALLS:
        assert refused(app_conn, call, (str(tenants.a), str(tenants.a1)),
                       tenant=tenants.a, user=tenants.a1) == "42501", call
    with cogdb.connect_admin(db.admin_url) as admin:  # control: the admin may
        for call in CALLS:
            admin.connection.execute(call, (str(tenants.a), str(tenants.a2)))


def test_another_tenants_user_is_neither_exported_nor_erased(db, admin, client, tenants):
    with client.scope(tenants.b, tenants.b1) as s:
        s.remember("b1's memory", "", vec(1), private=True)
    out = admin.export_user(tenants.a, tenants.b1)  # B's user named under tenant A
    assert {k: v for k, v in out["manifest"].items() if v} == {}
    assert admin.erase_user(tenants.a, tenants.b1)["found"] is False
    with pytest.raises(cogdb.NotFound):
        admin.anonymise_user(tenants.a, tenants.b1)
    # control: in its own tenant the user and the memory are there, and go with erase
    assert admin.export_user(tenants.b, tenants.b1)["manifest"]["memories"] == 1
    assert admin.erase_user(tenants.b, tenants.b1)["counts"]["memories.deleted"] == 1


def test_the_erasure_setting_opens_the_event_stream_to_no_one_else(db, app_conn, client,
                                                                   tenants):
    """refuse_event_change lets an erasure (setting cogdb.erase_user) delete the erased
    user's events; the app setting it gets nothing (no privilege), and the owner with it
    set for another user is still refused."""
    with client.scope(tenants.a, tenants.a1) as s:
        sid = s.start_session()
        s.append_event(sid, "msg", {"t": 1})
    assert_rls_applies(app_conn)
    app_conn.rollback()
    app_conn.autocommit = True
    for statement in ("DELETE FROM cogdb.events", "UPDATE cogdb.events SET appended_by = NULL"):
        with app_conn.transaction():
            app_conn.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
            app_conn.execute("SELECT set_config('cogdb.erase_user', %s, true)",
                             (f"{tenants.a}/{tenants.a1}",))
            with pytest.raises(psycopg.Error) as info:
                app_conn.execute(statement)
            assert info.value.sqlstate == "42501", statement
            raise psycopg.Rollback()
    su = db.super
    with pytest.raises(psycopg.Error) as info, su.transaction():
        # the setting names a2: a1's events stay append-only, even for a superuser
        su.execute("SELECT set_config('cogdb.erase_user', %s, true)",
                   (f"{tenants.a}/{tenants.a2}",))
        su.execute("DELETE FROM cogdb.events WHERE session_id = %s", (sid,))
    assert info.value.sqlstate == "CGA04"
    with su.transaction(force_rollback=True):  # control: naming a1, the deletion goes through
        su.execute("SELECT set_config('cogdb.erase_user', %s, true)",
                   (f"{tenants.a}/{tenants.a1}",))
        assert su.execute("DELETE FROM cogdb.events WHERE session_id = %s",
                          (sid,)).rowcount == 1
