"""The ``cogdb`` command line. Every command is a thin wrapper over the Python API.

Without COGDB_DATABASE_URL / COGDB_ADMIN_URL, commands use the embedded server under
COGDB_HOME (started on demand, left running until ``cogdb db stop``).
"""
from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any

import click
import numpy as np

from . import config
from .errors import CogdbError


def _default(value: Any) -> Any:
    if isinstance(value, (uuid.UUID, datetime)):
        return str(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if is_dataclass(value):
        return asdict(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, default=_default, indent=2, ensure_ascii=False))


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn cogdb errors into one-line messages (plus the server's hint) and exit code 1."""
    try:
        yield
    except CogdbError as exc:
        # One line, even for libpq's multi-line connection errors.
        click.secho(f"error: {' '.join(exc.message.split())}", fg="red", err=True)
        if exc.hint:
            click.echo(f"hint: {exc.hint}", err=True)
        sys.exit(1)


def _short(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cogdb")
def main() -> None:
    """cogdb: tenant-isolated long-term memory for AI assistants, inside PostgreSQL.

    Start with `cogdb quickstart`. Set COGDB_DATABASE_URL (app login) and COGDB_ADMIN_URL
    (migrations, provisioning) to use your own server instead of the embedded one.
    """


# --- the embedded server -------------------------------------------------------------

@main.group()
def db() -> None:
    """Manage the embedded PostgreSQL server (data under COGDB_HOME)."""


def _refuse_external(action: str) -> None:
    if config.uses_external_server():
        raise CogdbError(f"`cogdb db {action}` manages the embedded server only, and "
                         "COGDB_DATABASE_URL/COGDB_ADMIN_URL name another server",
                         hint="Unset them to use the embedded server.")


@db.command("start")
def db_start() -> None:
    """Start the embedded server (initialising it on first use); it keeps running."""
    from . import embedded

    with cli_errors():
        _refuse_external("start")
        was = embedded.status()
        info = was or embedded.start()
        state = "already running" if was else "started"
        click.echo(f"embedded PostgreSQL {state}: pid {info.pid}, data {info.pgdata}")


@db.command("stop")
def db_stop() -> None:
    """Stop the embedded server."""
    from . import embedded

    with cli_errors():
        _refuse_external("stop")
        click.echo("stopped" if embedded.stop() else "not running")


@db.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def db_status(as_json: bool) -> None:
    """Show whether the embedded server runs, where, and the migration revision."""
    from . import embedded, migrations

    with cli_errors():
        _refuse_external("status")
        info = embedded.status()
        data: dict[str, Any] = {"running": info is not None,
                                "data_dir": str(embedded.pgdata_dir())}
        if info:
            data.update(pid=info.pid, socket_dir=str(info.socket_dir), port=info.port,
                        revision=migrations.current_revision(info.url()),
                        head=migrations.head_revision())
        if as_json:
            emit_json(data)
            return
        if not info:
            click.echo(f"not running (data dir {data['data_dir']}); start with `cogdb db start`")
            sys.exit(3)
        click.echo(f"running: pid {info.pid}, socket {info.socket_dir}, port {info.port}")
        click.echo(f"schema revision: {data['revision'] or 'none (run cogdb migrate)'}"
                   f" (head {data['head']})")


@db.command("url")
@click.option("--admin", is_flag=True, help="The superuser URL instead of the app login's.")
def db_url(admin: bool) -> None:
    """Print the connection URL (the app login's by default), for psql or COGDB_*_URL."""
    from . import embedded

    with cli_errors():
        if admin:
            click.echo(config.admin_url_from_env() or embedded.admin_url())
        else:
            click.echo(config.database_url_from_env() or embedded.app_url())


# --- migrations ------------------------------------------------------------------------

@main.command()
@click.option("--to", "target", default="head", show_default=True,
              help="Target revision: head, base, or a revision id (up or down).")
def migrate(target: str) -> None:
    """Migrate the database to a revision (as COGDB_ADMIN_URL or the embedded superuser)."""
    from . import migrations

    with cli_errors():
        url = migrations.admin_url()
        try:
            before, after = migrations.migrate(url, target)
        except ValueError as exc:
            raise CogdbError(str(exc), hint="See the revisions in alembic/versions/.") from exc
        except Exception as exc:  # SQLAlchemy wraps driver errors
            orig = getattr(exc, "orig", None)
            if orig is not None:
                from .errors import translate

                raise translate(orig) from exc
            raise
        if not config.uses_external_server() and after is not None:
            prepare_embedded_database()
        click.echo(f"migrated: {before or 'base'} -> {after or 'base'}")


def prepare_embedded_database() -> None:
    """The embedded server's app login, and CONNECT for the cogdb roles only."""
    from .client import connect_admin

    with connect_admin() as admin:
        admin.ensure_app_login(config.EMBEDDED_APP_LOGIN)
        admin.secure_database()


# --- provisioning ----------------------------------------------------------------------

@main.group()
def tenant() -> None:
    """Provision tenants (admin)."""


@tenant.command("create")
@click.option("--name", required=True, help="Display name.")
@click.option("--mode", type=click.Choice(["personal", "enterprise"]), default="personal",
              show_default=True)
@click.option("--external-id", help="Your id for the tenant; makes creation idempotent.")
@click.option("--isolation-level", type=click.Choice(["strict", "shared", "federated"]),
              default="strict", show_default=True)
@click.option("--default-model", help="Embedding model of the tenant (a registered name).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--sql", "as_sql", is_flag=True, help="Print the SQL for a DBA instead.")
def tenant_create(name: str, mode: str, external_id: str | None, isolation_level: str,
                  default_model: str | None, as_json: bool, as_sql: bool) -> None:
    """Create a tenant and print its id."""
    from .client import AdminClient, connect_admin

    if as_sql:
        click.echo(AdminClient.create_tenant_sql(
            name, mode=mode, external_id=external_id, isolation_level=isolation_level,
            default_model=default_model))
        return
    with cli_errors(), connect_admin() as admin:
        t = admin.create_tenant(name, mode=mode, external_id=external_id,
                                isolation_level=isolation_level, default_model=default_model)
        if as_json:
            emit_json(t)
        else:
            click.echo(f"tenant {t.id}  {t.name} ({t.mode})")


@main.group()
def user() -> None:
    """Provision users (admin)."""


@user.command("create")
@click.option("--tenant", "tenant_id", required=True, help="Tenant id (UUID).")
@click.option("--email", required=True)
@click.option("--provider", "auth_provider", help="Auth provider of the identity (e.g. oidc).")
@click.option("--external-id", help="The user's id at the provider.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--sql", "as_sql", is_flag=True, help="Print the SQL for a DBA instead.")
def user_create(tenant_id: str, email: str, auth_provider: str | None,
                external_id: str | None, as_json: bool, as_sql: bool) -> None:
    """Create a user in a tenant and print its id."""
    from .client import AdminClient, connect_admin

    if as_sql:
        with cli_errors():
            click.echo(AdminClient.create_user_sql(tenant_id, email=email,
                                                   auth_provider=auth_provider,
                                                   external_id=external_id))
        return
    with cli_errors(), connect_admin() as admin:
        u = admin.create_user(tenant_id, email=email, auth_provider=auth_provider,
                              external_id=external_id)
        if as_json:
            emit_json(u)
        else:
            click.echo(f"user {u.id}  {u.email} (tenant {u.tenant_id})")


# --- scoped memory commands --------------------------------------------------------------

def _scoped(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--user", "user_id", help="User id (UUID); needed for private memories.")(fn)
    fn = click.option("--tenant", "tenant_id", required=True, help="Tenant id (UUID).")(fn)
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")(fn)


@main.command()
@_scoped
@click.option("--human", default="", help="What the person said.")
@click.option("--assistant", default="", help="What the assistant answered.")
@click.option("--private", is_flag=True, help="Visible to --user only (default: whole tenant).")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for several.")
@click.option("--conversation", "conversation_id", help="Conversation id.")
def remember(tenant_id: str, user_id: str | None, as_json: bool, human: str, assistant: str,
             private: bool, tags: tuple[str, ...], conversation_id: str | None) -> None:
    """Store a memory (embedded with the built-in embedder) and print its id."""
    from .client import connect

    fields: dict[str, Any] = {"tags": list(tags)} if tags else {}
    if conversation_id:
        fields["conversation_id"] = conversation_id
    with cli_errors(), connect(pool_size=1) as client, client.scope(tenant_id, user_id) as s:
        mid = s.remember(human, assistant, private=private, **fields)
    if as_json:
        emit_json({"id": mid})
    else:
        click.echo(mid)


@main.command()
@_scoped
@click.argument("text")
@click.option("-k", "k", default=10, show_default=True, help="How many results (1-1000).")
def search(tenant_id: str, user_id: str | None, as_json: bool, text: str, k: int) -> None:
    """Search the memories the tenant (and user) may see for TEXT."""
    from .client import connect

    with cli_errors(), connect(pool_size=1) as client, client.scope(tenant_id, user_id) as s:
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
        text_ = _short(f"{h.human_content} → {h.assistant_content}", 70)
        click.echo(f"{h.similarity:>10.3f}  {h.id:<36}  {h.visibility:<7}  {text_}")


@main.command()
@_scoped
@click.argument("memory_id")
def forget(tenant_id: str, user_id: str | None, as_json: bool, memory_id: str) -> None:
    """Delete a memory the tenant (and user) may see."""
    from .client import connect

    with cli_errors(), connect(pool_size=1) as client, client.scope(tenant_id, user_id) as s:
        deleted = s.forget(memory_id)
    if as_json:
        emit_json({"id": memory_id, "deleted": deleted})
    else:
        click.echo("forgotten" if deleted else "no such memory (or not visible to this scope)")
    if not deleted:
        sys.exit(1)


@main.command()
def quickstart() -> None:
    """Start the embedded server, migrate, provision two tenants, store and search samples,
    and show that isolation holds. Safe to run again."""
    from .quickstart import run

    with cli_errors():
        run(click.echo)


# Commands that live in their own modules register themselves on the groups above.
from . import cli_import, cli_search  # noqa: E402, F401
