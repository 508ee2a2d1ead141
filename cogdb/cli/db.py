"""``cogdb db start|stop|status|url``: the embedded server; ``cogdb db replicas``: the read
replicas' lag (any server)."""
from __future__ import annotations

import sys
from typing import Any

import click

from .. import config
from ..db import embedded
from ..db.errors import CogdbError, InvalidInput
from .common import EXIT_NOT_RUNNING, cli_errors, emit_json, json_option, replica_option


@click.group("db")
def db_group() -> None:
    """Manage the embedded PostgreSQL server (data under COGDB_HOME).

    Only `cogdb db start` and `cogdb quickstart` start it; after `cogdb db stop` it stays
    stopped, and other commands say so instead of starting it.
    """


def _refuse_external(action: str) -> None:
    if config.uses_external_server():
        raise CogdbError(f"`cogdb db {action}` manages the embedded server only, and "
                         "COGDB_DATABASE_URL/COGDB_ADMIN_URL name another server",
                         hint="Unset them to use the embedded server.")


def _info(info: embedded.ServerInfo) -> dict[str, Any]:
    return {"pid": info.pid, "data_dir": str(info.pgdata), "socket_dir": str(info.socket_dir),
            "port": info.port}


@db_group.command("start")
@json_option()
def db_start(as_json: bool) -> None:
    """Start the embedded server (initialising it on first use); it keeps running."""
    with cli_errors():
        _refuse_external("start")
        was = embedded.status()
        info = was or embedded.start()
        state = "already running" if was else "started"
        if as_json:
            emit_json({"state": state.replace(" ", "_"), **_info(info)})
        else:
            click.echo(f"embedded PostgreSQL {state}: pid {info.pid}, data {info.pgdata}")


@db_group.command("stop")
@json_option()
def db_stop(as_json: bool) -> None:
    """Stop the embedded server. It stays stopped until `cogdb db start` or `cogdb quickstart`."""
    with cli_errors():
        _refuse_external("stop")
        stopped = embedded.stop()
        if as_json:
            emit_json({"state": "stopped" if stopped else "not_running",
                       "data_dir": str(embedded.pgdata_dir())})
        else:
            click.echo("stopped" if stopped else "not running")


@db_group.command("status")
@json_option()
def db_status(as_json: bool) -> None:
    """Show whether the embedded server runs, where, the migration revision and the settings
    cogdb sizes for the machine (README, "Fast by default").

    Exit code 3 when it is not running (with or without --json).
    """
    from ..ops import migrate

    with cli_errors():
        _refuse_external("status")
        info = embedded.status()
        initialised = embedded.is_initialised()
        data: dict[str, Any] = {"running": info is not None, "initialised": initialised,
                                "data_dir": str(embedded.pgdata_dir())}
        if info:
            data.update(_info(info), revision=migrate.current_revision(info.url()),
                        head=migrate.head_revision(), settings=embedded.current_settings(info))
    if as_json:
        emit_json(data)
    elif not info:
        todo = ("start it with `cogdb db start`" if initialised
                else "set it up with `cogdb quickstart`")
        what = "not running" if initialised else "not set up"
        click.echo(f"{what} (data dir {data['data_dir']}); {todo}")
    else:
        click.echo(f"running: pid {info.pid}, socket {info.socket_dir}, port {info.port}")
        click.echo(f"schema revision: {data['revision'] or 'none (run cogdb migrate)'}"
                   f" (head {data['head']})")
        click.echo("settings: " + ", ".join(f"{k} {v}" for k, v in data["settings"].items()))
    if not info:
        sys.exit(EXIT_NOT_RUNNING)


@db_group.command("url")
@click.option("--admin", is_flag=True, help="The superuser URL instead of the app login's.")
@json_option()
def db_url(admin: bool, as_json: bool) -> None:
    """Print the connection URL (the app login's by default), for psql or COGDB_*_URL.

    The embedded server must be running (its port is part of the URL).
    """
    with cli_errors():
        if admin:
            url = config.admin_url_from_env() or embedded.admin_url()
        else:
            url = config.database_url_from_env() or embedded.app_url()
    if as_json:
        emit_json({"url": url, "login": "admin" if admin else "app"})
    else:
        click.echo(url)


@db_group.command("replicas")
@replica_option
@json_option()
def db_replicas(replicas: tuple[str, ...], as_json: bool) -> None:
    """Show each read replica's state and lag behind the primary (COGDB_DATABASE_URL, else
    the embedded server): streaming, replay_paused, not_a_standby or unreachable; the WAL it
    has replayed, the bytes it is behind, and when it last replayed a transaction.

    Works on any server, as the app login. Replicas: --replica URL (repeatable), else
    COGDB_REPLICA_URLS.
    """
    from ..db import urls
    from ..db.replicas import replica_status

    with cli_errors():
        given = list(replicas) or config.replica_urls_from_env()
        if not given:
            raise InvalidInput("no replicas given", field="replica",
                               hint="Pass --replica URL (repeatable) or set COGDB_REPLICA_URLS.")
        report = replica_status(urls.app_url(), given)
    if as_json:
        emit_json(report)
        return
    click.echo(f"primary WAL position: {report['primary_lsn']}")
    for r in report["replicas"]:  # type: ignore[attr-defined]
        if r["state"] == "unreachable":
            click.echo(f"{r['replica']}: unreachable ({r['error']})")
            continue
        lag = r.get("lag_bytes")
        click.echo(f"{r['replica']}: {r['state']}, replayed {r.get('replay_lsn')}"
                   + (f", {lag:,} bytes behind" if lag is not None else "")
                   + (f", last transaction replayed at {r['last_replayed_at']}"
                      if r.get("last_replayed_at") else ""))
