"""Federated insights (revision 0016), as the app login: a bucket needs k distinct tenants; a
withdrawn, private, expired or non-federated contribution never counts; no output carries
another tenant's id or content; the app reads its own privacy budget only and cannot reach
federated_sessions, federated_participants or the owner's helpers; a noisy query that some
contributor's budget cannot pay is refused and charges nobody. Each negative sits beside its
positive control. In the policy-mutation runs, a loosened privacy_budgets fence fails here."""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import psycopg
import pytest
from helpers import SET_CONTEXT, assert_rls_applies, sql_error, vec

import cogdb

COUNTS = ("SELECT bucket, tenants, count, noisy"
          " FROM cogdb.federated_counts(%s::text, %s::text, %s::numeric)")


def _rows(conn, query, params=(), tenant=None, user=None) -> list[tuple]:
    """Rows of ``query`` in the tenant's context, committed (charges and joins stay)."""
    assert_rls_applies(conn)
    conn.autocommit = True
    with conn.transaction():
        if tenant is not None:
            conn.execute(SET_CONTEXT, (str(tenant), None if user is None else str(user)))
        return conn.execute(query, params).fetchall()


def _put(conn, tenant, user, rows) -> None:
    conn.autocommit = True
    with conn.transaction():
        conn.execute(SET_CONTEXT, (str(tenant), str(user)))
        conn.execute("SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                     (json.dumps(rows, default=str), [vec(i) for i in range(len(rows))]))


@pytest.fixture
def fed(db, admin, app_conn, tenants):
    """Six federated tenants f[0..5] (f5 has not joined) and the strict tenant A. Tag 'five'
    is in f0..f4, 'four' in f0..f3; every one of them also has a private memory tagged
    'private', an expired one tagged 'expired', a three-day-old one tagged 'old', and content
    'secret-<i>'. f0 opened the
    session (k = 5) and f1..f4 joined."""
    tag = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    f, users = [], []
    for i in range(6):
        t = admin.create_tenant(f"Fed {i} {tag}", isolation_level="federated",
                                external_id=f"fed{i}-{tag}").id
        f.append(t)
        users.append(admin.create_user(t, email=f"u{i}-{tag}@f.example").id)
        rows = [{"human_content": f"secret-{i}", "tags": ["five"] if i < 5 else ["other"],
                 "technical_depth": i},
                {"human_content": f"secret-{i} private", "tags": ["private"],
                 "visibility": "private"},
                {"human_content": f"secret-{i} expired", "tags": ["expired"],
                 "created_at": now - timedelta(days=1),
                 "expires_at": now - timedelta(seconds=1)},
                {"human_content": f"secret-{i} old", "tags": ["old"],
                 "created_at": now - timedelta(days=3)}]
        if i < 4:
            rows.append({"human_content": f"secret-{i} four", "tags": ["four"]})
        _put(app_conn, t, users[-1], rows)
    session = _rows(app_conn, "SELECT cogdb.open_federated_session('postgres tuning', 5)",
                    tenant=f[0])[0][0]
    for t in f[1:5]:
        _rows(app_conn, "SELECT id FROM cogdb.join_federated_session(%s::text)", (str(session),),
              tenant=t)
    return SimpleNamespace(f=f, users=users, session=str(session), strict=tenants.a)


def test_a_bucket_needs_k_distinct_tenants(app_conn, fed):
    rows = _rows(app_conn, COUNTS, (fed.session, "tag", None), tenant=fed.f[1])
    assert ("five", 5, 5, False) in rows  # control: five tenants, k = 5
    assert [r for r in rows if r[0] == "four"] == []  # four tenants: k - 1, suppressed
    # f5 joins and adds 'four': now five tenants share it
    _put(app_conn, fed.f[5], fed.users[5], [{"human_content": "x", "tags": ["four"]}])
    _rows(app_conn, "SELECT id FROM cogdb.join_federated_session(%s::text)", (fed.session,),
          tenant=fed.f[5])
    rows = _rows(app_conn, COUNTS, (fed.session, "tag", None), tenant=fed.f[1])
    assert ("four", 5, 5, False) in rows and ("five", 5, 5, False) in rows


def test_private_expired_and_over_age_memories_never_count(db, app_conn, fed):
    rows = _rows(app_conn, COUNTS, (fed.session, "tag", None), tenant=fed.f[0])
    assert {r[0] for r in rows} == {"five", "old"}  # 'private', 'expired': in all five too
    by_type = _rows(app_conn, COUNTS, (fed.session, "context_type", None), tenant=fed.f[0])
    assert by_type == [("conversation", 5, 14, False)]  # 5 'five' + 4 'four' + 5 'old'
    with cogdb.connect_admin(db.admin_url) as admin:  # f4 keeps memories one day
        admin.set_retention(fed.f[4], max_age="1 day")
    rows = _rows(app_conn, COUNTS, (fed.session, "tag", None), tenant=fed.f[0])
    assert {r[0] for r in rows} == {"five"}  # 'old' is over age in f4: four tenants left


def test_a_withdrawn_tenant_no_longer_counts(app_conn, fed):
    assert ("five", 5, 5, False) in _rows(app_conn, COUNTS, (fed.session, "tag", None),
                                          tenant=fed.f[0])
    assert _rows(app_conn, "SELECT cogdb.withdraw_federated_session(%s::text)", (fed.session,),
                 tenant=fed.f[4]) == [(True,)]
    assert _rows(app_conn, COUNTS, (fed.session, "tag", None), tenant=fed.f[0]) == []
    # a withdrawn tenant may not ask either
    err = sql_error(app_conn, COUNTS, (fed.session, "tag", None), tenant=fed.f[4])
    assert (err.sqlstate, err.diag.column_name) == ("CGF01", "session_id")
    # control: joining again makes it count again
    _rows(app_conn, "SELECT id FROM cogdb.join_federated_session(%s::text)", (fed.session,),
          tenant=fed.f[4])
    assert ("five", 5, 5, False) in _rows(app_conn, COUNTS, (fed.session, "tag", None),
                                          tenant=fed.f[4])


def test_a_tenant_that_is_not_federated_is_refused(app_conn, fed):
    calls = [("SELECT cogdb.open_federated_session('t')", ()),
             ("SELECT * FROM cogdb.join_federated_session(%s::text)", (fed.session,)),
             ("SELECT * FROM cogdb.list_federated_sessions()", ()),
             (COUNTS, (fed.session, "tag", None)),
             ("SELECT * FROM cogdb.federated_average(%s::text, 'technical_depth')",
              (fed.session,))]
    for call, params in calls:
        err = sql_error(app_conn, call, params, tenant=fed.strict)
        assert (err.sqlstate, err.diag.column_name) == ("CGF01", "isolation_level"), call
    # a federated tenant that has not joined may list and join, not ask
    err = sql_error(app_conn, COUNTS, (fed.session, "tag", None), tenant=fed.f[5])
    assert (err.sqlstate, err.diag.column_name) == ("CGF01", "session_id")
    listed = _rows(app_conn, "SELECT topic, participants, joined_at FROM"
                             " cogdb.list_federated_sessions()", tenant=fed.f[5])
    assert listed == [("postgres tuning", 5, None)]


def test_a_tenant_made_strict_after_joining_no_longer_counts(db, app_conn, fed):
    with db.super.transaction():
        db.super.execute("UPDATE cogdb.tenants SET isolation_level = 'strict' WHERE id = %s",
                         (fed.f[3],))
    assert _rows(app_conn, COUNTS, (fed.session, "tag", None), tenant=fed.f[0]) == []
    with db.super.transaction():  # control
        db.super.execute("UPDATE cogdb.tenants SET isolation_level = 'federated' WHERE id = %s",
                         (fed.f[3],))
    assert [r[0] for r in _rows(app_conn, COUNTS, (fed.session, "tag", None),
                                tenant=fed.f[0])] == ["five", "old"]


def test_k_below_five_is_refused(app_conn, fed):
    err = sql_error(app_conn, "SELECT cogdb.open_federated_session('t', 4)", tenant=fed.f[0])
    assert (err.sqlstate, err.diag.column_name) == ("CGV01", "k")
    new = _rows(app_conn, "SELECT cogdb.open_federated_session('t', 5)", tenant=fed.f[0])[0][0]
    assert _rows(app_conn, "SELECT k FROM cogdb.list_federated_sessions() WHERE id = %s",
                 (new,), tenant=fed.f[0]) == [(5,)]


def test_no_output_carries_another_tenants_id_or_content(app_conn, fed):
    asker = fed.f[0]
    outputs = [
        _rows(app_conn, "SELECT * FROM cogdb.list_federated_sessions()", tenant=asker),
        _rows(app_conn, COUNTS, (fed.session, "tag", None), tenant=asker),
        _rows(app_conn, COUNTS, (fed.session, "tag", "0.01"), tenant=asker),
        _rows(app_conn, COUNTS, (fed.session, "context_type", None), tenant=asker),
        _rows(app_conn, "SELECT * FROM cogdb.federated_top_topics(%s::text, 5)", (fed.session,),
              tenant=asker),
        _rows(app_conn, "SELECT * FROM cogdb.federated_average(%s::text, 'technical_depth')",
              (fed.session,), tenant=asker),
        _rows(app_conn, "SELECT * FROM cogdb.privacy_budget()", tenant=asker),
        _rows(app_conn, "SELECT * FROM cogdb.join_federated_session(%s::text)", (fed.session,),
              tenant=fed.f[1]),
    ]
    text = repr(outputs)
    assert "five" in text and "postgres tuning" in text  # control: the aggregates are there
    assert _rows(app_conn, "SELECT * FROM cogdb.federated_average(%s::text, 'technical_depth')",
                 (fed.session,), tenant=asker) == [(5, 2.0, False)]  # (0+1+2+3+4) / 5
    for i, t in enumerate(fed.f):
        assert f"secret-{i}" not in text
        if t != asker:
            assert str(t) not in text and repr(t) not in text, i
    for u in fed.users:
        assert str(u) not in text


def test_the_app_reads_its_own_budget_only_and_no_federated_registry(app_conn, fed):
    budgets = "SELECT tenant_id FROM cogdb.privacy_budgets ORDER BY tenant_id"
    assert _rows(app_conn, budgets, tenant=fed.f[0]) == [(fed.f[0],)]  # fenced: its own only
    assert _rows(app_conn, budgets, tenant=fed.f[5]) == []  # never joined: no budget yet
    assert _rows(app_conn, budgets) == []  # no context
    for statement in ("SELECT * FROM cogdb.federated_sessions",
                      "SELECT * FROM cogdb.federated_participants",
                      "UPDATE cogdb.privacy_budgets SET epsilon_spent = 0",
                      "INSERT INTO cogdb.privacy_budgets (epsilon_total) VALUES (100)",
                      "SELECT cogdb.federated_contributors(gen_random_uuid())",
                      "SELECT cogdb.charge_privacy_budget('{}', 1, gen_random_uuid())",
                      "SELECT cogdb.laplace_noise(1)",
                      "SELECT cogdb.set_privacy_budget(gen_random_uuid()::text, 100)"):
        assert sql_error(app_conn, statement, tenant=fed.f[0]).sqlstate == "42501", statement
    # the spend sequences (revision 0020), its own tenant's included: no privilege at all
    _rows(app_conn, COUNTS, (fed.session, "tag", "0.1"), tenant=fed.f[0])  # something to hide
    own = f"cogdb.privacy_spent_{hashlib.md5(str(fed.f[0]).encode()).hexdigest()}"
    for statement in (f"SELECT setval('{own}', 0)", f"SELECT nextval('{own}')",
                      f"SELECT last_value FROM {own}",
                      f"SELECT cogdb.privacy_spent('{fed.f[1]}')"):
        assert sql_error(app_conn, statement, tenant=fed.f[0]).sqlstate == "42501", statement
    # the catalog, which every role reads, names the sequence by a hash, not the tenant id
    names = ("SELECT count(*) FROM pg_class c LEFT JOIN pg_description d ON d.objoid = c.oid"
             " WHERE c.relname = %s OR c.relname LIKE %s OR d.description LIKE %s")
    assert _rows(app_conn, names, (own.split(".")[1], f"%{fed.f[0].hex}%",
                                   f"%{fed.f[0]}%"), tenant=fed.f[0]) == [(1,)]
    # PostgreSQL 18 answers NULL rather than an error to a role without privilege
    assert _rows(app_conn, f"SELECT pg_sequence_last_value('{own}')", tenant=fed.f[0]) == [
        (None,)]
    assert _rows(app_conn, "SELECT epsilon_spent FROM cogdb.privacy_budget()",
                 tenant=fed.f[0]) == [(Decimal("0.1"),)]  # control: its own, by the function


def _spent(app_conn, tenants) -> list[Decimal]:
    return [_rows(app_conn, "SELECT epsilon_spent FROM cogdb.privacy_budget()", tenant=t)[0][0]
            for t in tenants]


def test_an_overspending_query_is_refused_and_charges_nobody(db, app_conn, fed):
    with cogdb.connect_admin(db.admin_url) as admin:
        admin.set_privacy_budget(fed.f[3], 0.3)
    members = fed.f[:5]
    err = sql_error(app_conn, COUNTS, (fed.session, "tag", "0.5"), tenant=fed.f[0])
    assert (err.sqlstate, err.diag.column_name) == ("CGP01", "epsilon")
    assert "contributing tenant" in str(err) and str(fed.f[3]) not in str(err)
    assert _spent(app_conn, members) == [0] * 5  # nobody paid, f0..f2 included
    # control: an epsilon every budget can pay is charged to every contributor
    rows = _rows(app_conn, COUNTS, (fed.session, "tag", "0.2"), tenant=fed.f[0])
    assert all(r[1] is None and r[3] is True for r in rows)
    assert _spent(app_conn, members) == [Decimal("0.2")] * 5
    assert _spent(app_conn, [fed.f[5]]) == [0]  # not a contributor
    # the asker's own budget: its message says so
    err = sql_error(app_conn, COUNTS, (fed.session, "tag", "0.2"), tenant=fed.f[3])
    assert err.sqlstate == "CGP01" and "this tenant's privacy budget" in str(err)
    assert _spent(app_conn, members) == [Decimal("0.2")] * 5


def _ask_and_roll_back(app_conn, tenant, query, params, savepoint=False) -> list[tuple]:
    """Runs ``query`` in the tenant's context and rolls its transaction back (or, with
    savepoint, a savepoint taken before it and then commits): what an asker that wants its
    budget back would do."""
    assert_rls_applies(app_conn)
    app_conn.autocommit = True
    app_conn.execute("BEGIN")
    try:
        app_conn.execute(SET_CONTEXT, (str(tenant), None))
        if savepoint:
            app_conn.execute("SAVEPOINT before_ask")
        rows = app_conn.execute(query, params).fetchall()
        if savepoint:
            app_conn.execute("ROLLBACK TO SAVEPOINT before_ask")
            app_conn.execute("COMMIT")
            return rows
    finally:
        if app_conn.info.transaction_status != 0:  # not idle: roll everything back
            app_conn.execute("ROLLBACK")
    return rows


def test_a_rolled_back_noisy_query_stays_charged(app_conn, fed):
    """BEGIN; noisy aggregate; ROLLBACK; leaves every contributor's budget charged, and so
    does a savepoint rolled back around the query: the answer was read, its privacy spent.
    Control: the same rollback around an exact query (no epsilon) charges nothing."""
    members = fed.f[:5]
    rows = _ask_and_roll_back(app_conn, fed.f[1], COUNTS, (fed.session, "tag", None))
    assert rows and all(r[3] is False for r in rows)
    assert _spent(app_conn, members) == [0] * 5  # control: no epsilon, nothing to charge
    rows = _ask_and_roll_back(app_conn, fed.f[1], COUNTS, (fed.session, "tag", "0.3"))
    assert rows and all(r[3] is True for r in rows)
    assert _spent(app_conn, members) == [Decimal("0.3")] * 5
    _ask_and_roll_back(app_conn, fed.f[2], COUNTS, (fed.session, "tag", "0.3"), savepoint=True)
    assert _spent(app_conn, members) == [Decimal("0.6")] * 5
    avg = ("SELECT * FROM cogdb.federated_average(%s::text, 'technical_depth', %s::numeric)")
    _ask_and_roll_back(app_conn, fed.f[0], avg, (fed.session, "0.3"))
    assert _spent(app_conn, members) == [Decimal("0.9")] * 5
    # rolling back does not buy another sample: the budget of 1.0 cannot pay 0.3 again
    err = sql_error(app_conn, COUNTS, (fed.session, "tag", "0.3"), tenant=fed.f[1])
    assert err.sqlstate == "CGP01"
    assert _rows(app_conn, "SELECT * FROM cogdb.privacy_budget()", tenant=fed.f[1]) == [
        (Decimal("1.0"), Decimal("0.9"), Decimal("0.1"))]


def test_the_budget_row_stays_transactional_for_the_admin(db, app_conn, fed):
    """The total is the admin's and transactional: a raise rolled back is gone (its control, a
    raise committed, stays); a total below the spend is refused even when that spend was made
    by a rolled-back query."""
    _ask_and_roll_back(app_conn, fed.f[1], COUNTS, (fed.session, "tag", "0.4"))
    with cogdb.connect_admin(db.admin_url) as admin:
        with pytest.raises(cogdb.InvalidInput) as info:
            admin.set_privacy_budget(fed.f[3], 0.3)
        assert info.value.field == "epsilon_total"
        admin.set_privacy_budget(fed.f[3], 0.5)  # control: at least the spend
    assert _rows(app_conn, "SELECT * FROM cogdb.privacy_budget()", tenant=fed.f[3]) == [
        (Decimal("0.5"), Decimal("0.4"), Decimal("0.1"))]
    with psycopg.connect(db.admin_url, autocommit=True) as conn:
        conn.execute("BEGIN")
        conn.execute("SELECT cogdb.set_privacy_budget(%s::text, 5)", (str(fed.f[3]),))
        conn.execute("ROLLBACK")
    assert _rows(app_conn, "SELECT epsilon_total FROM cogdb.privacy_budget()",
                 tenant=fed.f[3]) == [(Decimal("0.5"),)]
