"""`cogdb import chat`: ChatGPT and Claude conversation exports into question/answer memories.

The fixtures are small exports written like the providers' own: ChatGPT's message tree with
an edited user message (two branches), a hidden system message, a tool call and its output,
an image part and an empty message; Claude's chat_messages with content blocks, an
attachment, a tool_use block, an empty message and an edited branch (parent_message_uuid).
"""
from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest
from helpers import cli

import cogdb
from cogdb.io.chat import import_chat, memory_id

T = 1733045400.0  # 2024-12-01T09:30:00Z


def _node(nid, parent, children, role=None, parts=None, t=None, **extra):
    msg = None
    if role is not None:
        msg = {"id": nid, "author": {"role": role, "name": None}, "create_time": t,
               "content": {"content_type": extra.pop("content_type", "text"),
                           "parts": parts if parts is not None else []},
               "metadata": extra.pop("metadata", {}), "recipient": extra.pop("recipient", "all"),
               **extra}
    return {"id": nid, "message": msg, "parent": parent, "children": children}


def chatgpt_export() -> list[dict]:
    image = {"content_type": "image_asset_pointer", "asset_pointer": "file-service://x",
             "width": 512, "height": 512}
    mapping = {n["id"]: n for n in [
        _node("root", None, ["sys"]),
        _node("sys", "root", ["u1"], "system", [""],
              metadata={"is_visually_hidden_from_conversation": True}),
        _node("u1", "sys", ["a1"], "user", ["How do I rotate logs?"], T),
        _node("a1", "u1", ["u2-old", "u2-new"], "assistant", ["Use logrotate."], T + 5),
        _node("u2-old", "a1", ["a2-old"], "user", ["What about Windows?"], T + 60),
        _node("a2-old", "u2-old", [], "assistant", ["Use Event Viewer."], T + 65),
        _node("u2-new", "a1", ["t1"], "user", ["Show me a config", image], T + 90,
              content_type="multimodal_text"),
        _node("t1", "u2-new", ["tool1"], "assistant", ["print('x')"], T + 91,
              content_type="code", recipient="python"),
        _node("tool1", "t1", ["a2-new"], "tool", ["x"], T + 92, content_type="execution_output"),
        _node("a2-new", "tool1", ["a2-empty"], "assistant",
              ["```\n/var/log/*.log weekly\n```"], T + 95),
        _node("a2-empty", "a2-new", [], "assistant", [""], T + 96),
    ]}
    return [
        {"title": "Log rotation", "create_time": T, "update_time": T + 96, "mapping": mapping,
         "current_node": "a2-empty", "conversation_id": "c-logs", "id": "c-logs"},
        {"title": "Empty", "create_time": T, "mapping": {
            "r": _node("r", None, ["s"]),
            "s": _node("s", "r", [], "system", ["You are ChatGPT"])},
         "current_node": "s", "conversation_id": "c-empty", "id": "c-empty"},
    ]


def claude_export() -> list[dict]:
    def msg(uuid, sender, text, t, parent=None, content=None, **extra):
        m = {"uuid": uuid, "sender": sender, "text": text, "created_at": t,
             "updated_at": t, "attachments": [], "files": [], **extra}
        if content is not None:
            m["content"] = content
        if parent is not None:
            m["parent_message_uuid"] = parent
        return m

    return [
        {"uuid": "k-rls", "name": "RLS", "created_at": "2024-12-02T10:00:00Z", "chat_messages": [
            msg("h1", "human", "What is RLS?", "2024-12-02T10:00:00Z",
                content=[{"type": "text", "text": "What is RLS?"}]),
            msg("a1", "assistant", "", "2024-12-02T10:00:05Z",
                content=[{"type": "text", "text": "Row-level security filters rows."},
                         {"type": "tool_use", "name": "web_search", "input": {}}]),
            msg("h2", "human", "Summarise this file", "2024-12-02T10:01:00Z",
                attachments=[{"file_name": "notes.pdf", "extracted_content": "…"}]),
            msg("a2", "assistant", "It says RLS is on.", "2024-12-02T10:01:05Z"),
            msg("h3", "human", "", "2024-12-02T10:02:00Z"),
        ]},
        {"uuid": "k-empty", "name": "", "created_at": "2024-12-03T10:00:00Z",
         "chat_messages": []},
        {"uuid": "k-branch", "name": "Edited", "created_at": "2024-12-04T10:00:00",
         "chat_messages": [
             msg("b1", "human", "First try", "2024-12-04T10:00:00", parent="00000000"),
             msg("b2", "assistant", "Old answer", "2024-12-04T10:00:05", parent="b1"),
             msg("b3", "human", "Edited question", "2024-12-04T10:01:00", parent="b2"),
             msg("b3x", "human", "Abandoned edit", "2024-12-04T10:00:50", parent="b2"),
             msg("b4", "assistant", "New answer", "2024-12-04T10:01:05", parent="b3"),
         ]},
    ]


def write(tmp_path, data) -> str:
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def memories(db, tenant) -> list[tuple]:
    return db.super.execute(
        "SELECT id, conversation_id, sequence_index, human_content, assistant_content, source,"
        " created_at, visibility, owner_user_id, has_code, model FROM cogdb.memories"
        " WHERE tenant_id = %s ORDER BY conversation_id, sequence_index", (tenant,)).fetchall()


def test_chatgpt_follows_the_current_branch_and_skips_odd_messages(client, db, tenants,
                                                                  tmp_path):
    report = import_chat(client, tenants.b, tenants.b1, "chatgpt",
                         write(tmp_path, chatgpt_export()))
    assert (report.conversations, report.empty_conversations, report.turns,
            report.imported) == (2, 1, 2, 2)
    assert dict(report.skipped) == {
        "system messages": 2, "tool messages": 1, "tool calls": 1,
        "non-text parts (images, files)": 1, "empty messages": 1,
        "messages on other branches (edits, regenerations)": 2}
    rows = memories(db, tenants.b)
    assert [r[1:6] for r in rows] == [
        ("c-logs", 0, "How do I rotate logs?", "Use logrotate.", "chatgpt_export"),
        ("c-logs", 1, "Show me a config", "```\n/var/log/*.log weekly\n```", "chatgpt_export")]
    assert rows[0][0] == memory_id("chatgpt", "c-logs", "u1")
    assert rows[0][6] == datetime.fromtimestamp(T, UTC)
    assert rows[1][6] == datetime.fromtimestamp(T + 90, UTC)
    assert {r[7:9] for r in rows} == {("private", tenants.b1)}
    assert [r[9] for r in rows] == [False, True]
    with client.scope(tenants.b, tenants.b1) as s:
        m = s.get(rows[0][0])
    expected = cogdb.HashEmbedder().embed(["How do I rotate logs?\nUse logrotate."])[0]
    assert np.allclose(m.embedding, expected), "embedded with the tenant model's embedder"


def test_rerun_adds_nothing(client, db, tenants, tmp_path):
    path = write(tmp_path, chatgpt_export())
    import_chat(client, tenants.b, tenants.b1, "chatgpt", path)
    again = import_chat(client, tenants.b, tenants.b1, "chatgpt", path)
    assert (again.imported, again.already_present, again.conflicts) == (0, 2, [])
    assert len(memories(db, tenants.b)) == 2


def test_claude_export_with_blocks_attachments_and_branches(client, db, tenants, tmp_path):
    report = import_chat(client, tenants.b, tenants.b1, "claude",
                         write(tmp_path, claude_export()))
    assert (report.conversations, report.empty_conversations, report.turns) == (3, 1, 4)
    assert dict(report.skipped) == {
        "tool_use blocks": 1, "non-text parts (images, files)": 1, "empty messages": 1,
        "messages on other branches (edits, regenerations)": 1}
    rows = memories(db, tenants.b)
    assert {r[5] for r in rows} == {"claude_export"} and len(rows) == 4
    by_conv = {(r[1], r[2]): r for r in rows}
    assert by_conv[("k-rls", 0)][3:5] == ("What is RLS?", "Row-level security filters rows.")
    assert by_conv[("k-rls", 1)][3:5] == ("Summarise this file", "It says RLS is on.")
    assert by_conv[("k-branch", 0)][3:5] == ("First try", "Old answer")
    assert by_conv[("k-branch", 1)][3:5] == ("Edited question", "New answer")
    assert by_conv[("k-branch", 1)][6] == datetime(2024, 12, 4, 10, 1, tzinfo=UTC), (
        "naive timestamps are UTC")
    again = import_chat(client, tenants.b, tenants.b1, "claude",
                        write(tmp_path, claude_export()))
    assert again.imported == 0 and again.already_present == report.imported


def test_toggle_off_refuses_before_and_in_the_database(client, admin, db, tenants, tmp_path):
    path = write(tmp_path, chatgpt_export())
    with pytest.raises(cogdb.FeatureDisabled) as info:  # tenant A is enterprise
        import_chat(client, tenants.a, tenants.a1, "chatgpt", path)
    assert "enterprise memory is built from the assistant's own conversations" in str(info.value)
    assert memories(db, tenants.a) == []
    admin.set_tenant_setting(tenants.a, "features.chat_import", True)
    assert import_chat(client, tenants.a, tenants.a1, "chatgpt", path).imported == 2


def test_cli(db, tenants, tmp_path):
    path = write(tmp_path, claude_export())
    args = ["import", "chat", "--tenant", str(tenants.b), "--user", str(tenants.b1),
            "--provider", "claude", path]
    ok = cli(db, *args)
    assert ok.exit_code == 0, ok.output
    assert "turns (memories)" in ok.output and "skipped: empty messages" in ok.output
    again = cli(db, *args, "--json")
    assert json.loads(again.stdout)["already_present"] == 4
    refused = cli(db, "import", "chat", "--tenant", str(tenants.a), "--user", str(tenants.a1),
                  "--provider", "claude", path)
    assert refused.exit_code == 1 and "chat import is disabled" in refused.output
    assert "Traceback" not in refused.output
    wrong = cli(db, "import", "chat", "--tenant", str(tenants.b), "--user", str(tenants.a1),
                "--provider", "claude", path)
    assert wrong.exit_code == 1 and "does not belong to tenant" in wrong.output
