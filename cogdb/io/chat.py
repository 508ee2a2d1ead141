"""Chat exports of ChatGPT and Claude as question/answer memories.

- ChatGPT ``conversations.json``: a list of conversations, each a message tree (``mapping``
  of nodes with ``parent``/``children``). Edits and regenerations are branches; the one the
  user last saw ends at ``current_node``, and only that branch is imported.
- Claude ``conversations.json``: a list of conversations with ``chat_messages`` (sender
  ``human``/``assistant``, text in ``content`` blocks or ``text``). Messages that carry
  ``parent_message_uuid`` are followed from the last message back, like ChatGPT's branch.

Only user and assistant text is kept: system and tool messages, tool calls, non-text parts
(images, files, tool results) and empty messages are skipped and counted. A turn is a user
message and the assistant messages that answer it; it becomes one memory with the
conversation id, its position (``sequence_index``), the user message's time, source
``chatgpt_export``/``claude_export`` and a deterministic id from (provider, conversation,
first message), so a re-run adds nothing. Memories are embedded with the client's embedder
and written like ``cogdb import nodes`` does (:mod:`cogdb.io.loader`: staged, under RLS,
one transaction per batch). The database refuses them where the tenant's
``features.chat_import`` is off.
"""
from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..api.fields import BY_NAME, CHAT_EXPORT_SOURCES
from ..config import CHAT_BATCH_SIZE
from ..db.errors import FeatureDisabled, ImportAborted, InvalidInput
from ..embedders import Embedder
from .jsonstream import iter_json_array
from .loader import Progress, flush_wal, preflight, write_batch
from .records import (
    CHAT_IMPORT_DISABLED,
    BadValue,
    Context,
    copy_payload,
    encode_record,
    parse_timestamp,
)

MAX_TEXT = BY_NAME["human_content"].max_length  # and assistant_content's
MAX_CONVERSATION_ID = BY_NAME["conversation_id"].max_length


@dataclass
class Message:
    id: str
    role: str  # "user" or "assistant"
    text: str
    created: datetime | None


@dataclass
class ChatReport:
    provider: str
    conversations: int = 0
    empty_conversations: int = 0
    messages: int = 0
    turns: int = 0
    imported: int = 0
    already_present: int = 0
    conflicts: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"provider": self.provider, "conversations": self.conversations,
                "empty_conversations": self.empty_conversations, "messages": self.messages,
                "turns": self.turns, "imported": self.imported,
                "already_present": self.already_present, "conflicts": self.conflicts,
                "skipped": dict(sorted(self.skipped.items())),
                "seconds": round(self.seconds, 3)}

    def lines(self) -> list[tuple[str, str]]:
        out = [("conversations", f"{self.conversations:,}"),
               ("empty conversations", f"{self.empty_conversations:,}"),
               ("messages kept", f"{self.messages:,}"),
               ("turns (memories)", f"{self.turns:,}"),
               ("imported", f"{self.imported:,}"),
               ("already present", f"{self.already_present:,}"),
               ("conflicts", f"{len(self.conflicts):,}"
                + (f" ({', '.join(self.conflicts[:10])})" if self.conflicts else ""))]
        out += [(f"skipped: {k}", f"{v:,}") for k, v in sorted(self.skipped.items())]
        out.append(("time", f"{self.seconds:.2f} s"))
        return out


def _time(value: Any) -> datetime | None:
    """Epoch seconds (ChatGPT) or ISO 8601 (Claude) as UTC; None when absent or unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            return parse_timestamp(value)
        except BadValue:
            return None
    return None


def _clean(text: str, skipped: Counter[str]) -> str:
    """Text PostgreSQL can store: NUL bytes dropped, lone surrogates replaced (counted)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
        skipped["NUL bytes removed (messages)"] += 1
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
        skipped["lone surrogates replaced (messages)"] += 1
    return text.strip()


# --------------------------------------------------------------------------- ChatGPT

def _chatgpt_branch(conv: dict[str, Any], mapping: dict[str, Any],
                    skipped: Counter[str]) -> list[dict[str, Any]]:
    """The nodes from the root to current_node, in order; messages elsewhere are counted."""
    node_id = conv.get("current_node")
    if node_id not in mapping:  # no current node: the newest leaf is what the user saw last
        leaves = [k for k, n in mapping.items() if isinstance(n, dict) and not n.get("children")]
        node_id = max(leaves, key=lambda k: (mapping[k].get("message") or {}).get(
            "create_time") or 0, default=None)
    branch: list[dict[str, Any]] = []
    seen: set[str] = set()
    while node_id is not None and node_id in mapping and node_id not in seen:
        seen.add(node_id)
        node = mapping[node_id]
        branch.append(node)
        node_id = node.get("parent")
    off_branch = sum(1 for n in mapping.values()
                     if isinstance(n, dict) and n.get("message")) - sum(
        1 for n in branch if n.get("message"))
    if off_branch > 0:
        skipped["messages on other branches (edits, regenerations)"] += off_branch
    return branch[::-1]


def _chatgpt_text(msg: dict[str, Any], skipped: Counter[str]) -> tuple[str, str] | None:
    """(role, text) of a user or assistant text message; None (counted) for anything else."""
    role = (msg.get("author") or {}).get("role")
    if role in ("system", "tool"):
        skipped[f"{role} messages"] += 1
        return None
    if role not in ("user", "assistant"):
        skipped["messages of other roles"] += 1
        return None
    if msg.get("recipient", "all") != "all":
        skipped["tool calls"] += 1
        return None
    meta = msg.get("metadata") or {}
    if meta.get("is_visually_hidden_from_conversation"):
        skipped["hidden messages"] += 1
        return None
    content = msg.get("content") or {}
    ctype = content.get("content_type", "text")
    if ctype not in ("text", "multimodal_text"):
        skipped["non-text messages"] += 1
        return None
    texts = []
    for part in content.get("parts") or []:
        if isinstance(part, str):
            texts.append(part)
        else:
            skipped["non-text parts (images, files)"] += 1
    text = _clean("\n".join(t for t in texts if t.strip()), skipped)
    if not text:
        skipped["empty messages"] += 1
        return None
    return role, text


def chatgpt_messages(conv: dict[str, Any], skipped: Counter[str]) -> Iterator[Message]:
    """The user/assistant text messages on the branch that ends at current_node."""
    mapping = conv.get("mapping") or {}
    if not isinstance(mapping, dict):
        skipped["malformed conversations"] += 1
        return
    for node in _chatgpt_branch(conv, mapping, skipped):
        msg = node.get("message")
        if not isinstance(msg, dict):
            continue
        kept = _chatgpt_text(msg, skipped)
        if kept is not None:
            role, text = kept
            yield Message(str(msg.get("id") or node.get("id")), role, text,
                          _time(msg.get("create_time")))


# --------------------------------------------------------------------------- Claude

def claude_messages(conv: dict[str, Any], skipped: Counter[str]) -> Iterator[Message]:
    """The human/assistant text messages, along the parent chain when the export has one."""
    msgs = [m for m in conv.get("chat_messages") or [] if isinstance(m, dict)]
    by_id = {m.get("uuid"): m for m in msgs}
    if msgs and any("parent_message_uuid" in m for m in msgs):
        chain, node, seen = [], msgs[-1], set()
        while isinstance(node, dict) and node.get("uuid") not in seen:
            seen.add(node.get("uuid"))
            chain.append(node)
            node = by_id.get(node.get("parent_message_uuid"))
        if len(msgs) > len(chain):
            skipped["messages on other branches (edits, regenerations)"] += len(msgs) - len(chain)
        msgs = list(reversed(chain))
    for msg in msgs:
        sender = msg.get("sender")
        if sender not in ("human", "assistant"):
            skipped["messages of other roles"] += 1
            continue
        blocks = msg.get("content")
        if isinstance(blocks, list) and blocks:
            texts = []
            for block in blocks:
                if isinstance(block, dict) and block.get("type") == "text":
                    texts.append(block.get("text") or "")
                else:
                    skipped["non-text parts (images, files)"
                            if not isinstance(block, dict)
                            or block.get("type") in ("image", "file", "document")
                            else f"{block.get('type')} blocks"] += 1
            raw = "\n".join(t for t in texts if t.strip())
        else:
            raw = msg.get("text") or ""
        for _ in (msg.get("attachments") or []) + (msg.get("files") or []):
            skipped["non-text parts (images, files)"] += 1
        text = _clean(raw, skipped)
        if not text:
            skipped["empty messages"] += 1
            continue
        yield Message(str(msg.get("uuid")), "user" if sender == "human" else "assistant",
                      text, _time(msg.get("created_at")))


# --------------------------------------------------------------------------- which export

#: Items read from the start of a file to tell the providers' exports apart (and from other
#: JSON lists) before anything is written.
SNIFF_ITEMS = 20
_PROVIDER_NAMES = {"chatgpt": "ChatGPT", "claude": "Claude"}
#: What each provider's conversations carry, for the messages that refuse a file.
_SHAPES = {"chatgpt": "conversations with a 'mapping'",
           "claude": "conversations with 'chat_messages'"}


def _shape(item: Any) -> str | None:
    """Whose export an item of the list comes from: chatgpt, claude, nodes (a node store's
    record) or None (something else)."""
    if not isinstance(item, dict):
        return None
    if isinstance(item.get("mapping"), dict):
        return "chatgpt"
    if isinstance(item.get("chat_messages"), list):
        return "claude"
    if "human_content" in item or "assistant_content" in item:
        return "nodes"
    return None


def check_export(path: Path, provider: str) -> None:
    """Refuse a file that is not ``provider``'s export, judged by its first items: the other
    provider's export, a node store's nodes.json, a JSON list of something else, or JSON that
    is not a list. An empty list passes (it imports nothing)."""
    name = _PROVIDER_NAMES[provider]
    expected = f"{name}'s conversations.json, a list of {_SHAPES[provider]}"
    seen = 0
    for _, item in iter_json_array(path, what="conversations", hint=f"Pass {expected}."):
        shape = _shape(item)
        if shape == provider:
            return
        if shape == "nodes":
            raise ImportAborted(
                f"{path} looks like a node store's nodes.json (records with human_content), "
                f"not a chat export", field="provider",
                hint="Import it with `cogdb import nodes --data-dir DIR` (the folder that "
                     "holds corpus/nodes.json and vectors/nodes.npy).")
        if shape is not None:
            raise ImportAborted(
                f"{path} looks like a {_PROVIDER_NAMES[shape]} export ({_SHAPES[shape]}), "
                f"not a {name} one", field="provider", hint=f"Pass --provider {shape}.")
        seen += 1
        if seen >= SNIFF_ITEMS:
            break
    if seen:
        raise ImportAborted(f"{path} is not a {name} export: its first {seen} item(s) are not "
                            f"{_SHAPES[provider]}", field="provider", hint=f"Pass {expected}.")


# --------------------------------------------------------------------------- turns → records

def turns(messages: Iterator[Message]) -> Iterator[tuple[Message, str, str]]:
    """(first message, question, answer): a user message with the assistant messages that
    follow it; an answer without a question (or the reverse) is a turn of its own."""
    first: Message | None = None
    human: list[str] = []
    answer: list[str] = []
    for m in messages:
        if m.role == "user" and (answer or human):
            if first is not None:
                yield first, "\n\n".join(human), "\n\n".join(answer)
            first, human, answer = None, [], []
        if first is None:
            first = m
        (human if m.role == "user" else answer).append(m.text)
    if first is not None:
        yield first, "\n\n".join(human), "\n\n".join(answer)


def _counted(messages: Iterator[Message], report: ChatReport) -> Iterator[Message]:
    for m in messages:
        report.messages += 1
        yield m


def memory_id(provider: str, conversation: str, message: str) -> str:
    digest = hashlib.blake2b(f"{provider}\x1f{conversation}\x1f{message}".encode(),
                             digest_size=16).hexdigest()
    return f"{provider}_{digest}"


def records(path: Path, provider: str, report: ChatReport,
            visibility: str = "private") -> Iterator[dict[str, Any]]:
    """The memories of an export, one conversation at a time (streamed)."""
    source = CHAT_EXPORT_SOURCES[provider]
    read = chatgpt_messages if provider == "chatgpt" else claude_messages
    for _, conv in iter_json_array(path):
        report.conversations += 1
        if not isinstance(conv, dict):
            report.skipped["malformed conversations"] += 1
            continue
        conv_id = str(conv.get("conversation_id") or conv.get("id") or conv.get("uuid") or "")
        if not conv_id:
            report.skipped["conversations without an id"] += 1
            continue
        conv_time = _time(conv.get("create_time") or conv.get("created_at"))
        n = 0
        for first, human, answer in turns(_counted(read(conv, report.skipped), report)):
            for label, text in (("question", human), ("answer", answer)):
                if len(text) > MAX_TEXT:
                    report.skipped[f"{label}s truncated to {MAX_TEXT:,} characters"] += 1
            created = first.created or conv_time
            if created is None:  # deterministic, so a re-run still finds the same memory
                created = datetime(1970, 1, 1, tzinfo=UTC)
                report.skipped["turns without a time (1970-01-01 used)"] += 1
            yield {
                "id": memory_id(provider, conv_id, first.id),
                "conversation_id": conv_id[:MAX_CONVERSATION_ID], "sequence_index": n,
                "human_content": human[:MAX_TEXT], "assistant_content": answer[:MAX_TEXT],
                "source": source, "created_at": created.isoformat(),
                "context_type": "conversation", "visibility": visibility,
                "intent_type": "question" if human.rstrip().endswith("?") else None,
                "has_code": "```" in answer, "tags": [provider],
            }
            n += 1
        if n == 0:
            report.empty_conversations += 1
        report.turns += n


def _batches(recs: Iterator[dict[str, Any]], batch_size: int,
             report: ChatReport) -> Iterator[list[dict[str, Any]]]:
    """The records in batches, each id once (one conversation can be in a file twice)."""
    batch: list[dict[str, Any]] = []
    seen: set[str] = set()
    for rec in recs:
        if rec["id"] in seen:
            report.skipped["duplicate turns in the file"] += 1
            continue
        seen.add(rec["id"])
        batch.append(rec)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _write_turns(client: Any, tenant: Any, user: Any, ctx: Context, embedder: Embedder,
                 batch: list[dict[str, Any]], report: ChatReport) -> bool:
    """Embed one batch of turns and write it in one transaction; False when none was valid."""
    rows = []
    for rec in batch:
        row, problems, _ = encode_record(rec, ctx)
        if problems:  # built here, so only text the database would refuse gets here
            report.skipped["turns the database would refuse"] += 1
            continue
        rows.append((rec, row))
    if not rows:
        return False
    vectors = embedder.embed([f"{r['human_content']}\n{r['assistant_content']}"
                              for r, _ in rows])
    payload = copy_payload([row for _, row in rows], vectors)
    result = write_batch(client, tenant, user, embedder.model, payload, len(rows),
                         update=False)
    report.imported += result.inserted
    report.already_present += result.same
    report.conflicts.extend(result.conflicts)
    return True


def import_chat(client: Any, tenant: Any, user: Any, provider: str, path: Path | str, *,
                batch_size: int = CHAT_BATCH_SIZE, visibility: str = "private",
                progress: Progress | None = None) -> ChatReport:
    """Import a ChatGPT or Claude conversations.json for ``user`` of ``tenant``."""
    if provider not in CHAT_EXPORT_SOURCES:
        raise InvalidInput(f"provider must be one of {', '.join(CHAT_EXPORT_SOURCES)}",
                           field="provider")
    if user is None:
        raise InvalidInput("a chat export belongs to a user: pass --user", field="user")
    check_export(Path(path), provider)  # the wrong file is refused before anything is written
    started = time.perf_counter()
    report = ChatReport(provider)
    own = client.embedder  # else the tenant's default model, with the registry's embedder
    model, dims, ctx = preflight(client, tenant, user, own.model if own else None)
    embedder = own or client.embedder_for(model, dims, ctx.embedder)
    if not ctx.chat_import:
        raise FeatureDisabled(CHAT_IMPORT_DISABLED, field="source", hint=(
            "An admin can allow it: cogdb tenant set <tenant> features.chat_import=true."))
    if dims != embedder.dimensions:
        raise InvalidInput(f"the embedder makes {embedder.dimensions}-d vectors; model "
                           f"{embedder.model!r} is registered with {dims}", field="model")
    for batch in _batches(records(Path(path), provider, report, visibility), batch_size, report):
        if _write_turns(client, tenant, user, ctx, embedder, batch, report) and progress:
            progress(report.imported + report.already_present, report.turns)
    report.conflicts.sort()
    if report.turns:  # the batches committed asynchronously: wait for them to reach disk
        flush_wal(client, tenant, user)
    report.seconds = time.perf_counter() - started
    return report
