"""``cogdb session|event|context|offload``: sessions, the event stream, working context and
offloaded contexts, one command per SQL function, in one scope as the app login."""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from ..api.client import Scope, connect
from ..api.search import MAX_K
from ..api.sessions import DEFAULT_PAGE
from ..db.errors import InvalidInput, NotFound
from .common import cli_errors, emit_json, scoped, short

#: Seconds between two polls of `cogdb event list --follow`.
FOLLOW_EVERY = 1.0


@contextmanager
def _scope(tenant_id: str, user_id: str | None) -> Iterator[Scope]:
    """One scope as the app login (one connection), errors reported the CLI's way."""
    with cli_errors(), connect(pool_size=1) as client, client.scope(tenant_id, user_id) as s:
        yield s


def _json_arg(value: str | None, option: str, *, strings: bool = False) -> Any:
    """``value`` parsed as JSON; with ``strings``, text that is not JSON is a string."""
    if value is None:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        if strings:
            return value
        raise InvalidInput(f"{option} is not JSON: {exc.msg}", field=option.lstrip("-"),
                           hint=f"""e.g. {option} '{{"text": "hello"}}'""") from None


def _when(value: str | None, option: str) -> datetime | None:
    """An ISO 8601 time (UTC when it has no offset)."""
    if value is None:
        return None
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{option} is not an ISO 8601 time: {value!r}", field=option[2:],
                           hint="e.g. 2026-12-01T09:30:00+00:00 (UTC when no offset).") from None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts


def _cursor(value: str | None, option: str, parse) -> tuple[Any, str] | None:
    """A cursor A,B as printed after a full page."""
    if value is None:
        return None
    first, sep, second = value.partition(",")
    try:
        parsed = parse(first)
    except ValueError:
        sep = ""
    if not sep or not second:
        raise InvalidInput(f"{option} must be the A,B printed after the previous page, got "
                           f"{value!r}", field=option[2:],
                           hint="Copy it from the previous page's last line.")
    return parsed, second


def _print_fields(data: dict[str, Any]) -> None:
    for key, value in data.items():
        if value not in (None, [], {}):
            shown = json.dumps(value) if isinstance(value, (list, dict)) else value
            click.echo(f"{key:<18} {shown}")


def _stamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


# ============================================================================ session

@click.group("session")
def session_group() -> None:
    """Sessions: start, end, show, list; their memories; the sessions where X came up."""


@session_group.command("start")
@scoped
@click.option("--mode", help="A conversation_mode value (chat, task, debug, …).")
@click.option("--agent", help="The agent that runs the session.")
@click.option("--parent", help="The session this one continues (id).")
@click.option("--metadata", help='A JSON object, e.g. \'{"channel": "slack"}\'.')
@click.option("--visibility", type=click.Choice(["private", "tenant"]),
              help="Default: private to --user (tenant without one).")
def session_start(tenant_id: str, user_id: str | None, as_json: bool, mode: str | None,
                  agent: str | None, parent: str | None, metadata: str | None,
                  visibility: str | None) -> None:
    """Start a session and print its id (cogdb.start_session)."""
    with cli_errors():
        meta = _json_arg(metadata, "--metadata")
    with _scope(tenant_id, user_id) as s:
        sid = s.start_session(mode=mode, agent=agent, parent=parent, metadata=meta,
                              visibility=visibility)
    if as_json:
        emit_json({"id": sid})
    else:
        click.echo(sid)


@session_group.command("end")
@scoped
@click.argument("session_id")
def session_end(tenant_id: str, user_id: str | None, as_json: bool, session_id: str) -> None:
    """End SESSION_ID: it takes no more events (cogdb.end_session)."""
    with _scope(tenant_id, user_id) as s:
        ended = s.end_session(session_id)
    if as_json:
        emit_json({"id": session_id, "ended_at": ended})
    else:
        click.echo(f"ended {ended.isoformat()}")


@session_group.command("show")
@scoped
@click.argument("session_id")
def session_show(tenant_id: str, user_id: str | None, as_json: bool, session_id: str) -> None:
    """Show SESSION_ID with its event count (cogdb.get_session)."""
    with _scope(tenant_id, user_id) as s:
        session = s.get_session(session_id)
    if as_json:
        emit_json(asdict(session) if session else None)
    elif session is None:
        click.echo("no such session (or not visible to this scope)")
    else:
        _print_fields(asdict(session))
    if session is None:
        sys.exit(1)


@session_group.command("list")
@scoped
@click.option("-n", "--limit", "page_size", default=20, show_default=True,
              type=click.IntRange(1, 1000), help="How many (newest first).")
@click.option("--cursor", help="Continue after this STARTED_AT,ID (printed after a full page).")
@click.option("--owner", help="Only sessions of this user id.")
@click.option("--mode", help="Only this mode.")
@click.option("--agent", help="Only this agent.")
@click.option("--parent", help="Only sessions continuing this one.")
@click.option("--open", "only_open", is_flag=True, help="Only sessions not ended.")
def session_list(tenant_id: str, user_id: str | None, as_json: bool, page_size: int,
                 cursor: str | None, owner: str | None, mode: str | None, agent: str | None,
                 parent: str | None, only_open: bool) -> None:
    """List the sessions the tenant (and user) may see, newest first (cogdb.list_sessions)."""
    with cli_errors():
        before = _cursor(cursor, "--cursor", datetime.fromisoformat)
    with _scope(tenant_id, user_id) as s:
        rows = s.list_sessions(page_size, before=before, owner=owner, mode=mode, agent=agent,
                               parent=parent, only_open=only_open)
    next_cursor = (f"{rows[-1].started_at.isoformat()},{rows[-1].id}"
                   if len(rows) == page_size else None)
    if as_json:
        emit_json({"sessions": [asdict(r) for r in rows], "next_cursor": next_cursor})
        return
    if not rows:
        click.echo("no sessions")
        return
    click.echo(f"{'id':<36}  {'started':<19}  {'ended':<19}  {'vis':<7}  {'events':>6}  mode/agent")
    for r in rows:
        click.echo(f"{r.id!s:<36}  {_stamp(r.started_at):<19}  {_stamp(r.ended_at):<19}  "
                   f"{r.visibility:<7}  {r.event_count:>6}  {r.mode or '-'}/{r.agent or '-'}")
    if next_cursor:
        click.echo(f"more: cogdb session list --tenant {tenant_id} --cursor '{next_cursor}' …")


@session_group.command("memories")
@scoped
@click.argument("session_id")
@click.option("-n", "--limit", "page_size", default=DEFAULT_PAGE, show_default=True,
              type=click.IntRange(1, 1000), help="How many (oldest first).")
@click.option("--cursor", help="Continue after this CREATED_AT,ID (printed after a full page).")
def session_memories(tenant_id: str, user_id: str | None, as_json: bool, session_id: str,
                     page_size: int, cursor: str | None) -> None:
    """What was remembered in SESSION_ID, oldest first (cogdb.session_memories)."""
    with cli_errors():
        after = _cursor(cursor, "--cursor", datetime.fromisoformat)
    with _scope(tenant_id, user_id) as s:
        rows = s.session_memories(session_id, page_size, after=after)
    next_cursor = (f"{rows[-1].created_at.isoformat()},{rows[-1].id}"
                   if len(rows) == page_size else None)
    if as_json:
        emit_json({"memories": [{k: v for k, v in vars(m).items() if k != "embedding"}
                                for m in rows], "next_cursor": next_cursor})
        return
    if not rows:
        click.echo("no memories in this session (or it is not visible to this scope)")
        return
    for m in rows:
        click.echo(f"{m.id:<36}  {_stamp(m.created_at)}  "
                   f"{short(f'{m.human_content} → {m.assistant_content}', 60)}")
    if next_cursor:
        click.echo(f"more: … --cursor '{next_cursor}'")


@session_group.command("search")
@scoped
@click.argument("words", nargs=-1, required=True)
@click.option("-k", "k", default=10, show_default=True, type=click.IntRange(1, 1000),
              help="How many sessions.")
@click.option("--candidates", default=200, show_default=True, type=click.IntRange(1, MAX_K),
              help="How many nearest memories to group by session.")
@click.option("--model", help="Embedding model (default: the tenant's).")
def session_search(tenant_id: str, user_id: str | None, as_json: bool, words: tuple[str, ...],
                   k: int, candidates: int, model: str | None) -> None:
    """The sessions where WORDS came up, best first (cogdb.search_sessions)."""
    with _scope(tenant_id, user_id) as s:
        hits = s.search_sessions(" ".join(words), k, model=model, candidates=candidates)
    if as_json:
        emit_json([asdict(h) for h in hits])
        return
    if not hits:
        click.echo("no sessions found")
        return
    click.echo(f"{'similarity':>10}  {'session':<36}  {'matches':>7}  {'started':<19}  best memory")
    for h in hits:
        click.echo(f"{h.similarity:>10.3f}  {h.session_id!s:<36}  {h.matches:>7}  "
                   f"{_stamp(h.started_at):<19}  {h.best_memory_id}")


# ============================================================================ event

@click.group("event")
def event_group() -> None:
    """The event stream: append, list (by cursor or time, or --follow), chain."""


@event_group.command("append")
@scoped
@click.argument("session_id")
@click.argument("event_type")
@click.option("--payload", help='A JSON payload, e.g. \'{"text": "hello"}\'.')
@click.option("--source", help="The agent (or user) it comes from.")
@click.option("--target", help="The agent it is for.")
@click.option("--parent", help="The event it follows from (id).")
@click.option("--id", "event_id", help="The event's id (a UUID): a retry with it is refused, "
                                       "not doubled.")
def event_append(tenant_id: str, user_id: str | None, as_json: bool, session_id: str,
                 event_type: str, payload: str | None, source: str | None,
                 target: str | None, parent: str | None, event_id: str | None) -> None:
    """Append an event of EVENT_TYPE to SESSION_ID; prints its seq and id
    (cogdb.append_event)."""
    with cli_errors():
        body = _json_arg(payload, "--payload")
    with _scope(tenant_id, user_id) as s:
        e = s.append_event(session_id, event_type, body, source=source, target=target,
                           parent=parent, event_id=event_id)
    if as_json:
        emit_json(asdict(e))
    else:
        click.echo(f"{e.seq} {e.id}")


def _print_events(rows) -> None:
    for e in rows:
        route = f"{e.source_agent or '-'} → {e.target_agent or '-'}"
        click.echo(f"{e.seq:>6}  {_stamp(e.created_at)}  {e.event_type:<20}  {route:<24}  "
                   f"{short(json.dumps(e.payload, ensure_ascii=False), 50)}")


@event_group.command("list")
@scoped
@click.argument("session_id")
@click.option("--after", "after_seq", default=0, show_default=True, type=click.IntRange(0),
              help="Only events after this seq (the last one seen).")
@click.option("-n", "--limit", "page_size", default=DEFAULT_PAGE, show_default=True,
              type=click.IntRange(1, 1000), help="How many.")
@click.option("--since", help="Only events at or after this time (ISO 8601; UTC by default).")
@click.option("--until", help="Only events before this time.")
@click.option("--type", "event_type", help="Only events of this type.")
@click.option("--follow", is_flag=True,
              help="Keep polling for new events (by cursor) until the session ends or Ctrl-C.")
def event_list(tenant_id: str, user_id: str | None, as_json: bool, session_id: str,
               after_seq: int, page_size: int, since: str | None, until: str | None,
               event_type: str | None, follow: bool) -> None:
    """A session's events in seq order (cogdb.list_events). With --json, one object with the
    events and the next cursor; with --follow --json, one event per line."""
    with cli_errors():
        since_at, until_at = _when(since, "--since"), _when(until, "--until")
    if follow:
        _follow(tenant_id, user_id, as_json, session_id, after_seq, event_type)
        return
    with _scope(tenant_id, user_id) as s:
        rows = s.list_events(session_id, after_seq, page_size, since=since_at, until=until_at,
                             event_type=event_type)
    next_after = rows[-1].seq if len(rows) == page_size else None
    if as_json:
        emit_json({"events": [asdict(e) for e in rows], "next_after": next_after})
        return
    if not rows:
        click.echo("no events")
        return
    _print_events(rows)
    if next_after is not None:
        click.echo(f"more: cogdb event list {session_id} --after {next_after} …")


def _follow(tenant_id: str, user_id: str | None, as_json: bool, session_id: str,
            after_seq: int, event_type: str | None) -> None:
    """Poll by cursor: each poll is one short scope (no transaction stays open between
    polls). There is no LISTEN/NOTIFY feed: docs/architecture.md says why."""
    with cli_errors(), connect(pool_size=1) as client:
        while True:
            with client.scope(tenant_id, user_id) as s:
                rows = s.list_events(session_id, after_seq, 1000, event_type=event_type)
                session = s.get_session(session_id) if not rows else None
            for e in rows:
                if as_json:
                    click.echo(json.dumps(asdict(e), default=str, ensure_ascii=False))
                else:
                    _print_events([e])
            if rows:
                after_seq = rows[-1].seq
                continue
            if session is None:
                raise NotFound(f"no session {session_id}", field="session_id",
                               hint="Sessions of other tenants, and other users' private "
                                    "sessions, do not exist here.")
            if session.ended_at is not None:
                return
            time.sleep(FOLLOW_EVERY)


@event_group.command("chain")
@scoped
@click.argument("event_id")
@click.option("--max-depth", default=1000, show_default=True, type=click.IntRange(0, 100000))
def event_chain(tenant_id: str, user_id: str | None, as_json: bool, event_id: str,
                max_depth: int) -> None:
    """EVENT_ID and the events it follows from, back to the root (cogdb.event_chain)."""
    with _scope(tenant_id, user_id) as s:
        rows = s.event_chain(event_id, max_depth)
    if as_json:
        emit_json([asdict(e) for e in rows])
        return
    if not rows:
        click.echo("no such event (or not visible to this scope)")
        sys.exit(1)
    for depth, e in enumerate(rows):
        click.echo(f"{'  ' * depth}{e.event_type} #{e.seq} ({e.source_agent or '-'}) {e.id} "
                   f"in {e.session_id}")


# ============================================================================ context

def _namespace(fn):
    for decorator in reversed([
        click.option("--session", help="The session the entry belongs to (id)."),
        click.option("--agent", help="The agent the entry belongs to."),
    ]):
        fn = decorator(fn)
    return fn


def _tier_option(fn):
    return click.option("--private", "private", is_flag=True,
                        help="The private tier (--user's own); default: shared.")(fn)


@click.group("context")
def context_group() -> None:
    """Working context: versioned key/value entries of a session or agent, written by
    compare-and-set (name the version you read; 0 creates)."""


def _entry_json(e) -> dict[str, Any]:
    return asdict(e)


@context_group.command("get")
@scoped
@click.argument("key")
@_namespace
@_tier_option
def context_get(tenant_id: str, user_id: str | None, as_json: bool, key: str,
                session: str | None, agent: str | None, private: bool) -> None:
    """Show entry KEY with its version (cogdb.get_working_entry)."""
    with _scope(tenant_id, user_id) as s:
        entry = s.get_working_entry(key, session=session, agent=agent,
                                    tier="private" if private else "shared")
    if as_json:
        emit_json(_entry_json(entry) if entry else None)
    elif entry is None:
        click.echo("no such entry (or expired, or not visible to this scope)")
    else:
        click.echo(f"version {entry.version}: {json.dumps(entry.value, ensure_ascii=False)}")
    if entry is None:
        sys.exit(1)


@context_group.command("set")
@scoped
@click.argument("key")
@click.argument("value")
@click.option("--version", "expected_version", required=True, type=click.IntRange(0),
              help="The version you read (0: create a new entry).")
@_namespace
@_tier_option
@click.option("--ttl", type=click.FloatRange(min=0, min_open=True, max=100 * 365 * 86400),
              help="Expire after this many seconds (at most 100 years).")
def context_set(tenant_id: str, user_id: str | None, as_json: bool, key: str, value: str,
                expected_version: int, session: str | None, agent: str | None, private: bool,
                ttl: float | None) -> None:
    """Set KEY to VALUE (JSON, else a string) if it is still at --version; prints the new
    version (cogdb.set_working_entry). A stale version fails with the current one."""
    parsed = _json_arg(value, "VALUE", strings=True)
    expires = datetime.now(UTC) + timedelta(seconds=ttl) if ttl else None
    with _scope(tenant_id, user_id) as s:
        version = s.set_working_entry(key, parsed, expected_version, session=session,
                                      agent=agent, tier="private" if private else "shared",
                                      expires_at=expires)
    if as_json:
        emit_json({"key": key, "version": version})
    else:
        click.echo(version)


@context_group.command("delete")
@scoped
@click.argument("key")
@click.option("--version", "expected_version", required=True, type=click.IntRange(1),
              help="The version you read.")
@_namespace
@_tier_option
def context_delete(tenant_id: str, user_id: str | None, as_json: bool, key: str,
                   expected_version: int, session: str | None, agent: str | None,
                   private: bool) -> None:
    """Delete KEY if it is still at --version (cogdb.delete_working_entry)."""
    with _scope(tenant_id, user_id) as s:
        s.delete_working_entry(key, expected_version, session=session, agent=agent,
                               tier="private" if private else "shared")
    if as_json:
        emit_json({"key": key, "deleted": True})
    else:
        click.echo("deleted")


@context_group.command("list")
@scoped
@_namespace
@click.option("--tier", type=click.Choice(["private", "shared"]), help="Default: both.")
@click.option("--prefix", "key_prefix", help="Only keys starting with this.")
@click.option("-n", "--limit", "page_size", default=DEFAULT_PAGE, show_default=True,
              type=click.IntRange(1, 1000))
@click.option("--cursor", help="Continue after this KEY,TIER (printed after a full page).")
def context_list(tenant_id: str, user_id: str | None, as_json: bool, session: str | None,
                 agent: str | None, tier: str | None, key_prefix: str | None, page_size: int,
                 cursor: str | None) -> None:
    """The live entries of one namespace (--session, --agent; none: the tenant's), by key
    (cogdb.list_working_entries)."""
    with cli_errors():
        after = None
        if cursor is not None:
            key, sep, cur_tier = cursor.rpartition(",")
            if not sep or cur_tier not in ("private", "shared"):
                raise InvalidInput(f"--cursor must be KEY,TIER, got {cursor!r}", field="cursor",
                                   hint="Copy it from the previous page's last line.")
            after = (key, cur_tier)
    with _scope(tenant_id, user_id) as s:
        rows = s.list_working_entries(session=session, agent=agent, tier=tier,
                                      key_prefix=key_prefix, page_size=page_size, after=after)
    next_cursor = f"{rows[-1].key},{rows[-1].tier}" if len(rows) == page_size else None
    if as_json:
        emit_json({"entries": [_entry_json(e) for e in rows], "next_cursor": next_cursor})
        return
    if not rows:
        click.echo("no entries")
        return
    for e in rows:
        expiry = f"  (expires {_stamp(e.expires_at)})" if e.expires_at else ""
        click.echo(f"{e.key:<30}  {e.tier:<7}  v{e.version:<5}  "
                   f"{short(json.dumps(e.value, ensure_ascii=False), 50)}{expiry}")
    if next_cursor:
        click.echo(f"more: … --cursor '{next_cursor}'")


# ============================================================================ offload

@click.group("offload")
def offload_group() -> None:
    """Offloaded contexts: large texts kept whole and compressed, found by similarity."""


@offload_group.command("put")
@scoped
@click.argument("file", default="-")
@click.option("--summary", help="What it is about: embedded for search (else the text is).")
@click.option("--session", help="The session it belongs to (id).")
@click.option("--private", is_flag=True, help="Visible to --user only (default: the tenant).")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for several.")
@click.option("--model", help="Embedding model (default: the tenant's).")
def offload_put(tenant_id: str, user_id: str | None, as_json: bool, file: str,
                summary: str | None, session: str | None, private: bool,
                tags: tuple[str, ...], model: str | None) -> None:
    """Offload the text of FILE (- or nothing: standard input); prints its id
    (cogdb.offload_context)."""
    with cli_errors():
        try:
            content = sys.stdin.read() if file == "-" else Path(file).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise InvalidInput(f"cannot read {file}: {why}", field="file",
                               hint="Pass a readable UTF-8 text file, or - for standard "
                                    "input.") from None
    with _scope(tenant_id, user_id) as s:
        oid = s.offload_context(content, summary=summary, session=session, private=private,
                                model=model, tags=list(tags) or None)
    if as_json:
        emit_json({"id": oid})
    else:
        click.echo(oid)


@offload_group.command("get")
@scoped
@click.argument("offload_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the text to this file instead of standard output.")
def offload_get(tenant_id: str, user_id: str | None, as_json: bool, offload_id: str,
                output: str | None) -> None:
    """Print the text of OFFLOAD_ID; its sizes and compression ratio go to stderr
    (cogdb.get_offloaded)."""
    with _scope(tenant_id, user_id) as s:
        got = s.get_offloaded(offload_id)
    if got is None:
        if as_json:
            emit_json(None)
        else:
            click.echo("no such offloaded context (or not visible to this scope)", err=True)
        sys.exit(1)
    if as_json:
        emit_json(asdict(got))
        return
    if output:
        with cli_errors():
            Path(output).write_text(got.content, encoding="utf-8")
    else:
        click.echo(got.content, nl=not got.content.endswith("\n"))
    click.echo(f"{got.original_bytes:,} bytes, {got.stored_bytes:,} stored "
               f"(ratio {got.compression_ratio:.2f})", err=True)


@offload_group.command("search")
@scoped
@click.argument("words", nargs=-1, required=True)
@click.option("-k", "k", default=10, show_default=True, type=click.IntRange(1, MAX_K))
@click.option("--model", help="Embedding model (default: the tenant's).")
def offload_search(tenant_id: str, user_id: str | None, as_json: bool, words: tuple[str, ...],
                   k: int, model: str | None) -> None:
    """The offloaded contexts nearest to WORDS (cogdb.search_offloaded)."""
    with _scope(tenant_id, user_id) as s:
        hits = s.search_offloaded(" ".join(words), k, model=model)
    if as_json:
        emit_json([asdict(h) for h in hits])
        return
    if not hits:
        click.echo("no offloaded contexts found")
        return
    click.echo(f"{'similarity':>10}  {'id':<36}  {'bytes':>10}  {'ratio':>6}  summary")
    for h in hits:
        click.echo(f"{h.similarity:>10.3f}  {h.id:<36}  {h.original_bytes:>10,}  "
                   f"{h.compression_ratio:>6.2f}  {short(h.summary or h.preview, 40)}")
