"""The GDPR functions (revision 0017) as the app login and across tenants: the app cannot
call export, erase, anonymise or the reference count (admin only), beside the admin's
positive control; erasing or exporting with another tenant's user id finds nothing and
changes nothing in the user's own tenant."""
from __future__ import annotations

import pytest
from helpers import refused, vec

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
