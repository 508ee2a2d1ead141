"""The knowledge commands end to end through the CLI (as the test logins): `cogdb entity
upsert|get|merge|forget`, `cogdb relate`, `cogdb relationships`, `cogdb relation-type`,
`cogdb neighbors`, `cogdb search --hybrid`, `cogdb stats` and the statistics in
`cogdb tenant show`; --json everywhere; one-line errors."""
from __future__ import annotations

import json

from helpers import cli


def _ok(result):
    assert result.exit_code == 0, result.output
    return result


def _json(result):
    return json.loads(_ok(result).output)


def test_entities_relationships_and_traversal(db, tenants):
    t = ["--tenant", str(tenants.a), "--user", str(tenants.a1)]
    made = _json(cli(db, "entity", "upsert", *t, "Acme Corp", "--type", "customer",
                     "--data", '{"plan": "pro", "address": {"city": "Berlin"}}',
                     "--observation", "renewal in March", "--json"))
    assert made["created"] is True and made["id"].startswith("ent_")
    again = _ok(cli(db, "entity", "upsert", *t, "Acme Corp", "--data",
                    '{"address": {"zip": "10115"}}'))
    assert "updated (update 2)" in again.output
    shown = _json(cli(db, "entity", "get", *t, "Acme Corp", "--json"))
    assert shown["data"] == {"plan": "pro", "address": {"city": "Berlin", "zip": "10115"}}
    assert shown["observations"] == ["renewal in March"]
    assert "renewal in March" in _ok(cli(db, "entity", "get", *t, "Acme Corp")).output

    _ok(cli(db, "entity", "upsert", *t, "Bob", "--type", "person"))
    _ok(cli(db, "entity", "upsert", *t, "Globex"))
    _ok(cli(db, "relation-type", "add", *t, "works_at", "--exclusive",
            "--description", "employment"))
    assert "works_at" in _ok(cli(db, "relation-type", "list", *t)).output
    first = _json(cli(db, "relate", *t, "Bob", "works_at", "Acme Corp", "--json"))
    second = _ok(cli(db, "relate", *t, "Bob", "works_at", "Globex", "--strength", "0.8"))
    assert f"superseded {first['id']}" in second.output
    current = _json(cli(db, "relationships", *t, "Bob", "--json"))
    assert [(r["type"], r["other"]) for r in current] == [
        ("works_at", "entity:" + _json(cli(db, "entity", "get", *t, "Globex",
                                            "--json"))["id"])]
    history = _json(cli(db, "relationships", *t, "Bob", "--history", "--json"))
    assert len(history) == 3
    assert "superseded" in _ok(cli(db, "relationships", *t, "Bob", "--history")).output

    mid = _json(cli(db, "remember", *t, "the Globex kickoff notes", "--json"))["id"]
    _ok(cli(db, "relate", *t, f"memory:{mid}", "relates_to", "Globex"))
    walk = _json(cli(db, "neighbors", *t, "Bob", "--depth", "2", "--json"))
    assert [(n["label"], n["depth"]) for n in walk] == [
        ("Globex", 1), ("the Globex kickoff notes", 2)]
    assert "Globex" in _ok(cli(db, "neighbors", *t, "Bob")).output

    merged = _ok(cli(db, "entity", "merge", *t, "Acme Corp", "Globex"))
    assert "merged" in merged.output
    assert _json(cli(db, "entity", "get", *t, "Globex", "--json"))["name"] == "Acme Corp"
    assert _ok(cli(db, "entity", "forget", *t, "Bob")).output.strip() == "forgotten"
    gone = cli(db, "entity", "get", *t, "Bob")
    assert gone.exit_code == 1 and "no such entity" in gone.output


def test_hybrid_search_and_stats(db, tenants):
    t = ["--tenant", str(tenants.a)]
    _ok(cli(db, "remember", *t, "refund for order ORD-2024-00123 was approved"))
    _ok(cli(db, "remember", *t, "weekly sync about the roadmap"))
    _ok(cli(db, "entity", "upsert", *t, "Priya", "--observation", "handles refunds"))
    hits = _json(cli(db, "search", *t, "--hybrid", "ORD-2024-00123", "--json"))
    assert hits[0]["human_content"].startswith("refund for order ORD-2024-00123")
    assert hits[0]["text_rank"] == 1
    text = _json(cli(db, "search", *t, "--hybrid", "--text-only", "refunds", "--json"))
    assert {h["kind"] for h in text} == {"memory", "entity"}
    assert all(h["vector_rank"] is None for h in text)
    printed = _ok(cli(db, "search", *t, "--hybrid", "refund", "--record-access")).output
    assert "score" in printed and "ORD-2024-00123" in printed
    wrong = cli(db, "search", *t, "--text-only", "refund")
    assert wrong.exit_code == 1 and "error: --text-only goes with --hybrid" in wrong.output

    stats = _json(cli(db, "stats", *t, "--json"))
    assert stats["memories"]["total"] == 2 and stats["entities"] == 1
    assert "memories" in _ok(cli(db, "stats", *t)).output
    shown = _json(cli(db, "tenant", "show", str(tenants.a), "--json"))
    assert shown["stats"]["memories"]["by_source"] == {"api": 2}
    assert "statistics" in _ok(cli(db, "tenant", "show", str(tenants.a))).output


def test_errors_are_one_line(db, tenants):
    t = ["--tenant", str(tenants.a)]
    bad = cli(db, "relate", *t, "Nobody", "relates_to", "Nothing")
    assert bad.exit_code == 1 and bad.output.startswith("error: no node 'name:Nobody'")
    assert "Traceback" not in bad.output
    data = cli(db, "entity", "upsert", *t, "X", "--data", "[1]")
    assert data.exit_code == 1 and "error: --data must be a JSON object" in data.output
    typ = cli(db, "relate", *t, "X", "works_for", "Y")
    assert typ.exit_code == 1 and "error:" in typ.output
