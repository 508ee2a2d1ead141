"""``cogdb user create|list``: provisioning users (admin)."""
from __future__ import annotations

import click

from ..api.client import connect_admin
from ..api.provisioning import AdminClient
from .common import (
    cli_errors,
    echo_sql,
    emit_json,
    json_option,
    sql_option,
    tenant_option,
    uuid_literal,
)


@click.group("user")
def user_group() -> None:
    """Provision users (admin)."""


@user_group.command("create")
@tenant_option
@click.option("--email", required=True)
@click.option("--provider", "auth_provider", help="Auth provider of the identity (e.g. oidc).")
@click.option("--external-id", help="The user's id at the provider.")
@json_option()
@sql_option
def user_create(tenant_id: str, email: str, auth_provider: str | None,
                external_id: str | None, as_json: bool, as_sql: bool) -> None:
    """Create a user in a tenant and print its id."""
    if as_sql:
        with cli_errors():
            echo_sql(AdminClient.create_user_sql(tenant_id, email=email,
                                                 auth_provider=auth_provider,
                                                 external_id=external_id), as_json)
        return
    with cli_errors(), connect_admin() as admin:
        u = admin.create_user(tenant_id, email=email, auth_provider=auth_provider,
                              external_id=external_id)
        if as_json:
            emit_json(u)
        else:
            click.echo(f"user {u.id}  {u.email} (tenant {u.tenant_id})")


@user_group.command("list")
@tenant_option
@json_option()
@sql_option
def user_list(tenant_id: str, as_json: bool, as_sql: bool) -> None:
    """List the users of a tenant (admin)."""
    if as_sql:
        with cli_errors():
            echo_sql(f"SELECT * FROM cogdb.list_users({uuid_literal(tenant_id)});", as_json)
        return
    with cli_errors(), connect_admin() as admin:
        rows = admin.list_users(tenant_id)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no users")
    for u in rows:
        click.echo(f"{u['id']}  {u['email']}  {' '.join(u['identities'])}".rstrip())
