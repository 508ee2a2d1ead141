"""`cogdb import nodes` / `export nodes`: the seeds' file-based store into cogdb and back.

Everything runs as the app login (RLS applies); the superuser connection only counts and
reads ground truth. Corpora are generated per test in the seeds' format (tests/io/corpus.py).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from corpus import node, vectors, write_store
from helpers import cli, count

import cogdb
from cogdb.api.fields import FIELD_NAMES
from cogdb.io.nodes import ImportAborted, export_nodes, import_nodes

COLUMNS = ", ".join([*FIELD_NAMES, "model", "embedding::text"])


def rows(db, tenant) -> dict[str, tuple]:
    """Every memory of ``tenant`` (superuser: ground truth), keyed by id."""
    cur = db.super.execute(f"SELECT {COLUMNS} FROM cogdb.memories WHERE tenant_id = %s",
                           (tenant,))
    return {r[0]: tuple(r) for r in cur}


# --------------------------------------------------------------------------- the happy path

def test_import_stamps_scope_and_rerun_adds_nothing(client, db, tenants, tmp_path):
    store = write_store(tmp_path, [node(i) for i in range(40)])
    report = import_nodes(client, tenants.b, store, user=tenants.b1, batch_size=16)
    assert (report.found, report.imported, report.already_present, report.rejected) == (
        40, 40, 0, 0) and report.conflicts == [] and report.ok
    assert report.ignored_fields == {"tenant_id": 40, "user_id": 40}
    stamped = db.super.execute(
        "SELECT DISTINCT tenant_id, owner_user_id, model FROM cogdb.memories").fetchall()
    assert stamped == [(tenants.b, tenants.b1, "cogdb-hash-384")], (
        "tenant and owner must come from the scope, never from the file's tenant_id/user_id")
    again = import_nodes(client, tenants.b, store, user=tenants.b1, batch_size=7)
    assert (again.imported, again.already_present, again.conflicts) == (0, 40, [])
    assert count(db) == 40



def test_the_import_indexes_its_queued_text_on_every_writer_before_it_returns(
        client, db, tenants, tmp_path, monkeypatch):
    """Batches of 100+ rows queue their text indexing; the import indexes the queue before it
    returns, on as many connections as it writes with (index_pending_text calls share the
    queue: SKIP LOCKED). With small indexing batches on two connections the queue still ends
    empty, every node indexed."""
    from cogdb.io import loader

    monkeypatch.setattr(loader, "TEXT_BATCH", 7)
    store = write_store(tmp_path, [node(i) for i in range(300)])
    report = import_nodes(client, tenants.b, store, user=tenants.b1, batch_size=150, workers=2)
    assert report.imported == 300
    assert db.super.execute("SELECT count(*) FROM cogdb.text_index WHERE tenant_id = %s",
                            (tenants.b,)).fetchone() == (300,)
    assert db.super.execute("SELECT count(*) FROM cogdb.text_queue").fetchone() == (0,)

def test_fields_and_vectors_are_stored_exactly(client, db, tenants, tmp_path):
    recs = [node(0), node(1, summary="s", context_type="fact", expires_at="2030-01-01T00:00:00Z",
                         tags=[], cluster_confidence=None, technical_depth=None,
                         visibility="private")]
    vecs = vectors(2)
    store = write_store(tmp_path, recs, vecs)
    assert import_nodes(client, tenants.b, store, user=tenants.b1).imported == 2
    with client.scope(tenants.b, tenants.b1) as s:
        m0, m1 = s.get(recs[0]["id"]), s.get(recs[1]["id"])
    assert m0.human_content == recs[0]["human_content"] and m0.tags == ["ops", "t0"]
    assert m0.created_at.isoformat() == recs[0]["created_at"]
    assert m0.cluster_confidence == pytest.approx(0.05) and m0.technical_depth == 0
    assert m0.action_required is True and m0.has_code is True and m0.cluster_id == -1
    assert np.array_equal(m0.embedding, vecs[0]) and np.array_equal(m1.embedding, vecs[1])
    assert (m1.summary, m1.context_type, m1.visibility, m1.tags) == ("s", "fact", "private", [])
    assert m1.cluster_confidence is None and m1.technical_depth is None


def test_naive_timestamps_are_taken_as_utc(client, db, tenants, tmp_path):
    store = write_store(tmp_path, [node(0, created_at="2024-12-01T09:30:00",
                                        last_accessed="2024-12-02 10:00:00.123456")])
    import_nodes(client, tenants.b, store)
    got = db.super.execute("SELECT created_at AT TIME ZONE 'UTC', last_accessed AT TIME ZONE"
                           " 'UTC' FROM cogdb.memories").fetchone()
    assert [t.isoformat() for t in got] == ["2024-12-01T09:30:00", "2024-12-02T10:00:00.123456"]


def test_dry_run_writes_nothing(client, db, tenants, tmp_path):
    store = write_store(tmp_path, [node(i) for i in range(5)])
    report = import_nodes(client, tenants.b, store, dry_run=True)
    assert report.found == 5 and report.imported == 0 and count(db) == 0


# --------------------------------------------------------------------------- validation

BAD_RECORDS = [
    ("missing human_content", {"human_content": None}, "human_content: missing (required)"),
    ("missing created_at", {"created_at": None}, "created_at: missing (required)"),
    ("missing id", {"id": None}, "id: missing (required)"),
    ("bad id", {"id": "mem with spaces"}, "id: must be 1-128 letters"),
    ("depth 11", {"technical_depth": 11}, "technical_depth: must be between 0 and 10, got 11"),
    ("depth -1", {"technical_depth": -1}, "technical_depth: must be between 0 and 10"),
    ("depth text", {"technical_depth": "high"}, "technical_depth: must be an integer"),
    ("confidence 1.5", {"cluster_confidence": 1.5},
     "cluster_confidence: must be between 0 and 1, got 1.5"),
    ("confidence NaN", {"cluster_confidence": float("nan")}, "cluster_confidence: must be between"),
    ("unknown intent", {"intent_type": "curious"},
     "intent_type: must be one of question, request, statement, command"),
    ("seeds' source value", {"source": "anthropic"}, "source: must be one of assistant, api"),
    ("unknown urgency", {"urgency": "URGENT"}, "urgency: must be one of low, medium, high"),
    ("bad timestamp", {"created_at": "yesterday"}, "created_at: is not an ISO 8601 timestamp"),
    ("epoch timestamp", {"created_at": 1733045400}, "created_at: must be an ISO 8601 timestamp"),
    ("NUL byte", {"human_content": "a\x00b"}, "human_content: contains a NUL byte"),
    ("lone surrogate", {"assistant_content": "x\ud800y"},
     "assistant_content: contains a lone surrogate"),
    ("tags as a number", {"tags": 5}, "tags: must be a list of strings or an object"),
    ("empty tag", {"tags": ["ok", ""]}, "tags: each tag must be a non-empty string"),
    ("empty tag key", {"tags": {"": 1}}, "tags: each key must be a non-empty string"),
    ("metadata as a list", {"metadata": [1]}, "metadata: must be a JSON object"),
    ("65 tags", {"tags": [f"t{i}" for i in range(65)]}, "tags: has 65 tags"),
    ("bool as string", {"has_code": "yes"}, "has_code: must be true or false"),
    ("sequence -1", {"sequence_index": -1}, "sequence_index: must be between 0 and"),
    ("no content", {"human_content": "", "assistant_content": ""},
     "a memory needs human_content or assistant_content"),
    ("expires before created", {"expires_at": "2000-01-01T00:00:00+00:00"},
     "expires_at: must be later than created_at"),
    ("too long", {"human_content": "x" * 100001}, "human_content: is 100001 characters"),
    ("private without --user", {"visibility": "private"}, "a private memory needs --user"),
    ("session not a UUID", {"session_id": "s-1"}, "session_id: must be a UUID, got 's-1'"),
    ("session as a number", {"session_id": 7}, "session_id: must be a UUID string, got int"),
]


@pytest.mark.parametrize(("name", "override", "expected"), BAD_RECORDS,
                         ids=[c[0] for c in BAD_RECORDS])
def test_each_invalid_record_is_reported_with_index_and_id(client, db, tenants, tmp_path, name,
                                                           override, expected):
    recs = [node(i) for i in range(4)]
    recs[2] = {**recs[2], **override}
    store = write_store(tmp_path, recs)
    reject = tmp_path / "rejects.jsonl"
    report = import_nodes(client, tenants.b, store, reject_file=reject)
    assert report.aborted and report.rejected == 1 and count(db) == 0, (
        "abort (the default) must write nothing when any record is invalid")
    (problem,) = report.problems
    assert problem.index == 2 and problem.id == recs[2]["id"]
    assert any(expected in r for r in problem.reasons), problem.reasons
    rid = recs[2]["id"]
    assert problem.line().startswith(f"record #2 (id {rid!r})" if rid else "record #2 (no id)")
    (line,) = reject.read_text().splitlines()
    entry = json.loads(line)
    assert entry["index"] == 2 and entry["record"]["conversation_id"] == recs[2]["conversation_id"]
    # positive control: the same corpus without the bad record imports
    good = write_store(tmp_path / "good", recs[:2] + recs[3:])
    assert import_nodes(client, tenants.b, good).imported == 3


def test_chat_export_source_refused_where_the_toggle_is_off(client, db, tenants, tmp_path):
    store = write_store(tmp_path, [node(0, source="chatgpt_export"), node(1)])
    report = import_nodes(client, tenants.a, store)  # enterprise: chat import off
    assert report.aborted and "chat import is disabled" in report.problems[0].reasons[0]
    assert import_nodes(client, tenants.b, store).imported == 2  # personal: on


def test_bad_vectors_and_duplicate_ids(client, db, tenants, tmp_path):
    recs = [node(i) for i in range(6)]
    recs[4] = node(4, id=recs[1]["id"])
    vecs = vectors(6)
    vecs[0, 3] = np.nan
    vecs[2, 0] = np.inf
    vecs[3] = 0.0
    store = write_store(tmp_path, recs, vecs)
    report = import_nodes(client, tenants.b, store, on_error="skip",
                          reject_file=tmp_path / "r.jsonl")
    reasons = {p.index: p.reasons for p in report.problems}
    assert reasons == {0: ["embedding: contains NaN or infinity"],
                       2: ["embedding: contains NaN or infinity"],
                       3: ["embedding: is a zero vector (cosine is undefined for it)"],
                       4: ["id: duplicate of record #1"]}
    assert not report.aborted and report.imported == 2 and report.rejected == 4
    assert set(rows(db, tenants.b)) == {recs[1]["id"], recs[5]["id"]}
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 4


@pytest.mark.parametrize(("case", "message"), [
    ("count mismatch", "3 node records but 2 vectors"),
    ("wrong dimension", "the vectors have 128 dimensions; model 'cogdb-hash-384' needs 384"),
    ("float64", "expected a 2-D float32 array"),
    ("malformed json", "record #1 is not valid JSON"),
    ("not a list", "expected a JSON list of node records"),
    ("truncated", "record #2 is not valid JSON"),
])
def test_whole_file_problems_abort_before_writing(client, db, tenants, tmp_path, case, message):
    recs = [node(i) for i in range(3)]
    vecs, raw = vectors(3), None
    if case == "count mismatch":
        vecs = vectors(2)
    elif case == "wrong dimension":
        vecs = vectors(3, dims=128)
    elif case == "float64":
        vecs = vectors(3).astype(np.float64)
    elif case == "malformed json":
        raw = json.dumps(recs).replace('"mem_0000000000000001"', '"mem_1" "x"', 1)
    elif case == "not a list":
        raw = json.dumps({"nodes": recs})
    elif case == "truncated":
        raw = json.dumps(recs)[:-200]
    store = write_store(tmp_path, recs, vecs, raw=raw)
    with pytest.raises(ImportAborted) as info:
        import_nodes(client, tenants.b, store, on_error="skip")
    assert message in info.value.message and count(db) == 0
    assert "\n" not in info.value.message


def test_large_records_across_read_chunks(tmp_path):
    """Records bigger than the reader's window and split at every offset still parse."""
    from cogdb.io.jsonstream import iter_json_array

    recs = [node(i, human_content="ü" * (3000 + 777 * i)) for i in range(12)]
    path = write_store(tmp_path, recs) / "corpus" / "nodes.json"
    for chunk in (1, 7, 4096):
        got = [r for _, r in iter_json_array(path, chunk_size=chunk)]
        assert got == recs


# --------------------------------------------------------------------------- conflicts

def test_conflicts_are_reported_and_replaced_only_with_update(client, db, tenants, tmp_path):
    recs = [node(i) for i in range(10)]
    vecs = vectors(10)
    import_nodes(client, tenants.b, write_store(tmp_path / "v1", recs, vecs))
    before = rows(db, tenants.b)
    recs2 = [dict(r) for r in recs]
    recs2[3]["assistant_content"] = "a different answer"
    recs2[7]["tags"] = ["changed"]
    vecs2 = vecs.copy()
    vecs2[5, 0] += 0.25  # only the vector differs
    store2 = write_store(tmp_path / "v2", recs2, vecs2)
    report = import_nodes(client, tenants.b, store2)
    conflict_ids = sorted(recs[i]["id"] for i in (3, 5, 7))
    assert report.conflicts == conflict_ids and report.already_present == 7
    assert not report.ok and rows(db, tenants.b) == before, "a conflict changed a row silently"
    updated = import_nodes(client, tenants.b, store2, update=True)
    assert sorted(updated.updated) == conflict_ids and updated.ok
    after = rows(db, tenants.b)
    assert after[recs[3]["id"]][4] == "a different answer"
    assert after[recs[7]["id"]][20] == ["changed"]
    assert after[recs[5]["id"]][-1] != before[recs[5]["id"]][-1]
    final = import_nodes(client, tenants.b, store2)
    assert (final.already_present, final.conflicts) == (10, [])


def test_an_id_taken_by_a_private_memory_of_another_user_is_a_conflict(client, db, tenants,
                                                                       tmp_path):
    recs = [node(0, visibility="private"), node(1)]
    store = write_store(tmp_path, recs)
    import_nodes(client, tenants.a, store, user=tenants.a1)
    report = import_nodes(client, tenants.a, store, user=tenants.a2)
    # a2 cannot see a1's private memory; its id is taken all the same
    assert report.conflicts == [recs[0]["id"]] and report.already_present == 1
    upd = import_nodes(client, tenants.a, store, user=tenants.a2, update=True)
    assert upd.updated == [] and not upd.ok, "--update must not touch another user's memory"


# --------------------------------------------------------------------------- round trip

def test_export_then_import_into_a_new_tenant_round_trips_exactly(client, admin, db, tenants,
                                                                   tmp_path):
    recs = [node(i) for i in range(30)]
    recs[5] = node(5, summary="sum", context_type="note", expires_at="2031-05-05T05:05:05.5+02:00",
                   cluster_confidence=0.3333333, last_accessed=None, tags=[])
    recs[6] = node(6, created_at="2024-12-01T09:30:00.000001-07:00", cluster_confidence=1e-7)
    recs[7] = node(7, conversation_id=None)  # as remember() stores one: no conversation
    import_nodes(client, tenants.b, write_store(tmp_path / "in", recs, vectors(30, seed=3)))
    out = tmp_path / "out"
    r = cli(db, "export", "nodes", "--tenant", str(tenants.b), "--data-dir", str(out))
    assert r.exit_code == 0, r.output
    assert "exported 30 memories" in r.output
    fresh = admin.create_tenant("round trip")
    report = import_nodes(client, fresh.id, out)
    assert report.imported == 30 and report.ok
    assert rows(db, fresh.id) == rows(db, tenants.b)
    # and the exported files themselves are stable: export again, byte for byte
    out2 = tmp_path / "out2"
    assert cli(db, "export", "nodes", "--tenant", str(fresh.id), "--data-dir",
               str(out2)).exit_code == 0
    for rel in ("corpus/nodes.json", "vectors/nodes.npy"):
        assert (out / rel).read_bytes() == (out2 / rel).read_bytes(), rel


# --------------------------------------------------------------------------- CLI

def test_cli_summary_and_exit_codes(db, tenants, tmp_path):
    store = write_store(tmp_path / "s", [node(i) for i in range(6)])
    args = ["import", "nodes", "--tenant", str(tenants.b), "--data-dir", str(store)]
    ok = cli(db, *args)
    assert ok.exit_code == 0, ok.output
    for label in ("found", "imported", "already present", "conflicts", "rejected", "time",
                  "rate"):
        assert label in ok.output
    assert "import: 6/6 (100.0%)" in ok.output  # plain progress lines when not on a TTY
    again = cli(db, *args, "--json")
    summary = json.loads(again.stdout[again.stdout.index("{"):])
    assert (summary["imported"], summary["already_present"]) == (0, 6)

    bad = write_store(tmp_path / "b", [node(0), node(1, technical_depth=42)])
    reject = tmp_path / "rej.jsonl"
    r = cli(db, "import", "nodes", "--tenant", str(tenants.b), "--data-dir", str(bad),
            "--reject-file", str(reject))
    assert r.exit_code == 1 and "record #1 (id 'mem_0000000000000001')" in r.output
    assert "aborted" in r.output and "Traceback" not in r.output
    skip = cli(db, "import", "nodes", "--tenant", str(tenants.b), "--data-dir", str(bad),
               "--reject-file", str(reject), "--on-error", "skip")
    assert skip.exit_code == 4 and reject.exists()  # finished, records left out

    conflict = write_store(tmp_path / "c", [node(0, human_content="changed")])
    c = cli(db, "import", "nodes", "--tenant", str(tenants.b), "--data-dir", str(conflict))
    assert c.exit_code == 4 and "mem_0000000000000000" in c.output  # not 2: click's usage

    wrong_user = cli(db, *args, "--user", str(tenants.a1))
    assert wrong_user.exit_code == 1 and "does not belong to tenant" in wrong_user.output


# --------------------------------------------------------------------------- kill -9

@pytest.mark.slow
def test_resume_after_kill_9_ends_with_exactly_the_full_set(db, tenants, tmp_path):
    n = 6000
    store = write_store(tmp_path, [node(i) for i in range(n)], vectors(n))
    env = {**os.environ, "COGDB_DATABASE_URL": db.app_url, "COGDB_ADMIN_URL": db.admin_url}
    cmd = [sys.executable, "-m", "cogdb", "import", "nodes", "--tenant", str(tenants.b),
           "--data-dir", str(store), "--batch-size", "50", "--reject-file",
           str(tmp_path / "r.jsonl")]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while count(db, tenants.b) < 500 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # The killed client's backends may still be finishing a COMMIT they had received: count
    # only once they are gone, or the rerun finds rows that committed after the count.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and db.super.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND usename = 'cogdb_test_app'").fetchone()[0]:
        time.sleep(0.05)
    partial = count(db, tenants.b)
    assert proc.returncode == -signal.SIGKILL and 0 < partial < n, (
        f"the import was not killed mid-way ({partial} of {n} rows, rc {proc.returncode})")
    rerun = subprocess.run([*cmd, "--json"], env=env, capture_output=True, text=True,
                           timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["already_present"] == partial and summary["imported"] == n - partial
    assert count(db, tenants.b) == n
    assert db.super.execute("SELECT count(DISTINCT id) FROM cogdb.memories").fetchone() == (n,)


def test_unknown_model_and_unknown_tenant(client, tenants, tmp_path):
    store = write_store(tmp_path, [node(0)])
    with pytest.raises(cogdb.InvalidInput):
        import_nodes(client, tenants.b, store, model="no-such-model")
    with pytest.raises(cogdb.NotFound):
        import_nodes(client, "00000000-0000-0000-0000-000000000000", store)




def test_two_concurrent_imports_of_one_store_add_each_row_once(client, db, tenants, tmp_path):
    """Both runs insert with ON CONFLICT DO NOTHING; rows the other run committed after this
    statement's snapshot are compared again (fresh snapshot), so neither run reports a
    conflict and together they insert every row exactly once."""
    import threading

    n = 3000
    store = write_store(tmp_path, [node(i) for i in range(n)], vectors(n))
    reports = []

    def run() -> None:
        with cogdb.connect(db.app_url, pool_size=2) as c:
            reports.append(import_nodes(c, tenants.b, store, batch_size=100))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(reports) == 2 and all(r.conflicts == [] for r in reports)
    assert sum(r.imported for r in reports) == n
    assert all(r.imported + r.already_present == n for r in reports)
    assert count(db, tenants.b) == n


def test_cli_dry_run_and_one_worker(db, tenants, tmp_path):
    store = write_store(tmp_path, [node(i) for i in range(30)])
    dry = cli(db, "import", "nodes", "--tenant", str(tenants.b), "--data-dir", str(store),
              "--dry-run")
    assert dry.exit_code == 0 and "dry run: nothing was written" in dry.output
    assert count(db) == 0
    one = cli(db, "import", "nodes", "--tenant", str(tenants.b), "--data-dir", str(store),
              "--workers", "1", "--batch-size", "7", "--json")
    assert json.loads(one.stdout)["imported"] == 30 and count(db) == 30


def test_session_id_travels_through_import_and_export(client, db, tenants, tmp_path):
    """session_id is one of the fields: imported as given (a session of the target tenant),
    exported as a string; a session the scope cannot see stops the import (malformed ones
    are rejected with the other bad records, BAD_RECORDS)."""
    with client.scope(tenants.b, tenants.b1) as s:
        sid = s.start_session()
    store = write_store(tmp_path / "in", [node(0, session_id=str(sid)), node(1)])
    assert import_nodes(client, tenants.b, store, user=tenants.b1).imported == 2
    with client.scope(tenants.b, tenants.b1) as s:
        assert [m.id for m in s.session_memories(sid)] == [node(0)["id"]]
    export_nodes(client, tenants.b, tmp_path / "out", user=tenants.b1)
    records = json.loads((tmp_path / "out" / "corpus" / "nodes.json").read_text())
    assert {r["id"]: r["session_id"] for r in records} == {node(0)["id"]: str(sid),
                                                            node(1)["id"]: None}
    elsewhere = write_store(tmp_path / "elsewhere", [node(6, session_id=str(sid))])
    with pytest.raises(cogdb.NotFound):
        import_nodes(client, tenants.a, elsewhere, user=tenants.a1)
    assert count(db, tenants.a) == 0
