"""`cogdb session|event|context|offload`: one command per SQL function, --json everywhere,
one-line errors (a stale version names the current one)."""
from __future__ import annotations

import json

from helpers import cli


def _json(db, *args: str):
    result = cli(db, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_session_with_events_memories_and_search(db, tenants):
    scope = ("--tenant", str(tenants.a), "--user", str(tenants.a1))
    sid = _json(db, "session", "start", *scope, "--mode", "chat", "--agent", "planner",
                "--metadata", '{"channel": "cli"}')["id"]
    first = _json(db, "event", "append", *scope, sid, "user_message", "--payload",
                  '{"text": "how do we deploy?"}', "--source", "user", "--target", "planner")
    second = _json(db, "event", "append", *scope, sid, "agent.reply", "--payload",
                   '{"text": "merge to main"}', "--source", "planner", "--parent", first["id"])
    assert (first["seq"], second["seq"]) == (1, 2)
    plain = cli(db, "event", "append", *scope, sid, "note")
    assert plain.exit_code == 0 and plain.output.startswith("3 ")

    listed = _json(db, "event", "list", *scope, sid, "--after", "1", "-n", "1")
    assert [e["seq"] for e in listed["events"]] == [2] and listed["next_after"] == 2
    assert "user_message" in cli(db, "event", "list", *scope, sid).output
    chain = _json(db, "event", "chain", *scope, second["id"])
    assert [e["event_type"] for e in chain] == ["agent.reply", "user_message"]

    mid = _json(db, "remember", *scope, "deploy", "to", "production", "--session", sid)["id"]
    assert cli(db, "remember", *scope, "deploy", "elsewhere").exit_code == 0  # no session
    shown = _json(db, "session", "show", *scope, sid)
    assert (shown["event_count"], shown["mode"], shown["metadata"]) == (3, "chat",
                                                                        {"channel": "cli"})
    assert [m["id"] for m in _json(db, "session", "memories", *scope, sid)["memories"]] == [mid]
    sessions = _json(db, "session", "list", *scope, "--open")["sessions"]
    assert [s["id"] for s in sessions] == [sid]
    found = _json(db, "session", "search", *scope, "deploy")
    assert [(h["session_id"], h["best_memory_id"]) for h in found] == [(sid, mid)]

    ended = _json(db, "session", "end", *scope, sid)
    assert ended["ended_at"]
    follow = cli(db, "event", "list", *scope, sid, "--follow", "--json")
    assert follow.exit_code == 0
    assert [json.loads(line)["seq"] for line in follow.output.splitlines()] == [1, 2, 3]
    late = cli(db, "event", "append", *scope, sid, "late")
    assert late.exit_code == 1 and "ended" in late.output and "hint:" in late.output


def test_context_compare_and_set(db, tenants):
    scope = ("--tenant", str(tenants.a), "--user", str(tenants.a1))
    assert _json(db, "context", "set", *scope, "plan", '{"step": 1}', "--version", "0") == {
        "key": "plan", "version": 1}
    assert cli(db, "context", "set", *scope, "note", "plain words", "--version", "0",
               "--private").exit_code == 0
    stale = cli(db, "context", "set", *scope, "plan", '{"step": 2}', "--version", "0")
    assert stale.exit_code == 1
    assert "at version 1" in stale.output and "expected_version => 1" in stale.output
    got = _json(db, "context", "get", *scope, "plan")
    assert (got["value"], got["version"]) == ({"step": 1}, 1)
    assert _json(db, "context", "get", *scope, "note", "--private")["value"] == "plain words"
    entries = _json(db, "context", "list", *scope)["entries"]
    assert [(e["key"], e["tier"]) for e in entries] == [("note", "private"), ("plan", "shared")]
    assert cli(db, "context", "set", *scope, "lease", "1", "--version", "0",
               "--ttl", "3600").exit_code == 0
    assert _json(db, "context", "delete", *scope, "plan", "--version", "1")["deleted"]
    missing = cli(db, "context", "get", *scope, "plan")
    assert missing.exit_code == 1


def test_offload_put_get_search(db, tenants, tmp_path):
    scope = ("--tenant", str(tenants.a), "--user", str(tenants.a1))
    text = "user: how do we deploy?\nassistant: merge to main, then promote.\n" * 300
    path = tmp_path / "context.txt"
    path.write_text(text, encoding="utf-8")
    oid = _json(db, "offload", "put", *scope, str(path), "--summary",
                "deploy runbook conversation", "--private", "--tag", "ops")["id"]
    got = _json(db, "offload", "get", *scope, oid)
    assert got["content"] == text and got["compression_ratio"] > 3
    out = tmp_path / "back.txt"
    assert cli(db, "offload", "get", *scope, oid, "-o", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8") == text
    hits = _json(db, "offload", "search", *scope, "deploy", "runbook")
    assert [h["id"] for h in hits] == [oid]
    other = cli(db, "offload", "get", "--tenant", str(tenants.a), "--user", str(tenants.a2), oid)
    assert other.exit_code == 1


def test_errors_are_one_line(db, tenants):
    scope = ("--tenant", str(tenants.a), "--user", str(tenants.a1))
    bad = cli(db, "event", "append", *scope, "not-a-uuid", "x")
    assert bad.exit_code == 1 and bad.output.count("error:") == 1
    payload = cli(db, "event", "append", *scope, "6f1c2b3a-0000-4000-8000-000000000001", "x",
                  "--payload", "{not json")
    assert payload.exit_code == 1 and "--payload is not JSON" in payload.output
    missing = cli(db, "session", "end", *scope, "6f1c2b3a-0000-4000-8000-000000000001")
    assert missing.exit_code == 1 and "no session" in missing.output
    assert "Traceback" not in bad.output + payload.output + missing.output
