"""Working context: compare-and-set (a stale version is refused with the current one, and of
two concurrent writers of one version exactly one wins), tiers and namespaces, and expiry
at its boundary."""
from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest
from helpers import SET_CONTEXT, assert_rls_applies

import cogdb


def test_every_write_names_the_version_it_read(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.set_working_entry("plan", {"step": 1}, 0) == 1
        assert s.set_working_entry("plan", {"step": 2}, 1) == 2
        entry = s.get_working_entry("plan")
        assert (entry.value, entry.version, entry.tier, entry.updated_by) == (
            {"step": 2}, 2, "shared", tenants.a1)
    with pytest.raises(cogdb.StaleVersion) as info, client.scope(tenants.a, tenants.a1) as s:
        s.set_working_entry("plan", {"step": 3}, 1)
    err = info.value
    assert (err.sqlstate, err.current_version, err.field) == ("CGC02", 2, "expected_version")
    assert "version 2" in err.message and "expected_version => 2" in err.hint
    assert isinstance(err, cogdb.Conflict)
    with pytest.raises(cogdb.StaleVersion) as info, client.scope(tenants.a, tenants.a1) as s:
        s.set_working_entry("plan", {"step": 0}, 0)  # a create where an entry lives
    assert info.value.current_version == 2
    with pytest.raises(cogdb.StaleVersion) as info, client.scope(tenants.a, tenants.a1) as s:
        s.set_working_entry("nothing", 1, 4)
    assert info.value.current_version == 0
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.get_working_entry("plan").value == {"step": 2}


def test_delete_is_compare_and_set_too(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        s.set_working_entry("k", "v", 0)
        s.set_working_entry("k", "w", 1)
    with pytest.raises(cogdb.StaleVersion) as info, client.scope(tenants.a, tenants.a1) as s:
        s.delete_working_entry("k", 1)
    assert info.value.current_version == 2
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.delete_working_entry("k", 2) is True
        assert s.get_working_entry("k") is None
        assert s.set_working_entry("k", "again", 0) == 1


def _hold_and_race(db, tenants, first: str, second: str) -> tuple[object, object]:
    """``first`` runs and holds its transaction open while ``second`` starts on another
    connection (it must block on the row), then ``first`` commits. Returns what each
    returned or raised (as a psycopg error)."""
    results: dict[str, object] = {}

    def run(conn: psycopg.Connection, name: str, query: str) -> None:
        try:
            results[name] = conn.execute(query).fetchone()[0]
        except psycopg.Error as exc:
            results[name] = exc

    with psycopg.connect(db.app_url) as a, psycopg.connect(db.app_url) as b:
        for conn in (a, b):
            assert_rls_applies(conn)
            conn.rollback()
            conn.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
        run(a, "first", first)
        racer = threading.Thread(target=run, args=(b, "second", second))
        racer.start()
        time.sleep(0.5)
        assert racer.is_alive(), "the second writer did not wait for the first one's lock"
        a.commit()
        racer.join(timeout=30)
        b.rollback()
    return results["first"], results["second"]


def test_of_two_concurrent_updates_of_one_version_exactly_one_wins(db, client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        s.set_working_entry("counter", 0, 0)
    update = "SELECT cogdb.set_working_entry('counter', '{value}', 1)"
    first, second = _hold_and_race(db, tenants, update.format(value=1), update.format(value=2))
    assert first == 2
    assert isinstance(second, psycopg.Error) and second.sqlstate == "CGC02"
    assert second.diag.message_detail == '{"current_version": 2}'
    with client.scope(tenants.a, tenants.a1) as s:
        assert (s.get_working_entry("counter").value, s.get_working_entry("counter").version) \
            == (1, 2)


def test_of_two_concurrent_creates_exactly_one_wins(db, client, tenants):
    create = "SELECT cogdb.set_working_entry('fresh', '{value}', 0)"
    first, second = _hold_and_race(db, tenants, create.format(value=1), create.format(value=2))
    assert first == 1
    assert isinstance(second, psycopg.Error) and second.sqlstate == "CGC02"
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.get_working_entry("fresh").value == 1


def test_eight_writers_incrementing_by_compare_and_set_lose_no_update(db, client, tenants):
    """Each writer reads, adds one, and writes naming the version it read, retrying when
    stale: the final value is the number of successful writes, and versions match."""
    writers, increments = 8, 10
    with client.scope(tenants.a, tenants.a1) as s:
        s.set_working_entry("n", 0, 0)
    errors: list[BaseException] = []
    stale = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(writers)

    def writer() -> None:
        try:
            with cogdb.connect(db.app_url, pool_size=1) as c:
                barrier.wait()
                done = 0
                while done < increments:
                    try:
                        with c.scope(tenants.a, tenants.a1) as s:
                            entry = s.get_working_entry("n")
                            s.set_working_entry("n", entry.value + 1, entry.version)
                        done += 1
                    except cogdb.StaleVersion:
                        with lock:
                            stale[0] += 1
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with client.scope(tenants.a, tenants.a1) as s:
        entry = s.get_working_entry("n")
    assert (entry.value, entry.version) == (writers * increments, writers * increments + 1)


def test_tiers_and_namespaces(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        session = s.start_session()  # private to a1
        s.set_working_entry("k", "shared, no session", 0)
        s.set_working_entry("k", "a1's own", 0, tier="private")
        s.set_working_entry("k", "planner's", 0, agent="planner")
        s.set_working_entry("k", "on a1's session", 0, session=session)
        assert s.get_working_entry("k").value == "shared, no session"
        assert s.get_working_entry("k", tier="private").value == "a1's own"
        assert s.get_working_entry("k", agent="planner").value == "planner's"
        on_session = s.get_working_entry("k", session=session)
        assert (on_session.value, on_session.owner_user_id) == ("on a1's session", tenants.a1)
        assert [(e.key, e.tier) for e in s.list_working_entries()] == [
            ("k", "private"), ("k", "shared")]
        assert [e.value for e in s.list_working_entries(tier="shared")] == ["shared, no session"]
    with client.scope(tenants.a, tenants.a2) as s:
        assert s.get_working_entry("k").value == "shared, no session"
        assert s.get_working_entry("k", tier="private") is None
        assert s.set_working_entry("k", "a2's own", 0, tier="private") == 1


def test_listing_pages_by_key(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        for key in ("b", "a", "c", "ab"):
            s.set_working_entry(key, key, 0)
            s.set_working_entry(key, key, 0, tier="private")
        s.set_working_entry("other", 1, 0, agent="x")
        pages, after = [], None
        while page := s.list_working_entries(page_size=3, after=after):
            pages.append([(e.key, e.tier) for e in page])
            after = (page[-1].key, page[-1].tier)
        assert [row for page in pages for row in page] == [
            (k, t) for k in ("a", "ab", "b", "c") for t in ("private", "shared")]
        assert [e.key for e in s.list_working_entries(key_prefix="a", tier="shared")] == [
            "a", "ab"]


@pytest.mark.parametrize(("kwargs", "exc", "field"), [
    ({"tier": "consensus"}, cogdb.InvalidInput, "tier"),
    ({"key": ""}, cogdb.InvalidInput, "key"),
    ({"expected_version": -1}, cogdb.InvalidInput, "expected_version"),
    ({"session": uuid.uuid4()}, cogdb.NotFound, "session_id"),
    ({"agent": ""}, cogdb.InvalidInput, "agent"),
])
def test_bad_writes_name_their_field(client, tenants, kwargs, exc, field):
    args = {"key": "k", "value": 1, "expected_version": 0, **kwargs}
    with pytest.raises(exc) as info, client.scope(tenants.a, tenants.a1) as s:
        s.set_working_entry(args.pop("key"), args.pop("value"), args.pop("expected_version"),
                            **args)
    assert info.value.field == field


def test_a_private_entry_needs_a_user(client, tenants):
    with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a) as s:
        s.set_working_entry("k", 1, 0, tier="private")
    assert info.value.field == "tier"


# --------------------------------------------------------------------------- expiry

def _expire(db, key: str, offset: str) -> None:
    db.super.execute("UPDATE cogdb.working_context SET expires_at = now() + %s::interval"
                     " WHERE key = %s", (offset, key))


def test_expiry_one_second_before_and_after(db, client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        s.set_working_entry("soon", "still here", 0)
        s.set_working_entry("gone", "expired", 0)
    _expire(db, "soon", "1 second")
    _expire(db, "gone", "-1 second")
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.get_working_entry("soon").value == "still here"
        assert s.get_working_entry("gone") is None
        assert [e.key for e in s.list_working_entries()] == ["soon"]
        assert [r["key"] for r in s._execute("SELECT key FROM cogdb.working_context")] == ["soon"]
        with pytest.raises(cogdb.StaleVersion) as info:  # an expired entry is gone
            s.set_working_entry("gone", "update", 1)
        assert info.value.current_version == 0


def test_expiry_at_the_exact_instant(db, client, tenants):
    """In one transaction whose now() is T: an entry expiring at T is invisible, one at
    T + 1 µs visible. The superuser sets the times, then becomes the app login."""
    with client.scope(tenants.a, tenants.a1) as s:
        s.set_working_entry("at", 1, 0)
        s.set_working_entry("after", 1, 0)
    conn = db.super
    with conn.transaction(force_rollback=True):
        conn.execute("UPDATE cogdb.working_context SET expires_at = now() WHERE key = 'at'")
        conn.execute("UPDATE cogdb.working_context SET expires_at = now() + interval '1 us'"
                     " WHERE key = 'after'")
        conn.execute("SET LOCAL ROLE cogdb_test_app")
        assert_rls_applies(conn)
        conn.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
        keys = [r[0] for r in conn.execute(
            "SELECT key FROM cogdb.list_working_entries() ORDER BY key")]
        assert keys == ["after"]
        assert conn.execute("SELECT count(*) FROM cogdb.get_working_entry('at')"
                            ).fetchone() == (0,)
        assert [r[0] for r in conn.execute("SELECT key FROM cogdb.working_context")] == ["after"]


def test_a_create_over_an_expired_entry_continues_its_versions(db, client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        s.set_working_entry("lease", "holder 1", 0)
        s.set_working_entry("lease", "holder 1 renewed", 1)
    _expire(db, "lease", "-1 second")
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.get_working_entry("lease") is None
        assert s.set_working_entry("lease", "holder 2", 0) == 3
    with pytest.raises(cogdb.StaleVersion) as info, client.scope(tenants.a, tenants.a1) as s:
        s.set_working_entry("lease", "holder 1 again", 2)  # what holder 1 last read
    assert info.value.current_version == 3


def test_expires_at_must_be_in_the_future(client, tenants):
    from datetime import UTC, datetime, timedelta

    with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a, tenants.a1) as s:
        s.set_working_entry("k", 1, 0, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert info.value.field == "expires_at"
    with client.scope(tenants.a, tenants.a1) as s:
        s.set_working_entry("k", 1, 0, expires_at=datetime.now(UTC) + timedelta(hours=1))
        assert s.get_working_entry("k").expires_at is not None


def test_deleting_a_user_deletes_their_private_entries(admin, client, tenants, db):
    with client.scope(tenants.a, tenants.a2) as s:
        s.set_working_entry("mine", 1, 0, tier="private")
        s.set_working_entry("ours", 1, 0)
    assert admin.delete_user(tenants.a, tenants.a2)
    keys = {r[0] for r in db.super.execute("SELECT key FROM cogdb.working_context"
                                           " WHERE tenant_id = %s", (tenants.a,))}
    assert keys == {"ours"}
