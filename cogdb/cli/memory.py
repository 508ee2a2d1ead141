"""``cogdb remember|get|list|search|forget``: one memory operation in one scope, as the app
login (``search --hybrid`` fuses full text and vectors over memories and entities)."""
from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from ..api.client import Scope, connect
from ..api.knowledge import DEFAULT_RRF_K, HybridHit
from ..api.memories import Memory
from ..api.search import DEFAULT_K, MAX_K, SearchHit
from ..db.errors import InvalidInput
from .common import cli_errors, emit_json, replica_option, scoped, short

F = TypeVar("F", bound=Callable[..., Any])
#: Memories `cogdb list` shows unless told.
DEFAULT_PAGE = 20


@contextmanager
def _scope(tenant_id: str, user_id: str | None, *, replicas: tuple[str, ...] = (),
           read: bool = False) -> Iterator[Scope]:
    """One scope as the app login (one connection), errors reported the CLI's way. ``read``:
    a read-only scope, on a replica (--replica, else COGDB_REPLICA_URLS) when there is one."""
    with cli_errors(), connect(pool_size=1, replicas=list(replicas) or None) as client, \
            client.scope(tenant_id, user_id, read_only=read and bool(client.replicas)) as s:
        yield s



def _json_object(value: str | None, option: str) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{option} is not JSON: {exc.msg}", field=option.lstrip("-"),
                           hint=f"""e.g. {option} '{{"customer": "acme"}}'""") from None
    if not isinstance(parsed, dict):
        raise InvalidInput(f"{option} must be a JSON object", field=option.lstrip("-"),
                           hint=f"""e.g. {option} '{{"customer": "acme"}}'""")
    return parsed


def filter_options(fn: F) -> F:
    """The filters search and list share (the SQL functions' filters)."""
    for decorator in reversed([
        click.option("--tag", "tags_any", multiple=True,
                     help="Only memories with this tag (a list's tag or an object's key); "
                          "repeat for any of several."),
        click.option("--conversation", help="Only this conversation id."),
        click.option("--source", help="Only this source (e.g. assistant, import)."),
        click.option("--context-type", help="Only this context type (e.g. fact, note)."),
        click.option("--after", "created_after", type=click.DateTime(),
                     help="Only memories created at or after this time (UTC)."),
        click.option("--before", "created_before", type=click.DateTime(),
                     help="Only memories created before this time (UTC)."),
        click.option("--owner", help="Only memories owned by this user id."),
        click.option("--visibility", type=click.Choice(["private", "tenant"]),
                     help="Only private or only tenant-wide memories."),
        click.option("--where", "metadata_filter",
                     help='Metadata filter as JSON, e.g. \'{"priority": {"$gte": 2}}\' '
                          "($eq $ne $gt $gte $lt $lte $in $nin on top-level keys)."),
        click.option("--model", help="Embedding model (default: the tenant's)."),
    ]):
        fn = decorator(fn)
    return fn


def _filters(tags_any: tuple[str, ...], metadata_filter: str | None,
             **given: Any) -> dict[str, Any]:
    filters = {k: v for k, v in given.items() if v is not None}
    for key in ("created_after", "created_before"):
        if key in filters:
            filters[key] = _utc(filters[key])
    if tags_any:
        filters["tags_any"] = list(tags_any)
    where = _json_object(metadata_filter, "--where")
    if where is not None:
        filters["metadata_filter"] = where
    return filters


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _memory_json(m: Memory) -> dict[str, Any]:
    data = {k: v for k, v in vars(m).items() if k != "embedding"}
    if isinstance(m, SearchHit):
        data = {"similarity": m.similarity, **data}
    return data


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InvalidInput(f"cannot read {path}: {why}", field="file",
                           hint="Pass a readable UTF-8 text file, or - for standard input.") \
            from None


@click.command("remember")
@scoped
@click.argument("text", nargs=-1)
@click.option("--human", help="What the person said (default: TEXT, the file or stdin).")
@click.option("--assistant", default="", help="What the assistant answered.")
@click.option("--file", "file_", metavar="PATH",
              help="Read the human content from a file (- for standard input).")
@click.option("--private", is_flag=True, help="Visible to --user only (default: whole tenant).")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for several.")
@click.option("--metadata", help='Metadata as a JSON object, e.g. \'{"customer": "acme"}\'.')
@click.option("--conversation", "conversation_id", help="Conversation id.")
@click.option("--context-type", help="e.g. conversation, fact, note (default: conversation).")
@click.option("--session", "session_id", help="The session it was made in (id).")
@click.option("--model", help="Embedding model (default: the tenant's); its registered "
                              "embedder embeds the text.")
def remember(tenant_id: str, user_id: str | None, as_json: bool, text: tuple[str, ...],
             human: str | None, assistant: str, file_: str | None, private: bool,
             tags: tuple[str, ...], metadata: str | None, conversation_id: str | None,
             context_type: str | None, session_id: str | None, model: str | None) -> None:
    """Store a memory and print its id.

    The text is TEXT (several words need no quotes), --human, a --file, or standard input
    when nothing else is given: `echo "the VPN needs WireGuard" | cogdb remember --tenant T`.
    """
    with cli_errors():
        if human is None:
            if text:
                human = " ".join(text)
            elif file_ is not None:
                human = _read_text(file_)
            elif not sys.stdin.isatty() and not assistant:
                human = sys.stdin.read()
            else:
                human = ""
        fields: dict[str, Any] = {"tags": list(tags)} if tags else {}
        for key, value in (("conversation_id", conversation_id),
                           ("context_type", context_type), ("session_id", session_id),
                           ("metadata", _json_object(metadata, "--metadata"))):
            if value is not None:
                fields[key] = value
    with _scope(tenant_id, user_id) as s:
        mid = s.remember(human.strip(), assistant, private=private, model=model, **fields)
    if as_json:
        emit_json({"id": mid})
    else:
        click.echo(mid)


@click.command("get")
@scoped
@replica_option
@click.argument("memory_id")
@click.option("--include-shared", is_flag=True,
              help="Also look in what other tenants' live grants share with this tenant "
                   "(a shared read is audited, a write: it runs on the primary).")
def get(tenant_id: str, user_id: str | None, as_json: bool, replicas: tuple[str, ...],
        memory_id: str, include_shared: bool) -> None:
    """Show one memory the tenant (and user) may see."""
    with _scope(tenant_id, user_id, replicas=replicas, read=not include_shared) as s:
        m = s.get(memory_id, include_shared=include_shared)
    if as_json:
        emit_json(_memory_json(m) if m else None)
    elif m is None:
        click.echo("no such memory (or not visible to this scope)")
    else:
        for key, value in _memory_json(m).items():
            if value not in (None, [], {}):
                shown = json.dumps(value) if isinstance(value, (list, dict)) else value
                click.echo(f"{key:<20} {shown}")
    if m is None:
        sys.exit(1)


def _print_memories(rows: list[Memory]) -> None:
    lead = f"{'similarity':>10}  " if rows and isinstance(rows[0], SearchHit) else ""
    click.echo(f"{lead}{'id':<36}  {'created':<16}  {'vis':<7}  memory")
    for m in rows:
        score = f"{m.similarity:>10.3f}  " if isinstance(m, SearchHit) else ""
        when = m.created_at.strftime("%Y-%m-%d %H:%M") if m.created_at else "-"
        text = short(f"{m.human_content} → {m.assistant_content}", 60)
        click.echo(f"{score}{m.id:<36}  {when:<16}  {m.visibility:<7}  {text}")


@click.command("list")
@scoped
@filter_options
@click.option("-n", "--limit", "page_size", default=DEFAULT_PAGE, show_default=True,
              type=click.IntRange(1, MAX_K), help="How many (newest first).")
@click.option("--cursor", help="Continue after this CREATED_AT,ID (printed after a full page).")
@replica_option
def list_command(tenant_id: str, user_id: str | None, as_json: bool, page_size: int,
                 cursor: str | None, replicas: tuple[str, ...], model: str | None,
                 tags_any: tuple[str, ...],
                 metadata_filter: str | None, **given: Any) -> None:
    """List the memories the tenant (and user) may see, newest first, a page at a time."""
    with cli_errors():
        before = None
        if cursor is not None:
            at, sep, mid = cursor.partition(",")
            try:
                before = (datetime.fromisoformat(at), mid)
            except ValueError:
                sep = ""
            if not sep or not mid:
                raise InvalidInput(f"--cursor must be CREATED_AT,ID, got {cursor!r}",
                                   field="cursor", hint="Copy it from the previous page's "
                                   "last line.")
        filters = _filters(tags_any, metadata_filter, **given)
    with _scope(tenant_id, user_id, replicas=replicas, read=True) as s:
        rows = s.list_memories(page_size, before=before, model=model, **filters)
    next_cursor = (f"{rows[-1].created_at.isoformat()},{rows[-1].id}"
                   if len(rows) == page_size else None)
    if as_json:
        emit_json({"memories": [_memory_json(m) for m in rows], "next_cursor": next_cursor})
        return
    if not rows:
        click.echo("no memories")
        return
    _print_memories(rows)
    if next_cursor:
        click.echo(f"more: cogdb list --tenant {tenant_id} --cursor '{next_cursor}' …")


@click.command("search")
@scoped
@click.argument("words", nargs=-1, required=True)
@click.option("-k", "k", default=DEFAULT_K, show_default=True, type=click.IntRange(1, MAX_K),
              help=f"How many results (1-{MAX_K}).")
@filter_options
@click.option("--hybrid", is_flag=True,
              help="Full text and vector search fused (reciprocal rank fusion), over memories "
                   "and entities: exact tokens (order numbers, error codes, names) are found "
                   "too.")
@click.option("--text-only", is_flag=True, help="With --hybrid: the full-text half only.")
@click.option("--rrf-k", type=click.IntRange(1), default=DEFAULT_RRF_K, show_default=True,
              help="With --hybrid: the fusion constant.")
@click.option("--text-weight", type=click.FloatRange(0), default=1.0, show_default=True,
              help="With --hybrid: the weight of the full-text ranking.")
@click.option("--vector-weight", type=click.FloatRange(0), default=1.0, show_default=True,
              help="With --hybrid: the weight of the vector ranking.")
@click.option("--no-entities", is_flag=True, help="With --hybrid: memories only.")
@click.option("--record-access", is_flag=True,
              help="Record the memories returned (counted into access_count by cogdb maintain; "
                   "a write: the search runs on the primary).")
@click.option("--include-shared", is_flag=True,
              help="Also search what other tenants' live grants share with this tenant "
                   "(each result names its tenant; a shared read is audited, a write: the "
                   "search runs on the primary).")
@replica_option
def search(tenant_id: str, user_id: str | None, as_json: bool, words: tuple[str, ...], k: int,
           model: str | None, tags_any: tuple[str, ...], metadata_filter: str | None,
           hybrid: bool, text_only: bool, rrf_k: int, text_weight: float,
           vector_weight: float, no_entities: bool, record_access: bool,
           include_shared: bool, replicas: tuple[str, ...], **given: Any) -> None:
    """Search the memories the tenant (and user) may see for WORDS (no quotes needed).

    The text is embedded by the embedder the model registry names for --model (default: the
    tenant's model); the filters narrow the candidates before ranking. --hybrid adds the
    full-text ranking (web-search syntax: "a phrase", -excluded, or) and entities.
    """
    with cli_errors():
        filters = _filters(tags_any, metadata_filter, **given)
        if text_only and not hybrid:
            raise InvalidInput("--text-only goes with --hybrid", field="text-only",
                               hint="cogdb search --hybrid --text-only WORDS")
    read = not record_access and not include_shared
    if hybrid:
        with _scope(tenant_id, user_id, replicas=replicas, read=read) as s:
            results = s.hybrid_search(" ".join(words), k, embed=not text_only, model=model,
                                      rrf_k=rrf_k, text_weight=text_weight,
                                      vector_weight=vector_weight,
                                      include_entities=not no_entities,
                                      record_access=record_access,
                                      include_shared=include_shared, **filters)
        if as_json:
            emit_json(results)
        elif not results:
            click.echo("nothing found")
        else:
            _print_hybrid(results, include_shared)
        return
    with _scope(tenant_id, user_id, replicas=replicas, read=read) as s:
        hits = s.search(" ".join(words), k=k, model=model, record_access=record_access,
                        include_shared=include_shared, **filters)
    if as_json:
        emit_json([_memory_json(h) for h in hits])
        return
    if not hits:
        click.echo("no memories found")
        return
    _print_memories(hits)


def _print_hybrid(rows: list[HybridHit], include_shared: bool = False) -> None:
    click.echo(f"{'score':>7}  {'text':>4} {'vec':>4}  {'kind':<6} {'id':<38} text")
    for h in rows:
        text = (h.name if h.kind == "entity"
                else f"{h.human_content} → {h.assistant_content}")
        ranks = (f"{h.text_rank if h.text_rank else '-':>4} "
                 f"{h.vector_rank if h.vector_rank else '-':>4}")
        shared = f"  (tenant {h.tenant_id})" if include_shared else ""
        click.echo(f"{h.score:>7.4f}  {ranks}  {h.kind:<6} {h.id:<38} {short(text, 50)}{shared}")


@click.command("forget")
@scoped
@click.argument("memory_id")
def forget(tenant_id: str, user_id: str | None, as_json: bool, memory_id: str) -> None:
    """Delete a memory the tenant (and user) may see."""
    with _scope(tenant_id, user_id) as s:
        deleted = s.forget(memory_id)
    if as_json:
        emit_json({"id": memory_id, "deleted": deleted})
    else:
        click.echo("forgotten" if deleted else "no such memory (or not visible to this scope)")
    if not deleted:
        sys.exit(1)
