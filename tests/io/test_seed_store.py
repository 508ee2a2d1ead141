"""A store in the seeds' own shape, as a new user brings it: 1024-d vectors (BGE-M3), tags as
an object, metadata, and the application's own values of the enumerated fields ('gemini',
'creative'). Everything goes through the CLI as the test logins (app and admin): the import
is refused with one summary per unknown value that ends with the command that accepts it;
after that command (or with --map) it goes in, and exports back exactly."""
from __future__ import annotations

import json

import numpy as np
from corpus import node, vectors, write_store
from helpers import cli, count

N = 60
DIMS = 1024
MODEL = "bge-m3-1024"


def seed_record(i: int) -> dict:
    """A MemoryNode of the seeds' PostgreSQL backend: tags JSONB '{}' (an object), free
    VARCHAR values for source and conversation_mode."""
    return node(i, source="gemini" if i % 3 else "assistant",
                conversation_mode="creative" if i % 2 else "task",
                tags={"project": f"p{i % 4}", "reviewed": i % 2 == 0, "langs": ["py", "sql"]}
                if i % 5 else ["plain", f"t{i % 3}"],
                metadata={"customer": "acme" if i % 4 else "globex", "priority": i % 5})


def _json(result) -> object:
    return json.loads(result.stdout[result.stdout.index("{") if result.stdout.lstrip()
                                    .startswith("{") else result.stdout.index("["):])


def test_a_seed_store_is_refused_with_a_grouped_summary_then_accepted(db, tenants, tmp_path):
    records = [seed_record(i) for i in range(N)]
    vecs = vectors(N, DIMS, seed=5)
    store = write_store(tmp_path / "seed", records, vecs, dims=DIMS)
    tenant = str(tenants.b)

    # 1. The 384-d default model does not fit: one line, and the hint names the commands.
    r = cli(db, "import", "nodes", "--tenant", tenant, "--data-dir", str(store))
    assert r.exit_code == 1
    assert "the vectors have 1024 dimensions; model 'cogdb-hash-384' needs 384" in r.output
    assert "cogdb model register <name> --dimensions 1024" in r.output

    # 2. Register the model from the CLI; the app login cannot.
    reg = cli(db, "model", "register", MODEL, "--dimensions", str(DIMS), "--json")
    assert reg.exit_code == 0, reg.output
    assert _json(reg)["dimensions"] == DIMS and _json(reg)["embedder"] is None
    listed = cli(db, "model", "list", "--json")
    assert MODEL in [m["name"] for m in _json(listed)]
    denied = cli(db, "model", "register", "other-1024", "--dimensions", "1024",
                 admin_url=db.app_url)
    assert denied.exit_code == 1 and "permission denied" in denied.output

    # 3. Unknown values: refused whole, grouped by value with counts and example ids, the
    #    command that accepts them, and --map; never a line per record.
    args = ["import", "nodes", "--tenant", tenant, "--data-dir", str(store), "--model", MODEL,
            "--reject-file", str(tmp_path / "rej.jsonl")]
    r = cli(db, *args)
    assert r.exit_code == 1, r.output
    gemini = sum(1 for rec in records if rec["source"] == "gemini")
    creative = sum(1 for rec in records if rec["conversation_mode"] == "creative")
    assert f"source = 'gemini': {gemini:,} records (e.g. mem_0000000000000001" in r.output
    assert f"conversation_mode = 'creative': {creative:,} records" in r.output
    assert "cogdb vocabulary add source gemini" in r.output
    assert "cogdb vocabulary add conversation_mode creative" in r.output
    assert "--map" in r.output
    assert "rejected: record #" not in r.output, "one line per record on the terminal"
    assert len(r.output.splitlines()) < 30, r.output
    assert count(db, tenants.b) == 0
    rejects = (tmp_path / "rej.jsonl").read_text().splitlines()
    assert len(rejects) == sum(1 for rec in records
                               if rec["source"] == "gemini" or rec["conversation_mode"]
                               == "creative"), "the reject file keeps every record"
    summary = _json(cli(db, *args, "--json"))
    assert {(u["field"], u["value"], u["count"]) for u in summary["unknown_values"]} == {
        ("source", "gemini", gemini), ("conversation_mode", "creative", creative)}

    # 4. A dry run with --map says how many are valid and would be imported.
    mapped = cli(db, *args, "--dry-run", "--map", "source:gemini=assistant",
                 "--map", "conversation_mode:creative=chat")
    assert mapped.exit_code == 0, mapped.output
    assert f"{N:,}, would import" in mapped.output and "imported" not in mapped.output
    assert count(db, tenants.b) == 0

    # 5. The app login cannot extend a vocabulary; the admin can, with the printed command.
    denied = cli(db, "vocabulary", "add", "source", "gemini", admin_url=db.app_url)
    assert denied.exit_code == 1 and "permission denied" in denied.output
    for field, value in (("source", "gemini"), ("conversation_mode", "creative")):
        added = cli(db, "vocabulary", "add", field, value)
        assert added.exit_code == 0 and value in added.output, added.output
    ok = cli(db, *args)
    assert ok.exit_code == 0, ok.output
    assert count(db, tenants.b) == N

    # 6. The tenant's model becomes bge-m3-1024; export, search and show use it.
    assert cli(db, "tenant", "set", tenant, f"default_model={MODEL}").exit_code == 0
    shown = _json(cli(db, "tenant", "show", tenant, "--json"))
    assert shown["default_model"] == MODEL and shown["memories"] == {MODEL: N}
    out = tmp_path / "out"
    exported = cli(db, "export", "nodes", "--tenant", tenant, "--data-dir", str(out))
    assert exported.exit_code == 0 and f"exported {N} memories of model {MODEL}" in \
        exported.output
    back = {rec["id"]: rec for rec in json.loads((out / "corpus" / "nodes.json").read_text())}
    for rec in records:
        got = back[rec["id"]]
        assert got["tags"] == rec["tags"], "tags come back in the shape they were given"
        assert got["metadata"] == rec["metadata"]
        assert (got["source"], got["conversation_mode"]) == (rec["source"],
                                                             rec["conversation_mode"])
    order = [rec["id"] for rec in json.loads((out / "corpus" / "nodes.json").read_text())]
    exported_vecs = np.load(out / "vectors" / "nodes.npy")
    by_id = {rec["id"]: vecs[i] for i, rec in enumerate(records)}
    assert np.array_equal(exported_vecs, np.stack([by_id[i] for i in order]))

    # 7. Search by vector needs no embedder; by text the model has none: a clear refusal.
    text = cli(db, "search", "--tenant", tenant, "rotate", "the", "logs")
    assert text.exit_code == 1 and f"model '{MODEL}' has no embedder registered" in text.output
    assert f"cogdb model register {MODEL}" in text.output


def test_map_renames_values_and_tag_objects_filter_by_key(db, tenants, tmp_path, client):
    records = [seed_record(i) for i in range(12)]
    store = write_store(tmp_path / "seed", records, vectors(12, 384, seed=2))
    r = cli(db, "import", "nodes", "--tenant", str(tenants.b), "--data-dir", str(store),
            "--map", "source:gemini=assistant", "--map", "conversation_mode:creative=chat")
    assert r.exit_code == 0, r.output
    with client.scope(tenants.b) as s:
        got = {m.id: m for m in s.list_memories(100)}
        hits = s.search(vectors(1, 384, seed=2)[0], k=100, tags_any=["project"])
        plain = s.search(vectors(1, 384, seed=2)[0], k=100, tags_any=["plain"])
    assert {m.source for m in got.values()} == {"assistant"}
    assert {m.conversation_mode for m in got.values()} == {"chat", "task"}
    assert {h.id for h in hits} == {rec["id"] for rec in records
                                    if isinstance(rec["tags"], dict)}
    assert {h.id for h in plain} == {rec["id"] for rec in records
                                     if isinstance(rec["tags"], list)}


def test_map_is_checked(db, tenants, tmp_path):
    store = write_store(tmp_path / "s", [node(0)])
    for bad, fragment in (("source=x", "--map must be FIELD:FROM=TO"),
                          ("colour:red=blue", "'colour' is not an enumerated field")):
        r = cli(db, "import", "nodes", "--tenant", str(tenants.b), "--data-dir", str(store),
                "--map", bad)
        assert r.exit_code == 1 and fragment in r.output, r.output
    assert count(db, tenants.b) == 0
