"""Re-embedding a tenant without downtime (`cogdb model migrate`, docs/scale-out.md): a search
in every phase returns results of exactly one model with full recall for it (exact search as
the oracle); a migration stopped between batches resumes and ends identical; a cutover that
cannot be done changes nothing; writes during the migration get both vectors; forgetting a
memory removes its other vectors."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid

import numpy as np
import psycopg
import pytest
from helpers import cli, one_error

import cogdb
import cogdb.ops.maintain
from cogdb import HashEmbedder, MigrationIncomplete
from cogdb.db.errors import translated

OLD = "cogdb-hash-384"
NEW = "mig-hash-64"
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
         "juliet", "kilo", "lima", "mike", "november", "oscar", "papa")


def _texts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, 4)) + f" note {i}" for i in range(n)]


@pytest.fixture
def new_model(admin):
    admin.register_model(NEW, 64, embedder="hash")
    return HashEmbedder(NEW, 64)


def _fill(client, tenant, user, texts, prefix="m"):
    """Tenant-visible memories (and every third one private to ``user``), ids in order."""
    ids = []
    with client.scope(tenant, user) as s:
        for i, text in enumerate(texts):
            ids.append(s.remember(text, "", id=f"{prefix}{i:04d}",
                                  private=bool(user) and i % 3 == 0))
    return ids


def _state(db, tenant) -> dict:
    """Everything a migration may change, read as the superuser: the memories' models and
    vectors, the kept vectors, the tenant's default model."""
    mems = db.super.execute("SELECT id, model, embedding::text FROM cogdb.memories"
                            " WHERE tenant_id = %s ORDER BY id", (tenant,)).fetchall()
    side = db.super.execute("SELECT memory_id, model, embedding::text FROM cogdb.memory_embeddings"
                            " WHERE tenant_id = %s ORDER BY 1, 2", (tenant,)).fetchall()
    default = db.super.execute("SELECT default_model FROM cogdb.tenants WHERE id = %s",
                               (tenant,)).fetchone()[0]
    return {"memories": mems, "side": side, "default": default}


def _oracle(embedder, texts, ids, query, k):
    """The exact top-k ids by cosine similarity."""
    m = embedder.embed([f"{t}\n" for t in texts])
    q = embedder.embed([query])[0]
    sims = m @ q / (np.linalg.norm(m, axis=1) * np.linalg.norm(q))
    order = sorted(range(len(ids)), key=lambda i: (-round(float(sims[i]), 5), ids[i]))
    return [ids[i] for i in order[:k]]


def _search(db, client, tenant, user, query, k):
    """The ids a search returns, and the models of those memories' vectors."""
    with client.scope(tenant, user) as s:
        ids = [h.id for h in s.search(query, k=k)]
    models = {r[0] for r in db.super.execute("SELECT model FROM cogdb.memories WHERE tenant_id"
                                             " = %s AND id = ANY (%s)", (tenant, ids))}
    return ids, models


def test_each_phase_searches_one_model_with_full_recall(db, client, admin, tenants, new_model):
    texts = _texts(30)
    ids = _fill(client, tenants.a, tenants.a1, texts)
    old = HashEmbedder(OLD, 384)
    queries = ["alpha bravo", "kilo lima mike", "oscar note 7"]

    def check(embedder, model, corpus_texts, corpus_ids):
        for q in queries:
            got, models = _search(db, client, tenants.a, tenants.a1, q, 5)
            assert models == {model}
            assert got == _oracle(embedder, corpus_texts, corpus_ids, q, 5)

    check(old, OLD, texts, ids)
    done = admin.migrate_model(tenants.a, NEW, batch=7, cut_over=False)
    assert (done.phase, done.embedded, done.total) == ("indexed", 30, 30)
    check(old, OLD, texts, ids)   # embedded and indexed: still the old model only

    # A write during the migration gets both vectors, in the same transaction.
    with client.scope(tenants.a, tenants.a2) as s:
        late = s.remember("alpha bravo written late", "", id="late")
    texts, ids = [*texts, "alpha bravo written late"], [*ids, late]
    side = db.super.execute("SELECT embedding::text FROM cogdb.memory_embeddings WHERE tenant_id"
                            " = %s AND memory_id = 'late' AND model = %s",
                            (tenants.a, NEW)).fetchone()
    assert np.allclose(json.loads(side[0]), new_model.embed([f"{texts[-1]}\n"])[0],
                       atol=1e-6)
    check(old, OLD, texts, ids)

    before = _state(db, tenants.a)
    done = admin.migrate_model(tenants.a, NEW)
    assert done.phase == "cut_over" and done.cutover_seconds is not None
    check(new_model, NEW, texts, ids)
    after = _state(db, tenants.a)
    assert after["default"] == NEW
    assert {m for _, m, _ in after["memories"]} == {NEW}
    # the old vectors are kept, exactly as they were
    assert [(i, m, v) for i, m, v in after["side"]] == [
        (i, OLD, v) for i, _, v in before["memories"]]
    assert admin.model_migrations(tenants.a)[0]["phase"] == "cut_over"

    cleaned = admin.cleanup_model(tenants.a, OLD, batch=10)
    assert cleaned.deleted == 31 and cleaned.batches == 4
    assert _state(db, tenants.a)["side"] == []
    assert admin.model_migrations(tenants.a)[0]["phase"] == "cleaned"
    # Tenant B never moved.
    assert _state(db, tenants.b)["default"] is None


def test_a_migration_stopped_between_batches_resumes_and_ends_identical(
        db, client, admin, tenants, new_model):
    texts = _texts(25, seed=1)
    _fill(client, tenants.a, tenants.a1, texts)
    _fill(client, tenants.b, None, texts)

    class Stop(Exception):
        pass

    def stop_at_three(batches: int) -> None:
        if batches == 3:
            raise Stop

    with pytest.raises(Stop):
        admin.migrate_model(tenants.a, NEW, batch=4, after_batch=stop_at_three)
    row = admin.model_migrations(tenants.a)[0]
    assert (row["phase"], row["embedded"], row["after_id"]) == ("embedding", 12, "m0011")
    # a repeated batch changes nothing (ON CONFLICT DO NOTHING), and the position never
    # moves back
    admin.connection.execute(
        "SELECT cogdb.store_model_vectors(%s::text, %s::text, ARRAY['m0000'], %b::vector[],"
        " 'm0000')", (str(tenants.a), NEW, [new_model.embed(["x"])[0]]))
    assert admin.model_migrations(tenants.a)[0]["after_id"] == "m0011"

    resumed = admin.migrate_model(tenants.a, NEW, batch=4)
    assert resumed.resumed_after == "m0011" and resumed.embedded == 13
    admin.migrate_model(tenants.b, NEW, batch=100)     # uninterrupted
    a, b = _state(db, tenants.a), _state(db, tenants.b)
    assert a["memories"] == b["memories"] and a["side"] == b["side"]
    assert a["default"] == b["default"] == NEW


def test_kill_9_of_the_cli_resumes(db, admin, client, tenants, new_model):
    texts = _texts(120, seed=2)
    _fill(client, tenants.a, None, texts)
    env = {**os.environ, "COGDB_ADMIN_URL": db.admin_url, "COGDB_DATABASE_URL": db.app_url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cogdb", "model", "migrate", "--tenant", str(tenants.a),
         "--to", NEW, "--batch", "1"], env=env, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "5 of 120" in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    row = admin.model_migrations(tenants.a)[0]
    assert row["phase"] == "embedding" and 5 <= row["embedded"] < 120
    done = admin.migrate_model(tenants.a, NEW, batch=50)
    assert done.phase == "cut_over" and done.embedded == 120 - row["embedded"]
    vectors = db.super.execute("SELECT embedding::text FROM cogdb.memories WHERE tenant_id = %s"
                               " ORDER BY id", (tenants.a,)).fetchall()
    assert np.allclose(np.array([json.loads(v[0]) for v in vectors]),
                       new_model.embed([f"{t}\n" for t in texts]), atol=1e-6)


def _cut_over(admin, tenant):
    with translated():
        return admin.connection.execute("SELECT phase FROM cogdb.cut_over_model_migration(%s::text,"
                                        " %s::text)", (str(tenant), NEW)).fetchone()


def test_a_cutover_with_a_memory_lacking_its_new_vector_changes_nothing(
        db, client, admin, app_conn, tenants, new_model):
    _fill(client, tenants.a, tenants.a1, _texts(12, seed=3))
    admin.migrate_model(tenants.a, NEW, cut_over=False)
    # A memory written by a client that does not know the migration: no second vector.
    with client.scope(tenants.a) as s:
        s.connection.execute("INSERT INTO cogdb.memories (id, human_content, embedding)"
                             " VALUES ('unaware', 'written unaware', %s)",
                             (HashEmbedder(OLD, 384).embed(["x"])[0],))
    before = _state(db, tenants.a)
    with pytest.raises(MigrationIncomplete) as info:
        _cut_over(admin, tenants.a)
    assert info.value.sqlstate == "CGM01" and "1 memories" in info.value.message
    assert _state(db, tenants.a) == before
    # The migration's final pass embeds it, then cuts over.
    done = admin.migrate_model(tenants.a, NEW)
    assert done.phase == "cut_over" and done.embedded == 1
    assert {m for _, m, _ in _state(db, tenants.a)["memories"]} == {NEW}


def test_a_promoted_tenant_gets_its_new_index_in_the_cutover(db, client, admin, tenants,
                                                             new_model):
    db.super.execute("UPDATE cogdb.settings SET value = '20' WHERE key = 'search.ann_min_rows'")
    db.super.execute("UPDATE cogdb.settings SET value = '5' WHERE key = 'search.exact_max_rows'")
    texts = _texts(24, seed=4)
    ids = _fill(client, tenants.a, None, texts)
    steps = cogdb.ops.maintain.run(db.url(), echo=lambda *_: None)
    assert [(s.action, s.error) for s in steps] == [("promote", None), ("create", None)]
    old_index, new_index = (db.super.execute("SELECT cogdb.ann_index_name(%s, %s)",
                                             (tenants.a, m)).fetchone()[0] for m in (OLD, NEW))
    with client.scope(tenants.a) as s:
        assert {h.plan for h in s.search("alpha", k=3)} == {f"ann:{old_index}"}
    done = admin.migrate_model(tenants.a, NEW, cut_over=False)
    assert (done.phase, done.new_index) == ("indexed", new_index)
    assert cogdb.ops.maintain.plan(db.url()) == []   # maintain neither builds nor drops it

    # A cutover that fails at its last step (the index cannot be built: its name is taken)
    # leaves everything as it was.
    before = _state(db, tenants.a)
    db.super.execute(f"CREATE TABLE cogdb.{new_index} ()")
    with pytest.raises(cogdb.CogdbError) as info:
        _cut_over(admin, tenants.a)
    assert info.value.sqlstate == "42P07"
    assert _state(db, tenants.a) == before
    assert admin.model_migrations(tenants.a)[0]["phase"] == "indexed"
    db.super.execute(f"DROP TABLE cogdb.{new_index}")

    # The cutover's transaction, open: searches go on (not blocked: a lock wait would fail
    # after 2 s), on the old model through the old index; writes wait for the commit.
    reader = cogdb.connect(db.app_url + "&options=-c%20lock_timeout%3D2000", pool_size=1)
    with admin.connection.transaction():
        assert _cut_over(admin, tenants.a) == ("cut_over",)
        with reader.scope(tenants.a) as s:
            hits = s.search("alpha bravo", k=5)
        assert {h.plan for h in hits} == {f"ann:{old_index}"}
        assert [h.id for h in hits] == _oracle(HashEmbedder(OLD, 384), texts, ids,
                                               "alpha bravo", 5)
        with reader.scope(tenants.a) as s, pytest.raises(cogdb.CogdbError) as info:
            s.remember("written during the cutover")
        assert info.value.sqlstate == "55P03"
    reader.close()
    with client.scope(tenants.a) as s:
        hits = s.search("alpha bravo", k=5)
    assert {h.plan for h in hits} == {f"ann:{new_index}"}
    assert [h.id for h in hits] == _oracle(new_model, texts, ids, "alpha bravo", 5)
    # the old model's index is no longer needed
    assert [(s.action, s.index_name) for s in cogdb.ops.maintain.plan(db.url())] == [
        ("drop_unneeded", old_index)]


def test_the_migrate_command_builds_the_index(db, client, tenants, new_model):
    db.super.execute("UPDATE cogdb.settings SET value = '20' WHERE key = 'search.ann_min_rows'")
    _fill(client, tenants.a, None, _texts(22, seed=5))
    cogdb.ops.maintain.run(db.url(), echo=lambda *_: None)
    result = cli(db, "model", "migrate", "--tenant", str(tenants.a), "--to", NEW, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["phase"], out["embedded"]) == ("cut_over", 22)
    valid = db.super.execute("SELECT i.indisvalid FROM pg_index i JOIN pg_class c"
                             " ON c.oid = i.indexrelid WHERE c.relname = %s",
                             (out["new_index"],)).fetchone()
    assert valid == (True,)


def test_forget_and_anonymise_reach_the_other_vectors(db, client, admin, tenants, new_model):
    _fill(client, tenants.a, tenants.a1, _texts(4, seed=6))
    admin.migrate_model(tenants.a, NEW, cut_over=False)
    side = "SELECT memory_id FROM cogdb.memory_embeddings WHERE tenant_id = %s ORDER BY 1"
    assert [r[0] for r in db.super.execute(side, (tenants.a,))] == [
        "m0000", "m0001", "m0002", "m0003"]
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.forget("m0001") and s.forget("m0000")   # m0000 is private to a1
    assert [r[0] for r in db.super.execute(side, (tenants.a,))] == ["m0002", "m0003"]
    admin.anonymise_user(tenants.a, tenants.a1)   # a1's private m0003 is anonymised
    v = db.super.execute("SELECT embedding::text FROM cogdb.memory_embeddings WHERE memory_id ="
                         " 'm0003' AND tenant_id = %s", (tenants.a,)).fetchone()[0]
    assert json.loads(v) == [1.0] + [0.0] * 63


def test_refusals_name_the_field_and_change_nothing(db, client, admin, tenants, new_model):
    _fill(client, tenants.a, None, _texts(3, seed=7))
    r = cli(db, "model", "migrate", "--tenant", str(tenants.a), "--to", "no-such-model")
    one_error(r, "no-such-model")
    r = cli(db, "model", "migrate", "--tenant", str(tenants.a), "--to", OLD)
    one_error(r, "the tenant's model already")
    r = cli(db, "model", "migrate", "--tenant", str(uuid.uuid4()), "--to", NEW)
    one_error(r, "no tenant")
    assert admin.model_migrations(tenants.a) == []
    r = cli(db, "model", "migrate", "--tenant", str(tenants.a), "--to", NEW, "--no-cut-over")
    assert r.exit_code == 0, r.output
    admin.register_model("mig-hash-32", 32, embedder="hash")
    r = cli(db, "model", "migrate", "--tenant", str(tenants.a), "--to", "mig-hash-32")
    one_error(r, "migrating to model 'mig-hash-64' already")
    r = cli(db, "model", "cleanup", "--tenant", str(tenants.a), "--model", NEW)
    one_error(r, "is migrating to model")
    with client.scope(tenants.a) as s, pytest.raises(psycopg.Error) as info:
        s.connection.execute("SELECT cogdb.remember_embeddings(ARRAY['m0000'], %s, "
                             "ARRAY[%s::vector])", (NEW, "[" + ",".join(["1"] * 3) + "]"))
    assert info.value.sqlstate == "CGV01" and "needs 64" in str(info.value)
    one, zero = "[" + ",".join(["1"] * 64) + "]", "[" + ",".join(["0"] * 64) + "]"
    for ids, vectors, expected in ((["m0000", "m0001"], [one], "pair up one to one"),
                                   (["m0000"], [zero], "embeddings")):
        with client.scope(tenants.a) as s, pytest.raises(psycopg.Error) as info:
            s.connection.execute("SELECT cogdb.remember_embeddings(%s, %s, %s::vector[])",
                                 (ids, NEW, vectors))
        assert info.value.sqlstate == "CGV01" and expected in str(info.value)
        assert info.value.diag.column_name == "embeddings"
    r = cli(db, "model", "migrations", "--tenant", str(tenants.a), "--json")
    assert [m["phase"] for m in json.loads(r.stdout)] == ["indexed"]
    r = cli(db, "model", "migrate", "--tenant", str(tenants.a), "--to", NEW)
    assert r.exit_code == 0 and "phase cut_over" in r.stdout, r.output
    r = cli(db, "model", "cleanup", "--tenant", str(tenants.a), "--model", OLD, "--json")
    assert json.loads(r.stdout)["deleted"] == 3
