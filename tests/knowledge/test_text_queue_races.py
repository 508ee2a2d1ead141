"""Deferred text indexing against concurrent writers (docs/architecture.md "Deferred text
indexing"; sql/functions/knowledge/index_queued_text.sql): a drain that races an update, an
anonymisation or a visibility change never writes the old text back
a deletion in flight
neither fails nor stalls every tenant's drain; erase_user and a drain do not deadlock. Found
by an adversarial review, kept as regression tests. Each runs two connections and waits for
one to block on the other (pg_stat_activity), never on a timer."""
from __future__ import annotations

import json
import threading
import time

import psycopg
from helpers import SET_CONTEXT, vec

BULK = 100


def _bulk(conn, tenant, user, prefix, visibility="tenant") -> list[str]:
    conn.autocommit = True
    with conn.transaction():
        conn.execute(SET_CONTEXT, (str(tenant), str(user)))
        rows = conn.execute(
            "SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
            (json.dumps([{"human_content": f"note {prefix}{i:04d}", "visibility": visibility}
                         for i in range(BULK)]), [vec(i) for i in range(BULK)])).fetchall()
    return [r[1] for r in sorted(rows)]


def _wait_blocked(db, pid, timeout=20.0):
    end = time.time() + timeout
    while time.time() < end:
        row = db.super.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                               (pid,)).fetchone()
        if row and row[0] == "Lock":
            return True
        time.sleep(0.05)
    return False


def _drain_concurrently(db, tenant, user):
    """index_pending_text as the app login (user `user` of `tenant`) in a thread."""
    conn = psycopg.connect(db.app_url, autocommit=True)
    pid = conn.info.backend_pid
    out = {}

    def run():
        try:
            with conn.transaction():
                conn.execute(SET_CONTEXT, (str(tenant), str(user)))
                out["n"] = conn.execute("SELECT cogdb.index_pending_text(NULL)").fetchone()[0]
        except psycopg.Error as e:
            out["err"] = e.sqlstate
    t = threading.Thread(target=run)
    t.start()
    return conn, pid, t, out


def _tsv(db, tenant, mid):
    return db.super.execute("SELECT tsv::text, visibility, owner_user_id FROM cogdb.text_index"
                            " WHERE tenant_id = %s AND memory_id = %s", (tenant, mid)).fetchone()


def _memory_check(db, tenant, mid):
    return db.super.execute("SELECT human_content, visibility FROM cogdb.memories"
                            " WHERE tenant_id = %s AND id = %s", (tenant, mid)).fetchone()


def test_an_update_racing_the_drain_is_not_overwritten_with_old_words(db, tenants, app_conn):
    ids = _bulk(app_conn, tenants.a, tenants.a1, "ZEBRASECRET")
    m = ids[7]
    # X: the owner redacts the memory (its trigger upserts text_index), not yet committed
    x = psycopg.connect(db.app_url)
    x.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
    x.execute("UPDATE cogdb.memories SET human_content = 'redacted' WHERE id = %s", (m,))
    # Y: another user of the tenant drains the tenant's queue meanwhile
    y, pid, t, out = _drain_concurrently(db, tenants.a, tenants.a2)
    assert _wait_blocked(db, pid), "the drain did not wait on the writer"
    x.commit()
    t.join(30)
    y.close()
    x.close()
    assert out["n"] in (BULK - 1, BULK)   # the drain ran (DO NOTHING counts 99)
    assert _memory_check(db, tenants.a, m)[0] == "redacted"          # the memory is redacted
    tsv = _tsv(db, tenants.a, m)[0]
    assert "zebrasecret0007" not in tsv, f"stale words indexed for a redacted memory: {tsv}"


def test_an_anonymisation_racing_the_drain_leaves_no_old_words(db, tenants, app_conn):
    ids = _bulk(app_conn, tenants.a, tenants.a1, "ALICESMITH")
    m = ids[3]
    x = psycopg.connect(db.admin_url)           # admin: cogdb.anonymise_user, not committed
    x.execute("SELECT cogdb.anonymise_user(%s::text, %s::text)", (str(tenants.a), str(tenants.a1)))
    y, pid, t, _out = _drain_concurrently(db, tenants.a, tenants.a2)
    assert _wait_blocked(db, pid), "the drain did not wait on the anonymisation"
    x.commit()
    t.join(30)
    y.close()
    x.close()
    assert _memory_check(db, tenants.a, m)[0] == ""                  # anonymised
    # a2 (another user) still finds the anonymised memory by the person's word
    with psycopg.connect(db.app_url, autocommit=True) as c, c.transaction():
        c.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a2)))
        hits = [r[0] for r in c.execute(
            "SELECT id FROM cogdb.hybrid_search(query_text => %s)", ("ALICESMITH0003",))]
    assert m not in hits, "an anonymised memory is still matched by its pre-anonymisation words"


def test_a_memory_made_private_while_the_drain_waits_stays_private(db, tenants, app_conn):
    ids = _bulk(app_conn, tenants.a, tenants.a1, "PRIVWORD")
    m = ids[5]
    x = psycopg.connect(db.app_url)
    x.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
    x.execute("UPDATE cogdb.memories SET visibility = 'private' WHERE id = %s", (m,))
    y, pid, t, _out = _drain_concurrently(db, tenants.a, tenants.a2)
    assert _wait_blocked(db, pid)
    x.commit()
    t.join(30)
    y.close()
    x.close()
    assert _memory_check(db, tenants.a, m)[1] == "private"
    # a2 (not the owner) asks the app-granted text half for the private memory's word
    with psycopg.connect(db.app_url, autocommit=True) as c, c.transaction():
        c.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a2)))
        got = [r[0] for r in c.execute(
            "SELECT id FROM cogdb.text_candidates(to_tsquery('simple', %s))",
            ("privword0005",))]
    row = _tsv(db, tenants.a, m)
    assert m not in got, (f"a2 gets a1's private memory id from text_candidates {got};"
                          f" text_index says {row[1]!r}")


def test_erase_user_and_a_concurrent_drain_do_not_deadlock(db, client, tenants, app_conn):
    """erase_user takes the user's queue entries (clearing their owner) before it writes the
    text index (anonymising, disowning): a drain meanwhile skips those entries instead of
    holding them while it waits on that index, which erase_user would then wait on. The
    superuser's lock on one of a1's text_index rows holds erase_user inside that window."""
    _bulk(app_conn, tenants.a, tenants.a1, "ERASEME")
    with client.scope(tenants.a, tenants.a1) as s:
        ent = s.upsert_entity("Pause Co").id              # tenant-visible, a1's text_index row
    pause = psycopg.connect(db.url(), autocommit=False)
    pause.execute("SELECT 1 FROM cogdb.text_index WHERE tenant_id = %s AND entity_id = %s"
                  " FOR UPDATE", (tenants.a, ent))
    er = psycopg.connect(db.admin_url, autocommit=True)
    epid, eout = er.info.backend_pid, {}

    def erase():
        try:
            eout["r"] = er.execute("SELECT cogdb.erase_user(%s::text, %s::text)",
                                   (str(tenants.a), str(tenants.a1))).fetchone()[0]
        except psycopg.Error as e:
            eout["err"] = e.sqlstate
    te = threading.Thread(target=erase)
    te.start()
    assert _wait_blocked(db, epid)                          # erase_user inside the window
    y, _pid, t, out = _drain_concurrently(db, tenants.a, tenants.a2)
    t.join(60)                                              # the drain does not wait …
    assert out == {"n": 0}, out                             # … it skips the erased user's
    pause.rollback()
    pause.close()
    te.join(60)
    y.close()
    er.close()
    assert "err" not in eout, f"erase_user failed: {eout['err']} (drain: {out})"
    assert db.super.execute("SELECT count(*) FROM cogdb.text_queue WHERE owner_user_id = %s",
                            (tenants.a1,)).fetchone()[0] == 0


def test_an_open_delete_in_one_tenant_neither_fails_nor_holds_up_the_others(db, tenants,
                                                                             app_conn):
    """An app user of tenant A deletes a queued memory and keeps the transaction open while
    cogdb maintain drains every tenant: A's group waits at most its lock timeout (or until
    the delete commits, when its foreign-key check fails) and stays queued; tenant B's
    entries are indexed."""
    ids = _bulk(app_conn, tenants.a, tenants.a1, "AAA")
    _bulk(app_conn, tenants.b, tenants.b1, "BBB")
    x = psycopg.connect(db.app_url)
    x.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
    x.execute("DELETE FROM cogdb.memories WHERE id = %s", (ids[0],))
    own = psycopg.connect(db.url(), autocommit=True)
    pid, out = own.info.backend_pid, {}

    def drain():
        try:
            with own.transaction():
                own.execute("SET LOCAL ROLE cogdb_owner")
                out["n"] = own.execute("SELECT cogdb.index_queued_text(NULL, 10000)").fetchone()[0]
        except psycopg.Error as e:
            out["err"] = (e.sqlstate, str(e).splitlines()[0])
    t = threading.Thread(target=drain)
    t.start()
    stalled = _wait_blocked(db, pid)
    x.commit()
    x.close()
    t.join(60)
    own.close()
    left_b = db.super.execute("SELECT count(*) FROM cogdb.text_queue WHERE tenant_id = %s",
                              (tenants.b,)).fetchone()[0]
    assert "err" not in out and left_b == 0, (
        f"maintain's drain stalled={stalled}, result={out}, tenant B entries left={left_b}")
    # A's group waited at most its lock timeout and stayed queued; the next drain takes it,
    # the deleted memory dropping out
    assert db.super.execute("SELECT count(*) FROM cogdb.text_queue WHERE tenant_id = %s",
                            (tenants.a,)).fetchone()[0] in (0, BULK)
    with db.super.transaction():
        db.super.execute("SET LOCAL ROLE cogdb_owner")
        db.super.execute("SELECT cogdb.index_queued_text(NULL, NULL)")
    assert db.super.execute("SELECT count(*) FROM cogdb.text_queue").fetchone()[0] == 0
    assert db.super.execute("SELECT count(*) FROM cogdb.text_index WHERE tenant_id = %s"
                            " AND memory_id IS NOT NULL", (tenants.a,)).fetchone()[0] == BULK - 1
