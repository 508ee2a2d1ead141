"""``cogdb text``: the full-text index of hybrid search (README.md "Knowledge")."""
from __future__ import annotations

import click

from .common import emit_json, scoped
from .knowledge import _scope

#: Memories indexed per transaction when the whole queue is asked for.
BATCH = 10_000


@click.group("text")
def text_group() -> None:
    """The full-text index that hybrid search reads."""


@text_group.command("index")
@scoped
@click.option("--max-rows", type=click.IntRange(min=1), default=None,
              help="Index at most this many queued memories (default: all, in batches of "
                   f"{BATCH:,}).")
def index(tenant_id: str, user_id: str | None, as_json: bool, max_rows: int | None) -> None:
    """Index now the text of the tenant's memories that bulk inserts queued.

    An INSERT of at least text.defer_min_rows memories (remember_many of a batch, an import)
    leaves their full-text indexing to `cogdb maintain`; until then hybrid search finds them
    through its vector half only. This does it at once, for every user of the tenant."""
    total = 0
    while True:
        with _scope(tenant_id, user_id) as s:
            n = s.index_pending_text(max_rows or BATCH)
        total += n
        if max_rows is not None or n < BATCH:
            break
        if not as_json:
            click.echo(f"{total:,} indexed …", err=True)
    if as_json:
        emit_json({"tenant_id": tenant_id, "indexed": total})
    else:
        click.echo(f"indexed the text of {total:,} queued memories")
