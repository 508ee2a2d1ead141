"""``cogdb remember|search|forget``: one memory operation in one scope, as the app login."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from ..api.client import Scope, connect
from ..api.search import DEFAULT_K, MAX_K
from .common import cli_errors, emit_json, scoped, short


@contextmanager
def _scope(tenant_id: str, user_id: str | None) -> Iterator[Scope]:
    """One scope as the app login (one connection), errors reported the CLI's way."""
    with cli_errors(), connect(pool_size=1) as client, client.scope(tenant_id, user_id) as s:
        yield s


@click.command("remember")
@scoped
@click.option("--human", default="", help="What the person said.")
@click.option("--assistant", default="", help="What the assistant answered.")
@click.option("--private", is_flag=True, help="Visible to --user only (default: whole tenant).")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for several.")
@click.option("--conversation", "conversation_id", help="Conversation id.")
def remember(tenant_id: str, user_id: str | None, as_json: bool, human: str, assistant: str,
             private: bool, tags: tuple[str, ...], conversation_id: str | None) -> None:
    """Store a memory (embedded with the built-in embedder) and print its id."""
    fields: dict[str, Any] = {"tags": list(tags)} if tags else {}
    if conversation_id:
        fields["conversation_id"] = conversation_id
    with _scope(tenant_id, user_id) as s:
        mid = s.remember(human, assistant, private=private, **fields)
    if as_json:
        emit_json({"id": mid})
    else:
        click.echo(mid)


@click.command("search")
@scoped
@click.argument("text")
@click.option("-k", "k", default=DEFAULT_K, show_default=True,
              help=f"How many results (1-{MAX_K}).")
def search(tenant_id: str, user_id: str | None, as_json: bool, text: str, k: int) -> None:
    """Search the memories the tenant (and user) may see for TEXT."""
    with _scope(tenant_id, user_id) as s:
        hits = s.search(text, k=k)
    if as_json:
        emit_json([{"id": h.id, "similarity": h.similarity, "human": h.human_content,
                    "assistant": h.assistant_content, "visibility": h.visibility,
                    "tags": h.tags, "created_at": h.created_at} for h in hits])
        return
    if not hits:
        click.echo("no memories found")
        return
    click.echo(f"{'similarity':>10}  {'id':<36}  {'vis':<7}  memory")
    for h in hits:
        text_ = short(f"{h.human_content} → {h.assistant_content}", 70)
        click.echo(f"{h.similarity:>10.3f}  {h.id:<36}  {h.visibility:<7}  {text_}")


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
