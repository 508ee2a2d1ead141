"""Retention's tables, policy and functions (revision 0013), as the app login: a tenant's
retention policies and holds are visible only inside it and the app can never write them;
one tenant's policy never hides or purges another tenant's memories; memories__retained
hides expired and over-age memories from a plain SELECT. Each negative sits beside its
positive control. These run in the policy-mutation runs with the rest of tests/isolation/: a
loosened retention_policies or retention_holds fence, or memories__retained, fails here."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from helpers import SET_CONTEXT, assert_rls_applies, refused, vec

import cogdb

DAY = timedelta(days=1)


def _rows(conn, query, params=(), tenant=None, user=None) -> list[tuple]:
    """Rows of ``query`` in the tenant's context (none: no context), rolled back."""
    assert_rls_applies(conn)
    conn.autocommit = True
    with conn.transaction(force_rollback=True):
        if tenant is not None:
            conn.execute(SET_CONTEXT, (str(tenant), None if user is None else str(user)))
        return conn.execute(query, params).fetchall()


def _put(conn, tenant, rows) -> None:
    conn.autocommit = True
    with conn.transaction():
        conn.execute(SET_CONTEXT, (str(tenant), None))
        conn.execute("SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                     (json.dumps([{"human_content": r["id"], **r} for r in rows], default=str),
                      [vec(i) for i in range(len(rows))]))


@pytest.fixture
def governed(db, app_conn, tenants):
    """Tenant A keeps memories one day and holds user a1; tenant B keeps them one week and
    is held as a whole. Each has an old (3 days), a young and an expired memory."""
    now = datetime.now(UTC)
    for t in (tenants.a, tenants.b):
        _put(app_conn, t, [{"id": "old", "created_at": now - 3 * DAY},
                           {"id": "young", "created_at": now - DAY / 2},
                           {"id": "expired", "created_at": now - DAY,
                            "expires_at": now - timedelta(seconds=1)}])
    with cogdb.connect_admin(db.admin_url) as admin:
        admin.set_retention(tenants.a, max_age="1 day")
        admin.place_hold(tenants.a, user=tenants.a1, reason="a's hold")
        admin.set_retention(tenants.b, context_type="note", max_age="7 days")
        admin.place_hold(tenants.b, reason="b's hold")
    return now


def test_policies_and_holds_are_visible_only_in_their_tenant(app_conn, tenants, governed):
    policies = "SELECT tenant_id, context_type, max_age FROM cogdb.retention_policies"
    holds = "SELECT tenant_id, user_id, reason FROM cogdb.retention_holds"
    assert _rows(app_conn, policies, tenant=tenants.a) == [(tenants.a, "*", DAY)]
    assert _rows(app_conn, policies, tenant=tenants.b) == [(tenants.b, "note", 7 * DAY)]
    assert _rows(app_conn, holds, tenant=tenants.a) == [(tenants.a, tenants.a1, "a's hold")]
    assert _rows(app_conn, holds, tenant=tenants.b) == [(tenants.b, None, "b's hold")]
    assert _rows(app_conn, policies) == [] and _rows(app_conn, holds) == []  # no context
    # the cutoffs the policy reads are the context tenant's only
    cut = "SELECT jsonb_object_keys(cogdb.retention_cutoffs())"
    assert _rows(app_conn, cut, tenant=tenants.a) == [("*",)]
    assert _rows(app_conn, cut, tenant=tenants.b) == [("note",)]


WRITES = [
    "INSERT INTO cogdb.retention_policies (context_type, max_age) VALUES ('fact', '1 day')",
    "UPDATE cogdb.retention_policies SET max_age = '1000 years'",
    "DELETE FROM cogdb.retention_policies",
    "INSERT INTO cogdb.retention_holds (reason) VALUES ('mine')",
    "DELETE FROM cogdb.retention_holds",
]
ADMIN_CALLS = [
    ("SELECT cogdb.set_retention_policy(%s::text, '*', '*', '1000 years', NULL, 'delete')", "a"),
    ("SELECT cogdb.drop_retention_policy(%s::text, '*', '*')", "a"),
    ("SELECT cogdb.place_legal_hold(%s::text, NULL, 'x')", "a"),
    ("SELECT * FROM cogdb.purge_retention(%s::text, 10)", "b"),
    ("SELECT cogdb.list_retention(%s::text)", "a"),
    ("SELECT cogdb.release_legal_hold(%s::text, NULL)", "b"),
]


def test_the_app_cannot_change_policies_or_holds(app_conn, tenants, governed):
    for statement in WRITES:
        assert refused(app_conn, statement, tenant=tenants.a) == "42501", statement
    # an over-age memory cannot be exempted by the app: it cannot see it (no row) ...
    assert _rows(app_conn, "UPDATE cogdb.memories SET anonymised_at = now() WHERE id = 'old'"
                           " RETURNING id", tenant=tenants.a) == []
    # ... control: a memory it sees, it may update
    assert _rows(app_conn, "UPDATE cogdb.memories SET summary = 's' WHERE id = 'young'"
                           " RETURNING id", tenant=tenants.a) == [("young",)]


def test_the_app_cannot_call_the_retention_admin_functions(db, app_conn, tenants, governed):
    for call, who in ADMIN_CALLS:
        tenant = str(getattr(tenants, who))
        assert refused(app_conn, call, (tenant,), tenant=tenants.a) == "42501", call
    with cogdb.connect_admin(db.admin_url) as admin:  # control: the admin may
        for call, who in ADMIN_CALLS:
            admin.connection.execute(call, (str(getattr(tenants, who)),))


def test_one_tenants_policy_never_hides_anothers_memories(app_conn, tenants, governed):
    ids = "SELECT id FROM cogdb.memories ORDER BY id"
    # A: one day. B: its only policy is for notes, so its old memory stays visible.
    assert _rows(app_conn, ids, tenant=tenants.a) == [("young",)]
    assert _rows(app_conn, ids, tenant=tenants.b) == [("old",), ("young",)]
    assert _rows(app_conn, ids, tenant=tenants.a, user=tenants.a2) == [("young",)]


def test_expired_and_over_age_memories_are_hidden_from_plain_select(app_conn, tenants, governed):
    """memories__retained: loosened, the app would read what retention says is gone."""
    every = "SELECT id, expires_at IS NOT NULL FROM cogdb.memories ORDER BY id"
    assert _rows(app_conn, every, tenant=tenants.b) == [("old", False), ("young", False)]
    assert _rows(app_conn, "SELECT count(*) FROM cogdb.memories WHERE id = 'expired'",
                 tenant=tenants.b) == [(0,)]
    assert _rows(app_conn, "SELECT count(*) FROM cogdb.memories WHERE id = 'old'",
                 tenant=tenants.a) == [(0,)]
    assert _rows(app_conn, "SELECT count(*) FROM cogdb.memories WHERE id = 'young'",
                 tenant=tenants.a) == [(1,)]  # control


def test_one_tenants_purge_and_holds_never_reach_another(db, tenants, governed):
    stored = "SELECT tenant_id, id FROM cogdb.memories WHERE tenant_id = ANY(%s) ORDER BY 1, 2"
    with cogdb.connect_admin(db.admin_url) as admin:
        done = admin.purge(tenants.a)
        assert [(d.deleted, d.held) for d in done] == [(2, True)]  # old and expired
        rows = db.super.execute(stored, ([tenants.a, tenants.b],)).fetchall()
        assert sorted(rows) == sorted([(tenants.a, "young"), (tenants.b, "expired"),
                                       (tenants.b, "old"), (tenants.b, "young")])
        # B is held as a whole: nothing goes; released, its expired memory goes
        assert [(d.deleted, d.held) for d in admin.purge(tenants.b)] == [(0, True)]
        assert admin.release_hold(tenants.b) is True
        assert [(d.deleted, d.held) for d in admin.purge(tenants.b)] == [(1, False)]
