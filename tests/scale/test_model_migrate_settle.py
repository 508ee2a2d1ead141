"""A promoted tenant's cutover without the write pause (revision 0027, docs/scale-out.md
"Re-embedding without downtime"): `cogdb model migrate` run by a member of cogdb_owner builds
the side index and the new model's index CONCURRENTLY, the cutover only flips the default
model (phase settling), and the rows settle in short transactions. Searches during the
settle return one model with full recall (exact ranking as the oracle); the tenant's writes
go on during the cutover and the settle with a short lock_timeout; a killed settle resumes;
an explicit search of the old model returns nothing while the tenant settles."""
from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from helpers import cli
from test_model_migrate import NEW, OLD, _fill, _oracle, _state, _texts

import cogdb
import cogdb.ops.maintain
from cogdb import HashEmbedder
from cogdb.db.errors import translated


@pytest.fixture
def new_model(admin):
    admin.register_model(NEW, 64, embedder="hash")
    return HashEmbedder(NEW, 64)


@pytest.fixture
def owner_admin(db):
    """The migrating login (a member of cogdb_owner, as `cogdb maintain` needs)."""
    a = cogdb.connect_admin(db.url())
    yield a
    a.close()


def _promoted(db, client, tenant, user, n, seed):
    db.super.execute("UPDATE cogdb.settings SET value = '20' WHERE key = 'search.ann_min_rows'")
    db.super.execute("UPDATE cogdb.settings SET value = '5' WHERE key = 'search.exact_max_rows'")
    texts = _texts(n, seed=seed)
    ids = _fill(client, tenant, user, texts)
    steps = cogdb.ops.maintain.run(db.url(), echo=lambda *_: None)
    assert [(s.action, s.error) for s in steps] == [("promote", None), ("create", None)]
    return texts, ids


def _cut_over_only(db, client, owner_admin, tenant, seed):
    """24 memories of a promoted tenant, embedded with NEW and cut over (phase settling),
    nothing settled yet."""
    _promoted(db, client, tenant, None, 24, seed=seed)
    owner_admin.migrate_model(tenant, NEW, cut_over=False)
    with translated():
        owner_admin.connection.execute("SELECT cogdb.cut_over_model_migration(%s::text, %s)",
                                       (str(tenant), NEW))

def _names(db, tenant):
    return tuple(db.super.execute(q, (tenant, m)).fetchone()[0] for q, m in (
        ("SELECT cogdb.ann_index_name(%s, %s)", OLD),
        ("SELECT cogdb.ann_index_name(%s, %s)", NEW),
        ("SELECT cogdb.settle_index_name(%s, %s)", NEW)))


def _exists(db, index):
    return db.super.execute("SELECT to_regclass('cogdb.' || %s) IS NOT NULL",
                            (index,)).fetchone()[0]


QUERIES = ("alpha bravo", "kilo lima mike", "oscar note 7")


def test_the_cutover_flips_the_model_and_the_rows_settle_with_full_recall(
        db, client, owner_admin, tenants, new_model):
    texts, ids = _promoted(db, client, tenants.a, tenants.a1, 40, seed=11)
    old_index, new_index, side_index = _names(db, tenants.a)
    done = owner_admin.migrate_model(tenants.a, NEW, batch=16, cut_over=False)
    assert done.phase == "indexed" and done.settle_indexes == [side_index, new_index]
    assert cogdb.ops.maintain.plan(db.url()) == []   # the new index, still empty, is kept
    before = _state(db, tenants.a)
    text_rows = "SELECT memory_id, xmin::text FROM cogdb.text_index WHERE tenant_id = %s" \
                " AND memory_id = ANY (%s) ORDER BY 1"
    text_before = db.super.execute(text_rows, (tenants.a, ids)).fetchall()
    assert len(text_before) == 40

    # A writer with a short lock_timeout, writing while the cutover and the settle run.
    writer = cogdb.connect(db.app_url + "&options=-c%20lock_timeout%3D1000", pool_size=1)
    written: list[str] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def writing() -> None:
        i = 0
        while not stop.is_set():
            try:
                with writer.scope(tenants.a, tenants.a2) as s:
                    written.append(s.remember(f"written meanwhile {i}", "", id=f"w{i:03d}",
                                              private=True))
            except BaseException as exc:
                failures.append(exc)
                return
            i += 1

    seen: list[tuple[str, set[str]]] = []

    def during_settle(batches: int) -> None:
        # Searches as a1 between settle transactions: the new model's exact top-k over all
        # a1's memories, whichever of the two places each one is in now.
        n_old = db.super.execute("SELECT count(*) FROM cogdb.memories WHERE tenant_id = %s"
                                 " AND model = %s AND id = ANY (%s)",
                                 (tenants.a, OLD, ids)).fetchone()[0]
        for q in QUERIES:
            with client.scope(tenants.a, tenants.a1) as s:
                hits = s.search(q, k=5)
                assert s.search(q, k=5, model=OLD) == []   # the old model: nothing, not a part
            assert [h.id for h in hits] == _oracle(new_model, texts, ids, q, 5)
            seen.append((str(n_old), {h.plan for h in hits}))

    worker = threading.Thread(target=writing)
    worker.start()
    try:
        done = owner_admin.migrate_model(tenants.a, NEW, settle_batch=15,
                                         after_settle=during_settle)
    finally:
        stop.set()
        worker.join()
        writer.close()
    assert failures == [] and written
    # the 40 and those written (private to a2, unseen by a1) before the cutover committed
    assert done.phase == "cut_over" and done.settled >= 40
    # searched while 25, 10, then 0 of the 40 were still of the old model, through both indexes
    assert [n for n, _ in seen[::3]][:3] == ["25", "10", "0"]
    assert {p for _, plans in seen for p in plans} == {f"ann:{new_index}+{side_index}"}
    after = _state(db, tenants.a)
    assert after["default"] == NEW
    assert {m for _, m, _ in after["memories"]} == {NEW}
    # the old vectors are kept, exactly as they were; the new ones left the side table
    assert [r for r in after["side"] if r[0] in ids] == [
        (i, OLD, v) for i, _, v in before["memories"]]
    assert {m for i, m, _ in after["side"]} == {OLD}
    assert not _exists(db, side_index) and _exists(db, new_index)
    # the settle changed vectors only: no memory's text was indexed again
    assert db.super.execute(text_rows, (tenants.a, ids)).fetchall() == text_before
    with client.scope(tenants.a, tenants.a1) as s:
        hits = s.search("alpha bravo", k=5)
    assert {h.plan for h in hits} == {f"ann:{new_index}"}
    row = owner_admin.model_migrations(tenants.a)[0]
    assert row["phase"] == "cut_over" and 40 <= row["total"] <= done.settled
    assert [(s.action, s.index_name) for s in cogdb.ops.maintain.plan(db.url())] == [
        ("drop_unneeded", old_index)]


def test_a_settle_transaction_locks_rows_not_the_tenant(db, client, owner_admin, tenants,
                                                        new_model):
    _cut_over_only(db, client, owner_admin, tenants.a, seed=12)
    assert owner_admin.model_migrations(tenants.a)[0]["phase"] == "settling"
    # nothing moved in the cutover: every memory still holds its old vector
    assert {m for _, m, _ in _state(db, tenants.a)["memories"]} == {OLD}
    writer = cogdb.connect(db.app_url + "&options=-c%20lock_timeout%3D500", pool_size=1)
    try:
        with owner_admin.connection.transaction():
            row = owner_admin.connection.execute(
                "SELECT settled, remaining FROM cogdb.settle_model_migration(%s::text, %s, 5)",
                (str(tenants.a), NEW)).fetchone()
            assert row == (5, 19)
            # open settle transaction: a new memory and a change of an unsettled one go through
            with writer.scope(tenants.a) as s:
                s.remember("written during a settle transaction", "", id="during")
                s.connection.execute("UPDATE cogdb.memories SET tags = '[\"x\"]'"
                                     " WHERE id = 'm0023'")
            # a memory of the open batch waits for it (row lock), a few milliseconds in use
            with pytest.raises(cogdb.CogdbError) as info, writer.scope(tenants.a) as s:
                s.connection.execute("UPDATE cogdb.memories SET tags = '[\"x\"]'"
                                     " WHERE id = 'm0000'")
            assert info.value.sqlstate == "55P03"
    finally:
        writer.close()
    with client.scope(tenants.a) as s:
        assert s.search("during", k=1)[0].id == "during"   # written with the new model


def test_a_killed_settle_resumes(db, client, owner_admin, tenants, new_model):
    texts, ids = _promoted(db, client, tenants.a, tenants.a1, 30, seed=13)
    _, new_index, side_index = _names(db, tenants.a)

    class Stop(Exception):
        pass

    def stop_at_two(batches: int) -> None:
        if batches == 2:
            raise Stop

    with pytest.raises(Stop):
        owner_admin.migrate_model(tenants.a, NEW, settle_batch=7, after_settle=stop_at_two)
    row = owner_admin.model_migrations(tenants.a)[0]
    assert row["phase"] == "settling"
    left = db.super.execute("SELECT count(*) FROM cogdb.memories WHERE tenant_id = %s"
                            " AND model = %s", (tenants.a, OLD)).fetchone()[0]
    assert left == 16
    # maintain keeps the new model's index, small as it still is (search reads it)
    assert new_index not in {s.index_name for s in cogdb.ops.maintain.plan(db.url())}
    for q in QUERIES:   # stopped halfway: still one model, full recall
        with client.scope(tenants.a, tenants.a1) as s:
            assert [h.id for h in s.search(q, k=5)] == _oracle(new_model, texts, ids, q, 5)
            # hybrid search's vector half is search_tenant's: the same union while settling
            hybrid = s.hybrid_search(None, k=5, vector=new_model.embed([q])[0],
                                     include_entities=False)
            assert [h.id for h in hybrid] == _oracle(new_model, texts, ids, q, 5)
    # another migration waits for this one
    with pytest.raises(cogdb.CogdbError) as info:
        owner_admin.migrate_model(tenants.a, OLD)
    assert info.value.sqlstate == "CGC01"
    done = owner_admin.migrate_model(tenants.a, NEW, settle_batch=7)
    assert (done.phase, done.settled, done.embedded) == ("cut_over", 16, 0)
    assert {m for _, m, _ in _state(db, tenants.a)["memories"]} == {NEW}
    assert not _exists(db, side_index) and _exists(db, new_index)
    # once more: nothing to do
    again = owner_admin.connection.execute(
        "SELECT phase, settled, drop_index FROM cogdb.settle_model_migration(%s::text, %s)",
        (str(tenants.a), NEW)).fetchone()
    assert again == ("cut_over", 0, None)


def test_settle_refusals_name_the_field(db, client, owner_admin, tenants, new_model):
    _fill(client, tenants.a, None, _texts(3, seed=14))
    with pytest.raises(cogdb.CogdbError) as info, translated():
        owner_admin.connection.execute(
            "SELECT * FROM cogdb.settle_model_migration(%s::text, %s, 0)", (str(tenants.a), NEW))
    assert info.value.sqlstate == "CGV01" and "batch" in info.value.message
    with pytest.raises(cogdb.CogdbError) as info, translated():
        owner_admin.connection.execute(
            "SELECT * FROM cogdb.settle_model_migration(%s::text, %s)", (str(tenants.a), NEW))
    assert info.value.sqlstate == "CGN01"
    # an unpromoted tenant needs no index and is cut over by the swap, as before
    done = owner_admin.migrate_model(tenants.a, NEW)
    assert (done.phase, done.settle_indexes, done.settle_seconds) == ("cut_over", [], None)


def test_the_migrate_command_settles(db, client, tenants, new_model):
    _promoted(db, client, tenants.a, None, 22, seed=15)
    _, new_index, side_index = _names(db, tenants.a)
    result = cli(db, "model", "migrate", "--tenant", str(tenants.a), "--to", NEW,
                 "--settle-batch", "10", "--json", admin_url=db.url())
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["phase"], out["settled"], out["settle_batches"]) == ("cut_over", 22, 3)
    assert out["settle_indexes"] == [side_index, new_index]
    assert not _exists(db, side_index) and _exists(db, new_index)
    bad = cli(db, "model", "migrate", "--tenant", str(tenants.a), "--to", NEW,
              "--settle-batch", "0", admin_url=db.url())
    assert bad.exit_code == 2 and "--settle-batch" in bad.output


def test_a_write_of_the_old_model_open_when_the_settle_ends_is_settled_too(
        db, client, owner_admin, tenants, new_model):
    """A write whose statement resolved the old model before the cutover committed can
    commit after the settle's last batch. The settle's end waits for such a write (the
    tenant's gate, tried for its lock_timeout of 4 s less 200 ms) and counts again: the memory
    settles in the next batch instead of staying on the old model once the side index is
    gone."""
    _cut_over_only(db, client, owner_admin, tenants.a, seed=14)
    settle = "SELECT phase, settled, remaining FROM cogdb.settle_model_migration(%s::text, %s)"
    # the late write: the old model named, as a statement begun before the cutover resolved
    # it; its second vector (NEW) goes to the side table, the migration still settling
    late = client.scope(tenants.a)
    s = late.__enter__()
    try:
        s.remember("alpha bravo written late", "", id="late", model=OLD)
        s.connection.execute("SELECT cogdb.remember_embeddings(ARRAY['late'], %s, ARRAY[%s])",
                             (NEW, new_model.embed(["alpha bravo written late\n"])[0]))
        result: list = []

        def settling() -> None:
            with cogdb.connect_admin(db.url() + "&options=-c%20lock_timeout%3D4000") as a, \
                    translated():
                result.append(a.connection.execute(settle, (str(tenants.a), NEW)).fetchone())
        worker = threading.Thread(target=settling)
        worker.start()
        worker.join(2.0)
        assert worker.is_alive()   # the settle's end waits for the open write
    finally:
        late.__exit__(None, None, None)
    worker.join(30)
    # the 24 settled, the late one seen after the wait: not done yet
    assert result == [("settling", 24, 1)]
    with translated():
        row = owner_admin.connection.execute(settle, (str(tenants.a), NEW)).fetchone()
    assert row == ("cut_over", 1, 0)
    model = db.super.execute("SELECT model FROM cogdb.memories WHERE tenant_id = %s"
                             " AND id = 'late'", (tenants.a,)).fetchone()[0]
    assert model == NEW
    with client.scope(tenants.a) as s:
        assert "late" in [h.id for h in s.search("alpha bravo written late", k=3)]


@contextlib.contextmanager
def _every_partition_locked_by(db, tenant) -> Iterator[None]:
    """A transaction of ``tenant``, open for the block, whose UPDATE names no tenant: it
    locks every partition of memories in ROW EXCLUSIVE mode, other tenants' too."""
    with psycopg.connect(db.app_url, autocommit=True) as other, other.transaction():
        other.execute("SELECT cogdb.set_context(%s::text, NULL)", (str(tenant),))
        other.execute("UPDATE cogdb.memories SET tags = tags WHERE id = 'no-such-id'")
        yield


@contextlib.contextmanager
def _impatient_admin(db) -> Iterator[cogdb.AdminClient]:
    """An admin login with a lock_timeout of 2 s, errors translated."""
    with cogdb.connect_admin(db.url() + "&options=-c%20lock_timeout%3D2000") as a, \
            translated():
        yield a


def test_another_tenants_open_statement_does_not_hold_the_settle_end(
        db, client, owner_admin, tenants, new_model):
    """The settle's end waits for its own tenant's transactions only (the tenant's gate):
    tenant B's open UPDATE that names no tenant locks every partition of memories, A's too,
    and must not hold A's settle (a lock on A's partition waited for it, and A's writes
    queued behind that wait); A's own writes go on right after."""
    _cut_over_only(db, client, owner_admin, tenants.a, seed=15)
    with _every_partition_locked_by(db, tenants.b), _impatient_admin(db) as a:
        row = a.connection.execute(
            "SELECT phase, settled, remaining FROM cogdb.settle_model_migration("
            "%s::text, %s)", (str(tenants.a), NEW)).fetchone()
    assert row == ("cut_over", 24, 0)
    with client.scope(tenants.a) as s:
        s.remember("after the settle", "", id="after")


def _indexed_only(db, client, owner_admin, tenant, seed):
    """24 memories of a promoted tenant, embedded with NEW, its side and new-model indexes
    built: the cutover would settle (model_migration_settles)."""
    _promoted(db, client, tenant, None, 24, seed=seed)
    assert owner_admin.migrate_model(tenant, NEW, cut_over=False).phase == "indexed"
    assert db.super.execute("SELECT cogdb.model_migration_settles(%s, %s)",
                            (tenant, NEW)).fetchone()[0]


CUT_OVER = "SELECT phase FROM cogdb.cut_over_model_migration(%s::text, %s)"


def test_another_tenants_open_statement_does_not_hold_the_cutover(
        db, client, owner_admin, tenants, new_model):
    """Revision 0031: a settling cutover waits for its own tenant's transactions only (the
    tenant's gate). Tenant B's open UPDATE that names no tenant locks every partition of
    memories in ROW EXCLUSIVE mode, A's too; the SHARE lock the cutover took on A's
    partition waited for it until lock_timeout (and A's writes queued behind the wait)."""
    _indexed_only(db, client, owner_admin, tenants.a, seed=16)
    with _every_partition_locked_by(db, tenants.b), _impatient_admin(db) as a:
        phase = a.connection.execute(CUT_OVER, (str(tenants.a), NEW)).fetchone()[0]
    assert phase == "settling"
    with client.scope(tenants.a) as s:
        s.remember("after the cutover", "", id="after")
        assert s.get("after").model == NEW


def test_a_settling_cutover_waits_for_its_own_tenants_transactions(
        db, client, owner_admin, tenants, new_model):
    """The gate still holds the tenant's own writers: with a transaction of tenant A open
    (set_context takes the gate shared), A's cutover waits and gives up at lock_timeout,
    changing nothing; once it ends, the cutover runs. Control for the test above: a
    cutover that took no lock at all would pass that one."""
    _indexed_only(db, client, owner_admin, tenants.a, seed=17)
    mine = psycopg.connect(db.app_url, autocommit=True)
    try:
        with mine.transaction():
            mine.execute("SELECT cogdb.set_context(%s::text, NULL)", (str(tenants.a),))
            with cogdb.connect_admin(db.url() + "&options=-c%20lock_timeout%3D300") as a, \
                    pytest.raises(psycopg.errors.LockNotAvailable):
                a.connection.execute(CUT_OVER, (str(tenants.a), NEW))
    finally:
        mine.close()
    assert db.super.execute("SELECT phase FROM cogdb.model_migrations WHERE tenant_id = %s",
                            (tenants.a,)).fetchone()[0] == "indexed"
    with translated():
        phase = owner_admin.connection.execute(CUT_OVER, (str(tenants.a), NEW)).fetchone()[0]
    assert phase == "settling"


def test_the_settle_indexes_stay_valid_through_the_cutover(
        db, client, owner_admin, tenants, new_model):
    """The settling cutover holds A's partition in SHARE UPDATE EXCLUSIVE mode until it
    commits (revision 0031, from its review): a DROP INDEX CONCURRENTLY of the new-model
    index, which marks the index invalid before it waits for the transactions using it,
    waits for the cutover first and times out, leaving the index valid and A's searches
    whole. Without the lock the cutover committed phase settling over an invalid index and
    A's search returned nothing. Control: after the commit the drop goes through."""
    _indexed_only(db, client, owner_admin, tenants.a, seed=18)
    new_index = _names(db, tenants.a)[1]
    drop = f"DROP INDEX CONCURRENTLY cogdb.{new_index}"
    valid = "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('cogdb.' || %s)"
    with cogdb.connect_admin(db.url()) as a:
        a.connection.execute("BEGIN")
        assert a.connection.execute(CUT_OVER, (str(tenants.a), NEW)).fetchone()[0] == "settling"
        with psycopg.connect(db.url() + "&options=-c%20lock_timeout%3D300",
                             autocommit=True) as dba:
            with pytest.raises(psycopg.errors.LockNotAvailable):
                dba.execute(drop)
            assert db.super.execute(valid, (new_index,)).fetchone()[0] is True
            a.connection.execute("COMMIT")
            with client.scope(tenants.a) as s:
                assert len(s.search("alpha bravo", k=30)) == 24
            dba.execute(drop)
    assert not _exists(db, new_index)


def test_the_tenants_reads_go_on_while_the_cutover_waits_for_its_gate(
        db, client, owner_admin, tenants, new_model):
    """close_tenant_gate (revision 0031, from its review): while the cutover waits for a
    transaction of A left open, it does not queue ahead of A's other transactions (a queued
    exclusive request held every later one, reads included, for the whole lock_timeout):
    another reader of A, with a lock_timeout of 500 ms, gets in; the cutover gives up
    (55P03), changing nothing. Control: the reader does wait while the cutover holds the
    gate (an open cutover transaction)."""
    _indexed_only(db, client, owner_admin, tenants.a, seed=19)
    idle = psycopg.connect(db.app_url, autocommit=True)
    reader = psycopg.connect(db.app_url + "&options=-c%20lock_timeout%3D500", autocommit=True)
    outcome: list[object] = []

    def cut_over() -> None:
        with cogdb.connect_admin(db.url() + "&options=-c%20lock_timeout%3D3000") as a:
            try:
                a.connection.execute(CUT_OVER, (str(tenants.a), NEW))
                outcome.append("cut over")
            except psycopg.errors.LockNotAvailable as exc:
                outcome.append(exc)

    try:
        idle.execute("BEGIN")
        idle.execute("SELECT cogdb.set_context(%s::text, NULL)", (str(tenants.a),))
        idle.execute("SELECT count(*) FROM cogdb.memories").fetchone()
        worker = threading.Thread(target=cut_over)
        worker.start()
        time.sleep(0.8)
        with reader.transaction():
            reader.execute("SELECT cogdb.set_context(%s::text, NULL)", (str(tenants.a),))
            assert reader.execute("SELECT count(*) FROM cogdb.memories").fetchone()[0] == 24
        worker.join(30)
        assert len(outcome) == 1 and isinstance(outcome[0], psycopg.errors.LockNotAvailable)
        idle.execute("ROLLBACK")
        # control: a cutover holding the gate does hold the reader
        with cogdb.connect_admin(db.url()) as a:
            a.connection.execute("BEGIN")
            assert a.connection.execute(CUT_OVER, (str(tenants.a), NEW)).fetchone()[0] \
                == "settling"
            with pytest.raises(psycopg.errors.LockNotAvailable), reader.transaction():
                reader.execute("SELECT cogdb.set_context(%s::text, NULL)", (str(tenants.a),))
            a.connection.execute("ROLLBACK")
    finally:
        idle.close()
        reader.close()


@pytest.mark.parametrize("timeout_ms", [3000, 0])
def test_a_swapping_cutover_does_not_queue_ahead_of_the_tenants_writes(
        db, client, admin, tenants, new_model, timeout_ms):
    """Revision 0032: a promoted tenant whose cutover swaps its rows (migrated by a login
    outside cogdb_owner: no settle indexes) locks its partition in SHARE mode, without
    queueing for it. Tenant B's open UPDATE naming no tenant holds every partition, A's too:
    the cutover cannot have the lock, and meanwhile A's writer (lock_timeout 500 ms) gets in
    (a queued SHARE request held it behind until the cutover's lock_timeout); the cutover
    gives up (55P03), changing nothing, and runs once B's transaction ends. Control: a
    cutover holding the lock does hold A's writer. With no lock_timeout (0) it tries for a
    second, then queues for 200 ms at most (from the review of 0032: it queued without a
    bound, and the writer timed out)."""
    _promoted(db, client, tenants.a, None, 24, seed=20)
    before = admin.migrate_model(tenants.a, NEW, cut_over=False).phase
    assert not db.super.execute("SELECT cogdb.model_migration_settles(%s, %s)",
                                (tenants.a, NEW)).fetchone()[0]
    writer = cogdb.connect(db.app_url + "&options=-c%20lock_timeout%3D500", pool_size=1)
    outcome: list[object] = []

    def cut_over() -> None:
        with cogdb.connect_admin(db.admin_url + f"&options=-c%20lock_timeout%3D{timeout_ms}"
                                 "%20-c%20statement_timeout%3D10000") as a:
            try:
                a.connection.execute(CUT_OVER, (str(tenants.a), NEW))
                outcome.append("cut over")
            except psycopg.errors.LockNotAvailable as exc:
                outcome.append(exc)

    def write(memory_id: str) -> None:
        with writer.scope(tenants.a) as s:
            s.remember(f"written {memory_id}", "", id=memory_id)

    try:
        with _every_partition_locked_by(db, tenants.b):
            worker = threading.Thread(target=cut_over)
            worker.start()
            time.sleep(0.8)
            write("during")
            worker.join(30)
        assert len(outcome) == 1 and isinstance(outcome[0], psycopg.errors.LockNotAvailable)
        assert db.super.execute("SELECT phase FROM cogdb.model_migrations WHERE tenant_id = %s",
                                (tenants.a,)).fetchone()[0] == before
        with cogdb.connect_admin(db.admin_url) as a:
            a.connection.execute("BEGIN")
            assert a.connection.execute(CUT_OVER, (str(tenants.a), NEW)).fetchone()[0] \
                == "cut_over"
            with pytest.raises(cogdb.CogdbError, match="lock timeout"):
                write("held")
            a.connection.execute("COMMIT")
    finally:
        writer.close()
    with client.scope(tenants.a) as s:
        assert s.get("during").model == NEW


def test_a_settling_cutover_leaves_the_entities_and_the_settle_moves_them(
        db, client, owner_admin, tenants, new_model):
    """Revision 0033: the settling cutover checks and locks the entities but leaves them on
    the old model (they swapped inside it, with the tenant's gate held, about 0.4 ms each);
    hybrid search's entity half reads them through their current vector of the new model
    meanwhile, and the settle moves them in batches once no memory is left. In every state
    the entity hits are the new model's exact ranking over all entities a user sees: a1
    (whose private ones are every third) and a2 (who sees none of them: the side rows are
    read under the entities' policies); an explicit search of the old model finds no
    entity while the tenant settles."""
    from test_model_migrate_entities import NAMES, _entities, _entity_hits, _models
    from test_model_migrate_entities import _oracle as _entity_oracle

    _promoted(db, client, tenants.a, None, 24, seed=21)
    texts = _entities(client, tenants.a, tenants.a1)
    a2_texts = {i: t for i, t in texts.items() if NAMES.index(t.split("\n")[0]) % 3 != 0}
    assert len(a2_texts) < len(texts)
    old = HashEmbedder(OLD, 384)
    assert owner_admin.migrate_model(tenants.a, NEW, cut_over=False).phase == "indexed"
    kept = dict(db.super.execute("SELECT id, embedding::text FROM cogdb.entities"
                                 " WHERE tenant_id = %s", (tenants.a,)).fetchall())
    with translated():
        assert owner_admin.connection.execute(
            CUT_OVER, (str(tenants.a), NEW)).fetchone()[0] == "settling"
    assert set(_models(db, tenants.a).values()) == {OLD}   # the cutover left them

    def check() -> None:
        for query in ("acme fact", "delta works", "hotel"):
            assert _entity_hits(client, tenants.a, tenants.a1, new_model, query) \
                == _entity_oracle(new_model, texts, query)
            assert _entity_hits(client, tenants.a, tenants.a2, new_model, query) \
                == _entity_oracle(new_model, a2_texts, query)

    check()
    with client.scope(tenants.a, tenants.a1) as s:
        hits = s.hybrid_search(None, k=50, vector=old.embed(["acme fact"])[0], model=OLD)
    assert [h for h in hits if h.kind == "entity"] == []
    settle = "SELECT phase, settled, remaining FROM cogdb.settle_model_migration(%s::text, %s, 3)"
    moved: list[tuple[int, int]] = []   # (settled by the call, entities of NEW after it)
    while True:
        with translated():
            phase, settled, remaining = owner_admin.connection.execute(
                settle, (str(tenants.a), NEW)).fetchone()
        moved.append((settled, list(_models(db, tenants.a).values()).count(NEW)))
        if phase == "settling":
            check()
        else:
            break
    # 24 memories in 8 batches of 3, then the 8 entities in 3 more
    assert moved == [(3, 0)] * 8 + [(3, 3), (3, 6), (2, 8)]
    assert phase == "cut_over" and remaining == 0
    check()
    # each entity kept its old vector, and no vector of the new model is left aside
    side = db.super.execute("SELECT entity_id, model, embedding::text FROM"
                            " cogdb.entity_embeddings WHERE tenant_id = %s",
                            (tenants.a,)).fetchall()
    assert sorted(side) == sorted((i, OLD, v) for i, v in kept.items())
