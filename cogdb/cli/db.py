"""``cogdb db start|stop|status|url``: the embedded server."""
from __future__ import annotations

import sys
from typing import Any

import click

from .. import config
from ..db import embedded
from ..db.errors import CogdbError
from .common import cli_errors, emit_json, json_option


@click.group("db")
def db_group() -> None:
    """Manage the embedded PostgreSQL server (data under COGDB_HOME)."""


def _refuse_external(action: str) -> None:
    if config.uses_external_server():
        raise CogdbError(f"`cogdb db {action}` manages the embedded server only, and "
                         "COGDB_DATABASE_URL/COGDB_ADMIN_URL name another server",
                         hint="Unset them to use the embedded server.")


@db_group.command("start")
def db_start() -> None:
    """Start the embedded server (initialising it on first use); it keeps running."""
    with cli_errors():
        _refuse_external("start")
        was = embedded.status()
        info = was or embedded.start()
        state = "already running" if was else "started"
        click.echo(f"embedded PostgreSQL {state}: pid {info.pid}, data {info.pgdata}")


@db_group.command("stop")
def db_stop() -> None:
    """Stop the embedded server."""
    with cli_errors():
        _refuse_external("stop")
        click.echo("stopped" if embedded.stop() else "not running")


@db_group.command("status")
@json_option()
def db_status(as_json: bool) -> None:
    """Show whether the embedded server runs, where, the migration revision and the settings
    cogdb sizes for the machine (docs: README, "Fast by default")."""
    from ..ops import migrate

    with cli_errors():
        _refuse_external("status")
        info = embedded.status()
        data: dict[str, Any] = {"running": info is not None,
                                "data_dir": str(embedded.pgdata_dir())}
        if info:
            data.update(pid=info.pid, socket_dir=str(info.socket_dir), port=info.port,
                        revision=migrate.current_revision(info.url()),
                        head=migrate.head_revision(), settings=embedded.current_settings(info))
        if as_json:
            emit_json(data)
            return
        if not info:
            click.echo(f"not running (data dir {data['data_dir']}); start with `cogdb db start`")
            sys.exit(3)
        click.echo(f"running: pid {info.pid}, socket {info.socket_dir}, port {info.port}")
        click.echo(f"schema revision: {data['revision'] or 'none (run cogdb migrate)'}"
                   f" (head {data['head']})")
        click.echo("settings: " + ", ".join(f"{k} {v}" for k, v in data["settings"].items()))


@db_group.command("url")
@click.option("--admin", is_flag=True, help="The superuser URL instead of the app login's.")
def db_url(admin: bool) -> None:
    """Print the connection URL (the app login's by default), for psql or COGDB_*_URL."""
    with cli_errors():
        if admin:
            click.echo(config.admin_url_from_env() or embedded.admin_url())
        else:
            click.echo(config.database_url_from_env() or embedded.app_url())
