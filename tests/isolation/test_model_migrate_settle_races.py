"""Races and edge cases of a settling migration (revision 0027), from its adversarial review,
fixed in revision 0030 (docs/scale-out.md "The cutover without the write pause"). As the app
login; the superuser only for setup and ground truth. Each negative beside its control."""
from __future__ import annotations

import json
import threading
import time
import uuid

import numpy as np
import psycopg
import pytest
from helpers import assert_rls_applies, sql_error, vec
from helpers import rows_in_context as _rows

import cogdb
import cogdb.ops.maintain
from cogdb import HashEmbedder

NEW = "settle-race-hash-16"
THIRD = "settle-third-hash-16"
SET = "SELECT cogdb.set_context(%s::text, %s::text)"




def _put(conn, tenant, user, rows, vectors, model=None):
    conn.autocommit = True
    with conn.transaction():
        conn.execute(SET, (str(tenant), None if user is None else str(user)))
        conn.execute("SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[], %s)",
                     (json.dumps(rows), [np.asarray(v, dtype=np.float32) for v in vectors], model))


def _anonymise(db, tenant, ids):
    """What anonymise_user and the retention purge do (the tenant's context, then
    anonymise_memories)."""
    with psycopg.connect(db.super.info.dsn, autocommit=True) as c, c.transaction():
        c.execute("SELECT set_config('app.tenant_id', %s, true),"
                  " set_config('app.user_id', '', true),"
                  " set_config('app.context_xact', cogdb.context_stamp(), true)", (str(tenant),))
        assert c.execute("SELECT cogdb.anonymise_memories(%s, %s)",
                         (tenant, ids)).fetchone()[0] == len(ids)


def _new_vec(text):
    return HashEmbedder(NEW, 16).embed([text])[0]


def _promote(db, client, tenants):
    db.super.execute("UPDATE cogdb.settings SET value = '20' WHERE key = 'search.ann_min_rows'")
    db.super.execute("UPDATE cogdb.settings SET value = '2' WHERE key = 'search.exact_max_rows'")
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember_many([{"id": f"a{i:02d}", "human_content": f"a note {i}"} for i in range(22)])
        s.remember("x late secret content", "", id="x-late")
    assert all(s.error is None for s in cogdb.ops.maintain.run(db.url(), echo=lambda *_: None))


def _migrate(db, tenant, cut=True):
    with cogdb.connect_admin(db.url()) as owner:
        owner.migrate_model(tenant, NEW, cut_over=False)
        if cut:
            owner.connection.execute("SELECT cogdb.cut_over_model_migration(%s::text, %s)",
                                     (str(tenant), NEW))
            assert owner.model_migrations(tenant)[0]["phase"] == "settling"


@pytest.fixture
def settling_a(db, client, admin, tenants):
    """A: 22 memories of a1 and 'x-late', promoted, cut over to NEW (phase settling), nothing
    settled; x-late's NEW vector removed, as for a write whose statement began before the
    cutover and has not stored its second vector yet."""
    admin.register_model(NEW, 16, embedder="hash")
    _promote(db, client, tenants)
    _migrate(db, tenants.a)
    db.super.execute("DELETE FROM cogdb.memory_embeddings WHERE tenant_id = %s"
                     " AND memory_id = 'x-late' AND model = %s", (tenants.a, NEW))
    return tenants


def test_an_anonymisation_waits_for_an_open_second_vector(db, app_conn, settling_a):
    """remember_embeddings locks the memories it checks (FOR SHARE): an anonymisation waits
    for the writer's commit and blanks the vector it stored too. Before (0027) it committed
    in between, and the settling search ranked the anonymised memory by its content's vector
    for every user of the tenant."""
    t = settling_a
    content = _new_vec("x late secret content")
    writer = psycopg.connect(db.app_url, autocommit=True)
    anonymising = threading.Thread(target=_anonymise, args=(db, t.a, ["x-late"]))
    try:
        assert_rls_applies(writer)
        with writer.transaction():
            writer.execute(SET, (str(t.a), str(t.a1)))
            assert writer.execute("SELECT cogdb.remember_embeddings(ARRAY['x-late'], %s,"
                                  " ARRAY[%s::vector])",
                                  (NEW, str(content.tolist()))).fetchone()[0] == 1
            anonymising.start()
            time.sleep(1.0)
            assert anonymising.is_alive()   # it waits for the writer's lock
    finally:
        writer.close()
    anonymising.join(30)
    assert not anonymising.is_alive()
    side = db.super.execute("SELECT embedding::text FROM cogdb.memory_embeddings"
                            " WHERE tenant_id = %s AND memory_id = 'x-late' AND model = %s",
                            (t.a, NEW)).fetchone()
    assert side[0].startswith("[1,0,0")
    rows = _rows(app_conn, "SELECT id, similarity FROM cogdb.search(%s::vector, 50)",
                 (str(content.tolist()),), tenant=t.a, user=t.a2)
    sim = dict(rows)
    # ranked by the fixed unit vector, as any anonymised memory; a00 (control) is found too
    assert "a00" in sim
    assert sim["x-late"] == pytest.approx(float(content[0] / np.linalg.norm(content)), abs=1e-4)


def test_a_second_vector_of_another_model_is_refused(db, app_conn, admin, settling_a):
    """A memory of a third model never settles: its second vector is refused (CGV01 naming
    ids), so the settling search never shows it (0027 returned it, then lost it); a memory of
    the source model takes one (control)."""
    t = settling_a
    admin.register_model(THIRD, 16, embedder="hash")
    _put(app_conn, t.a, t.a1, [{"id": "z-mem", "human_content": "third model"}],
         [HashEmbedder(THIRD, 16).embed(["third model"])[0]], model=THIRD)
    v = str(_new_vec("third model").tolist())
    err = sql_error(app_conn, "SELECT cogdb.remember_embeddings(ARRAY['z-mem'], %s,"
                    " ARRAY[%s::vector])", (NEW, v), tenant=t.a, user=t.a1)
    assert err.sqlstate == "CGV01" and err.diag.column_name == "ids"
    assert "z-mem" in err.diag.message_primary
    assert "z-mem" not in {r[0] for r in _rows(app_conn, "SELECT id FROM cogdb.search("
                                               "%s::vector, 50)", (v,), tenant=t.a, user=t.a1)}
    ok = _rows(app_conn, "SELECT cogdb.remember_embeddings(ARRAY['x-late'], %s, ARRAY[%s::vector])",
               (NEW, v), tenant=t.a, user=t.a1)
    assert ok == [(1,)]


def test_before_the_cutover_a_search_of_the_new_model_reads_no_side_vector(
        db, client, app_conn, admin, tenants):
    """The side vectors count only once the cutover made the model the default: before it,
    an explicit search of the new model finds the memories of that model only (none yet),
    not the side vectors (0027: all of them, through the side index); after it, all."""
    admin.register_model(NEW, 16, embedder="hash")
    _promote(db, client, tenants)
    _migrate(db, tenants.a, cut=False)
    q = str(_new_vec("a note 1").tolist())
    search = "SELECT id FROM cogdb.search(%s::vector, 50, model => %s)"
    assert _rows(app_conn, search, (q, NEW), tenant=tenants.a, user=tenants.a1) == []
    with cogdb.connect_admin(db.url()) as owner:
        owner.connection.execute("SELECT cogdb.cut_over_model_migration(%s::text, %s)",
                                 (str(tenants.a), NEW))
    assert len(_rows(app_conn, search, (q, NEW), tenant=tenants.a, user=tenants.a1)) == 23


def test_settling_filters_follow_the_policies(db, app_conn, settling_a):
    """The side branch applies the policies and filters as the normal path: another user
    does not see a1's private memory, a1 does (visibility and metadata filters), tenant B
    sees nothing of A."""
    t = settling_a
    _put(app_conn, t.a, t.a1, [{"id": "p-priv", "human_content": "private x",
                                "visibility": "private", "metadata": {"k": "v"}}],
         [_new_vec("private x")])
    q = str(_new_vec("private x").tolist())
    a2 = {r[0] for r in _rows(app_conn, "SELECT id FROM cogdb.search(%s::vector, 50)", (q,),
                              tenant=t.a, user=t.a2)}
    assert "p-priv" not in a2 and "a00" in a2
    a1 = _rows(app_conn, "SELECT id FROM cogdb.search(%s::vector, 50,"
               " only_visibility => 'private')", (q,), tenant=t.a, user=t.a1)
    assert [r[0] for r in a1] == ["p-priv"]
    a1m = _rows(app_conn, "SELECT id FROM cogdb.search(%s::vector, 50,"
                " metadata_filter => '{\"k\": \"v\"}'::jsonb)", (q,), tenant=t.a, user=t.a1)
    assert [r[0] for r in a1m] == ["p-priv"]
    b = _rows(app_conn, "SELECT id FROM cogdb.search(%s::vector, 50)", (vec(1),),
              tenant=t.b, user=t.b1)
    assert not any(r[0].startswith("a") or r[0] in ("p-priv", "x-late") for r in b)


def test_a_shared_search_of_a_settling_tenant_finds_every_shared_memory(db, client, admin,
                                                                        app_conn):
    """A grantee's shared search of a source that settles a migration reads the side vectors
    of the memories the grant covers (memory_embeddings__tenant_fence widened by
    readable_tenants(), memory_embeddings__visible_memory under the memories' policies): all
    22 covered memories, never the source's private or uncovered ones; without asking for
    shared rows, none of the source's side rows is readable. Before (0027) the shared search
    found none of the unsettled memories."""
    admin.register_model(NEW, 16, embedder="hash")
    db.super.execute("UPDATE cogdb.settings SET value = '20' WHERE key = 'search.ann_min_rows'")
    db.super.execute("UPDATE cogdb.settings SET value = '2' WHERE key = 'search.exact_max_rows'")
    tag = uuid.uuid4().hex[:8]
    src = admin.create_tenant(f"src {tag}", isolation_level="shared").id
    dst = admin.create_tenant(f"dst {tag}", isolation_level="shared").id
    src_user = admin.create_user(src, email=f"u-{tag}@src.example").id
    _put(app_conn, src, src_user,
         [{"id": f"s{i:02d}", "human_content": f"s note {i}", "tags": ["project-x"]}
          for i in range(22)]
         + [{"id": "s-private", "human_content": "s private", "tags": ["project-x"],
             "visibility": "private"},
            {"id": "s-other", "human_content": "s other", "tags": ["other"]}],
         [vec(i) for i in range(24)])
    _put(app_conn, dst, None, [{"id": "d-own", "human_content": "d"}], [vec(30)])
    assert all(s.error is None for s in cogdb.ops.maintain.run(db.url(), echo=lambda *_: None))
    admin.grant_share(src, dst, tags=["project-x"])
    _migrate(db, src)
    q = str(_new_vec("s note 3").tolist())
    got = _rows(app_conn, "SELECT id, tenant_id FROM cogdb.search(%s::vector, 50,"
                " model => %s, include_shared => true)", (q, NEW), tenant=dst)
    from_src = {r[0] for r in got if str(r[1]) == str(src)}
    assert from_src == {f"s{i:02d}" for i in range(22)}   # not s-private, not s-other
    # the side rows themselves: none without asking; asked, only the covered memories'
    side = ("SELECT count(*), count(*) FILTER (WHERE memory_id IN ('s-private', 's-other'))"
            " FROM cogdb.memory_embeddings WHERE tenant_id = %s")
    assert _rows(app_conn, side, (src,), tenant=dst) == [(0, 0)]
    app_conn.autocommit = True
    with app_conn.transaction(force_rollback=True):
        app_conn.execute(SET, (str(dst), None))
        app_conn.execute("SELECT cogdb.share_request(true)")   # its own statement
        assert app_conn.execute(side, (src,)).fetchall() == [(22, 0)]
    # the source itself reads all of its side rows (its own private one as its owner)
    assert _rows(app_conn, side, (src,), tenant=src, user=src_user) == [(24, 2)]
