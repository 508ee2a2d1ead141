"""`cogdb import chat` refuses a file that is not the named provider's export, before
writing anything; exits 4 when conflicts are left; and ends durable (one synchronous commit)."""
from __future__ import annotations

import json

import pytest
from helpers import cli, count, one_error

import cogdb.io.chat as chat
from cogdb.db.errors import ImportAborted
from cogdb.io.chat import ChatReport
from cogdb.io.loader import BatchResult

CHATGPT = [{"id": "c1", "title": "t", "create_time": 1733045400.0, "current_node": "a",
            "mapping": {
                "q": {"id": "q", "parent": None, "children": ["a"], "message": {
                    "id": "q", "author": {"role": "user"}, "create_time": 1733045400.0,
                    "content": {"content_type": "text", "parts": ["How do I rotate logs?"]}}},
                "a": {"id": "a", "parent": "q", "children": [], "message": {
                    "id": "a", "author": {"role": "assistant"}, "create_time": 1733045405.0,
                    "content": {"content_type": "text", "parts": ["Use logrotate."]}}}}}]
CLAUDE = [{"uuid": "k1", "name": "RLS", "created_at": "2024-12-02T10:00:00Z", "chat_messages": [
    {"uuid": "h", "sender": "human", "text": "What is RLS?", "created_at": "2024-12-02T10:00:00Z"},
    {"uuid": "a", "sender": "assistant", "text": "Row-level security.",
     "created_at": "2024-12-02T10:00:05Z"}]}]
NODES = [{"id": "mem_1", "conversation_id": "c", "sequence_index": 0, "human_content": "q",
          "assistant_content": "a", "source": "import", "created_at": "2024-12-01T00:00:00Z"}]


def _import(db, tenants, tmp_path, provider: str, data, *extra: str):
    path = tmp_path / "conversations.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return cli(db, "import", "chat", "--tenant", str(tenants.b), "--user", str(tenants.b1),
               "--provider", provider, str(path), *extra)


@pytest.mark.parametrize(("provider", "data", "text", "hint"), [
    ("claude", CHATGPT, "looks like a ChatGPT export (conversations with a 'mapping'), "
                        "not a Claude one", "Pass --provider chatgpt."),
    ("chatgpt", CLAUDE, "looks like a Claude export (conversations with 'chat_messages'), "
                        "not a ChatGPT one", "Pass --provider claude."),
    ("chatgpt", NODES, "looks like a node store's nodes.json", "cogdb import nodes"),
    ("claude", {"conversations": CLAUDE}, "expected a JSON list of conversations",
     "Claude's conversations.json"),
    ("chatgpt", [1, "two", {"three": 3}], "is not a ChatGPT export: its first 3 item(s) are "
                                           "not conversations with a 'mapping'",
     "ChatGPT's conversations.json"),
])
def test_the_wrong_file_is_refused_before_writing(db, tenants, tmp_path, provider, data, text,
                                                  hint):
    _, hint_line = one_error(_import(db, tenants, tmp_path, provider, data), text)
    assert hint in hint_line
    assert count(db, tenants.b) == 0
    r = _import(db, tenants, tmp_path, provider, data, "--json")
    assert r.exit_code == 1 and text in json.loads(r.stdout)["error"]["message"]


def test_the_right_file_and_an_empty_one_pass(tmp_path):
    path = tmp_path / "c.json"
    for provider, data in (("chatgpt", CHATGPT), ("claude", CLAUDE), ("claude", []),
                           ("chatgpt", [{"odd": 1}, *CHATGPT])):  # one odd item is no reason
        path.write_text(json.dumps(data))
        chat.check_export(path, provider)


def test_the_python_api_refuses_too(client, tenants, tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(CHATGPT))
    with pytest.raises(ImportAborted) as info:
        chat.import_chat(client, tenants.b, tenants.b1, "claude", path)
    assert info.value.field == "provider"


def _written(*_args, **_kwargs) -> BatchResult:
    """write_batch's result for one stored row, without writing (the memories' writer is
    the first-hour branch's work in progress; this checks what happens around it)."""
    return BatchResult(1, 1, 0, [], [], {})


def test_conflicts_left_exit_4(db, tenants, tmp_path, monkeypatch):
    def with_conflict(*args, **kwargs) -> ChatReport:
        return ChatReport("claude", conversations=1, turns=1, conflicts=["claude_x"])

    monkeypatch.setattr("cogdb.cli.io.import_chat", with_conflict)
    r = _import(db, tenants, tmp_path, "claude", CLAUDE)
    assert r.exit_code == 4, r.output
    r = _import(db, tenants, tmp_path, "claude", CLAUDE, "--json")
    assert r.exit_code == 4 and json.loads(r.stdout)["conflicts"] == ["claude_x"]


def test_a_finished_import_is_flushed(client, tenants, tmp_path, monkeypatch):
    calls = []
    real = chat.flush_wal
    monkeypatch.setattr(chat, "flush_wal", lambda *a: calls.append(a) or real(*a))
    monkeypatch.setattr(chat, "write_batch", _written)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(CLAUDE))
    report = chat.import_chat(client, tenants.b, tenants.b1, "claude", path)
    assert report.imported == 1 and calls == [(client, tenants.b, tenants.b1)]
