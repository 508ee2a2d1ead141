"""A model migration's cutover against an entity written while it runs (found by an
adversarial review): for a tenant in a partition of its own, the cutover does not stop the
tenant's writes while it switches the memories; an entity upserted meanwhile, with its
second vector, must neither fail the cutover nor be switched uncounted. It keeps the old
model, as docs/scale-out.md says of an entity the cutover did not see. The test waits for
the cutover to block on a held row (pg_stat_activity), never on a timer."""
from __future__ import annotations

import threading
import time

import psycopg
from helpers import SET_CONTEXT

import cogdb.ops.maintain

NEW = "race-ent-16"


def _wait_blocked(db, pid, timeout=20.0) -> bool:
    end = time.time() + timeout
    while time.time() < end:
        row = db.super.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                               (pid,)).fetchone()
        if row and row[0] == "Lock":
            return True
        time.sleep(0.05)
    return False


def test_an_entity_upserted_during_the_cutover_keeps_the_old_model(db, client, admin, tenants):
    admin.register_model(NEW, 16, embedder="hash")
    for key, value in (("search.ann_min_rows", 60), ("search.exact_max_rows", 20)):
        db.super.execute("UPDATE cogdb.settings SET value = to_jsonb(%s::integer) WHERE key = %s",
                         (value, key))
    with client.scope(tenants.a, tenants.a1) as s:
        old = s.upsert_entity("Old Co", embed=True).id
        ids = s.remember_many([{"human": f"m {i}"} for i in range(60)],
                              [[1.0 if j == i % 384 else 0.5 for j in range(384)]
                               for i in range(60)])
    cogdb.ops.maintain.run(db.url(), echo=lambda *_: None)
    assert db.super.execute("SELECT cogdb.memories_partition(%s::uuid)",
                            (tenants.a,)).fetchone()[0] != "memories_default"
    admin.migrate_model(tenants.a, NEW, cut_over=False)
    # an app transaction holds one memory row: the cutover's memory switch waits for it
    hold = psycopg.connect(db.app_url)
    hold.execute(SET_CONTEXT, (str(tenants.a), str(tenants.a1)))
    hold.execute("SELECT 1 FROM cogdb.memories WHERE id = %s FOR UPDATE", (ids[0],))
    cut = psycopg.connect(db.admin_url, autocommit=True)
    pid, out = cut.info.backend_pid, {}

    def run() -> None:
        try:
            out["rows"] = cut.execute("SELECT phase FROM cogdb.cut_over_model_migration(%s, %s)",
                                      (str(tenants.a), NEW)).fetchall()
        except psycopg.Error as e:
            out["err"] = (e.sqlstate, str(e).splitlines()[0])
    t = threading.Thread(target=run)
    t.start()
    assert _wait_blocked(db, pid), "the cutover did not wait"
    with client.scope(tenants.a, tenants.a2) as s:   # meanwhile: a new entity, both vectors
        new = s.upsert_entity("New Co", embed=True).id
    hold.rollback()
    hold.close()
    t.join(60)
    cut.close()
    assert "err" not in out, out
    models = dict(db.super.execute("SELECT id, model FROM cogdb.entities WHERE tenant_id = %s",
                                   (tenants.a,)).fetchall())
    assert models == {old: NEW, new: "cogdb-hash-384"}
