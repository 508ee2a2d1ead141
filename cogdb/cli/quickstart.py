"""``cogdb quickstart``: the whole system end to end (see :mod:`cogdb.ops.quickstart`)."""
from __future__ import annotations

import click

from .common import cli_errors


@click.command("quickstart")
def quickstart() -> None:
    """Start the embedded server, migrate, provision two tenants, store and search samples,
    and show that isolation holds. Safe to run again."""
    from ..ops.quickstart import run

    with cli_errors():
        run(click.echo)
