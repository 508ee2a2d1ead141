"""``cogdb user create|list``: provisioning users; ``cogdb user export|erase|anonymise|references``:
GDPR requests (admin)."""
from __future__ import annotations

import json
from pathlib import Path

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


def _user_option(fn):
    return click.option("--user", "user_id", required=True, help="User id (UUID).")(fn)


def _counts(receipt: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(receipt["counts"].items()) if v) or "nothing"


@user_group.command("export")
@tenant_option
@_user_option
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write the JSON document here (default: standard output).")
@json_option()
def user_export(tenant_id: str, user_id: str, output: Path | None, as_json: bool) -> None:
    """Everything cogdb holds about a user (GDPR access and portability) as one JSON
    document with a manifest of counts; the export is noted in the audit trail."""
    with cli_errors(), connect_admin() as admin:
        data = admin.export_user(tenant_id, user_id)
    if output is None:
        emit_json(data)
        return
    output.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    if as_json:
        emit_json({"output": str(output), "manifest": data["manifest"]})
    else:
        click.echo(f"wrote {output}: " + ", ".join(
            f"{k} {v}" for k, v in data["manifest"].items() if v))


@user_group.command("erase")
@tenant_option
@_user_option
@json_option()
def user_erase(tenant_id: str, user_id: str, as_json: bool) -> None:
    """Erase a user (GDPR): their sessions and private data, identities and users row; their
    tenant-visible content anonymised or deleted (tenant setting gdpr.erase_shared). One
    transaction; refused under a legal hold; the receipt (counts) goes to the audit trail."""
    with cli_errors(), connect_admin() as admin:
        receipt = admin.erase_user(tenant_id, user_id)
    if as_json:
        emit_json(receipt)
    elif not receipt["found"]:
        click.echo(f"user {receipt['user_id']}: nothing left to erase ({_counts(receipt)})")
    else:
        click.echo(f"erased user {receipt['user_id']} (shared content: "
                   f"{receipt['shared_content']}): {_counts(receipt)}")


@user_group.command("anonymise")
@tenant_option
@_user_option
@json_option()
def user_anonymise(tenant_id: str, user_id: str, as_json: bool) -> None:
    """Anonymise a user: keep the rows, remove what identifies the person (memories'
    content, identities, email). Refused under a legal hold; the receipt goes to the audit."""
    with cli_errors(), connect_admin() as admin:
        receipt = admin.anonymise_user(tenant_id, user_id)
    if as_json:
        emit_json(receipt)
    else:
        click.echo(f"anonymised user {receipt['user_id']}: {_counts(receipt)}")


@user_group.command("references")
@tenant_option
@_user_option
@json_option()
def user_references(tenant_id: str, user_id: str, as_json: bool) -> None:
    """Rows that still name a user, per table and column: after an erase, zero outside the
    audit trail (which keeps the user's uuid as a pseudonym)."""
    with cli_errors(), connect_admin() as admin:
        rows = admin.user_references(tenant_id, user_id)
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        if r["refs"]:
            kept = "  (audit trail, kept)" if r["kept"] else ""
            click.echo(f"{r['table_name']}.{r['column_name']}: {r['refs']}{kept}")
    left = sum(r["refs"] for r in rows if not r["kept"])
    click.echo(f"{left} rows outside the audit trail name the user")
