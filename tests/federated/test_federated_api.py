"""Federated insights through the Python API and the CLI, as the app login: the methods map
rows and errors (CGP01 as PrivacyBudgetExhausted, CGF01, CGV01 naming the field), the async
client shares them, concurrent noisy queries cannot overspend a budget, and every ``cogdb
federated`` command has --json and one-line errors."""
from __future__ import annotations

import json
import threading
import time
import uuid
from decimal import Decimal
from types import SimpleNamespace

import psycopg
import pytest
from helpers import SET_CONTEXT, cli, one_error

import cogdb


@pytest.fixture
def fed(admin, client):
    """Five federated tenants, each with one memory tagged 'postgres' (technical_depth i) and
    one tagged 'own-<i>'; f0 opened a session (k = 5) that all of them joined; f5 is strict."""
    tag = uuid.uuid4().hex[:8]
    f = [admin.create_tenant(f"Fed {i} {tag}", isolation_level="federated").id for i in range(5)]
    strict = admin.create_tenant(f"Strict {tag}").id
    for i, t in enumerate(f):
        with client.scope(t) as s:
            s.remember(f"note {i}", tags=["postgres", f"own-{i}"], technical_depth=i)
    with client.scope(f[0]) as s:
        session = s.open_federated_session("postgres tuning")
    for t in f[1:]:
        with client.scope(t) as s:
            s.join_federated_session(session.id)
    return SimpleNamespace(f=f, strict=strict, session=session)


def test_the_methods_map_rows(client, fed):
    assert fed.session.k == 5 and fed.session.opened_here and fed.session.active
    with client.scope(fed.f[1]) as s:
        (listed,) = s.list_federated_sessions()
        assert (listed.id, listed.participants, listed.opened_here) == (fed.session.id, 5, False)
        assert s.federated_counts(fed.session.id, "tag") == [
            cogdb.Bucket("postgres", 5, 5, False)]
        assert s.federated_top_topics(fed.session.id, 3) == [
            cogdb.Bucket("postgres", 5, 5, False)]
        assert s.federated_average(fed.session.id, "technical_depth") == cogdb.Average(
            "technical_depth", 5, 2.0, False)
        noisy = s.federated_counts(fed.session.id, "tag", epsilon=0.5)
        assert [(b.bucket, b.tenants, b.noisy) for b in noisy] == [("postgres", None, True)]
        assert s.privacy_budget() == cogdb.PrivacyBudget(Decimal("1.0"), Decimal("0.5"),
                                                         Decimal("0.5"))
    with pytest.raises(cogdb.PrivacyBudgetExhausted) as info, client.scope(fed.f[1]) as s:
        s.federated_average(fed.session.id, "technical_depth", epsilon=0.6)
    assert info.value.field == "epsilon"
    with client.scope(fed.f[4]) as s:  # f1's refused query charged nobody
        assert s.privacy_budget().epsilon_spent == Decimal("0.5")
        assert s.withdraw_federated_session(fed.session.id) is True
        assert s.withdraw_federated_session(fed.session.id) is False
    with client.scope(fed.f[1]) as s:
        assert s.federated_counts(fed.session.id, "tag") == []
        assert s.federated_average(fed.session.id, "technical_depth") is None


def test_bad_input_names_its_field_and_changes_nothing(client, fed):
    cases = [(lambda s: s.federated_counts(fed.session.id, "colour"), "dimension"),
             (lambda s: s.federated_counts(fed.session.id, "tag", epsilon=0), "epsilon"),
             (lambda s: s.federated_counts(fed.session.id, "tag", epsilon=11), "epsilon"),
             (lambda s: s.federated_counts("not-a-uuid", "tag"), "session_id"),
             (lambda s: s.federated_average(fed.session.id, "salary"), "signal"),
             (lambda s: s.federated_top_topics(fed.session.id, 0), "n"),
             (lambda s: s.open_federated_session("t", k=4), "k"),
             (lambda s: s.open_federated_session(" "), "topic")]
    for call, field in cases:
        with pytest.raises(cogdb.InvalidInput) as info, client.scope(fed.f[0]) as s:
            call(s)
        assert info.value.field == field
    with pytest.raises(cogdb.NotFound), client.scope(fed.f[0]) as s:
        s.join_federated_session(uuid.uuid4())
    with pytest.raises(cogdb.FeatureDisabled) as info, client.scope(fed.strict) as s:
        s.list_federated_sessions()
    assert info.value.field == "isolation_level"
    with client.scope(fed.f[0]) as s:  # control: nothing was opened or charged
        assert len(s.list_federated_sessions()) == 1
        assert s.privacy_budget().epsilon_spent == 0


def test_the_async_client_shares_the_methods(db, fed):
    from bridge import AsyncBridge

    c = AsyncBridge(db.app_url, pool_size=1)
    try:
        with c.scope(fed.f[2]) as s:
            assert s.federated_counts(fed.session.id, "tag")[0].bucket == "postgres"
            assert s.privacy_budget().epsilon_left == Decimal("1.0")
    finally:
        c.close()


def test_concurrent_noisy_queries_cannot_overspend(db, admin, fed):
    """Four connections ask at once for epsilon 0.3 against budgets of 1.0: exactly three
    are paid for, every contributor spent 0.9, and the fourth is refused with CGP01. A lock
    held on f0's budget row makes them all wait at the same point before any charge."""
    results: list[str] = []
    lock = threading.Lock()

    def ask(n: int) -> None:
        with psycopg.connect(db.app_url, autocommit=True) as conn, conn.transaction():
            conn.execute(SET_CONTEXT, (str(fed.f[n]), None))
            try:
                conn.execute("SELECT * FROM cogdb.federated_counts(%s::text, 'tag', 0.3)",
                             (str(fed.session.id),)).fetchall()
                outcome = "paid"
            except psycopg.Error as exc:
                outcome = exc.sqlstate or "?"
                raise psycopg.Rollback() from None
            finally:
                with lock:
                    results.append(outcome)

    blocker = psycopg.connect(db.url(), autocommit=True)
    watcher = psycopg.connect(db.url(), autocommit=True)  # each look its own transaction
    try:
        with blocker.transaction():
            blocker.execute("SELECT FROM cogdb.privacy_budgets WHERE tenant_id = %s FOR UPDATE",
                            (fed.f[0],))
            threads = [threading.Thread(target=ask, args=(n,)) for n in range(4)]
            for t in threads:
                t.start()
            deadline = time.monotonic() + 60
            while watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND usename = 'cogdb_test_app' AND wait_event_type = 'Lock'"
                    ).fetchone()[0] < 4:
                assert time.monotonic() < deadline, "the four queries never queued up"
                time.sleep(0.05)
        for t in threads:
            t.join(60)
    finally:
        blocker.close()
        watcher.close()
    assert sorted(results) == ["CGP01", "paid", "paid", "paid"]
    spent = []
    for t in fed.f:
        with cogdb.connect(db.app_url, pool_size=1) as c, c.scope(t) as s:
            spent.append(s.privacy_budget().epsilon_spent)
    assert spent == [Decimal("0.9")] * 5


def test_the_cli(db, fed):
    session = str(fed.session.id)
    out = cli(db, "federated", "list", "--tenant", str(fed.f[1]), "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)[0]["participants"] == 5
    out = cli(db, "federated", "counts", "--tenant", str(fed.f[1]), "--session", session,
              "--by", "tag", "--json")
    assert json.loads(out.output) == [{"bucket": "postgres", "tenants": 5, "count": 5,
                                       "noisy": False}]
    out = cli(db, "federated", "top", "--tenant", str(fed.f[1]), "--session", session)
    assert "postgres" in out.output and "5 tenants" in out.output
    out = cli(db, "federated", "average", "--tenant", str(fed.f[1]), "--session", session,
              "--signal", "technical_depth", "--epsilon", "0.25", "--json")
    assert json.loads(out.output)["noisy"] is True
    out = cli(db, "federated", "budget", "--tenant", str(fed.f[1]), "--json")
    assert json.loads(out.output) == {"epsilon_total": 1.0, "epsilon_spent": 0.25,
                                      "epsilon_left": 0.75}
    out = cli(db, "federated", "set-budget", "--tenant", str(fed.f[1]), "--epsilon", "0.1")
    one_error(out, "below what the tenant has spent")
    out = cli(db, "federated", "set-budget", "--tenant", str(fed.f[1]), "--epsilon", "3",
              "--json")
    assert json.loads(out.output)["epsilon_total"] == 3
    # f1 (total 3) can pay 0.9; the others (0.75 left) cannot
    out = cli(db, "federated", "counts", "--tenant", str(fed.f[1]), "--session", session,
              "--by", "tag", "--epsilon", "0.9")
    one_error(out, "privacy budget of a contributing tenant")
    out = cli(db, "federated", "open", "--tenant", str(fed.strict), "--topic", "x")
    one_error(out, "isolation_level federated")
    out = cli(db, "federated", "withdraw", "--tenant", str(fed.f[3]), "--session", session,
              "--json")
    assert json.loads(out.output) == {"session_id": session, "withdrawn": True}
    out = cli(db, "federated", "join", "--tenant", str(fed.f[3]), "--session", session)
    assert "taking part" in out.output
    out = cli(db, "federated", "open", "--tenant", str(fed.f[3]), "--topic", "other",
              "--json")
    assert json.loads(out.output)["k"] == 5
