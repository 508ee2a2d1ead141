"""``cogdb quickstart``: the whole system end to end (see :mod:`cogdb.ops.quickstart`)."""
from __future__ import annotations

import click

from .common import cli_errors, emit_json, json_option


@click.command("quickstart")
@json_option("Print a JSON summary (tenant and user ids, the app login's URL) instead of the "
             "steps.")
def quickstart(as_json: bool) -> None:
    """Start the embedded server, migrate, provision two tenants, store and search samples,
    and show that isolation holds. Safe to run again."""
    from ..ops.quickstart import run

    with cli_errors():
        summary = run((lambda _line: None) if as_json else click.echo)
    if as_json:
        emit_json(summary)
