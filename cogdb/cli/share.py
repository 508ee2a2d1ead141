"""``cogdb share grant|revoke|list``: read grants between tenants at isolation level shared
or federated (admin, COGDB_ADMIN_URL). The database enforces them: see docs/trust-model.md,
"Sharing between tenants"."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from ..api.client import connect_admin
from .common import cli_errors, emit_json, json_option, tenant_option


@click.group("share")
def share_group() -> None:
    """Read grants between tenants (admin of the granting tenant)."""


def _scope_text(g: dict[str, Any]) -> str:
    parts = [f"{name}={','.join(g[key])}" for name, key in
             (("types", "context_types"), ("tags", "tags"), ("ids", "memory_ids"),
              ("entity-types", "entity_types"), ("entities", "entity_ids")) if g.get(key)]
    return " ".join(parts)


@share_group.command("grant")
@tenant_option
@click.option("--to", "grantee_id", required=True, help="The tenant that may read (UUID).")
@click.option("--context-type", "context_types", multiple=True,
              help="Share memories of this context type (repeatable).")
@click.option("--tag", "tags", multiple=True,
              help="Share memories carrying this tag (repeatable: any of them).")
@click.option("--memory", "memory_ids", multiple=True, help="Share this memory id (repeatable).")
@click.option("--entity-type", "entity_types", multiple=True,
              help="Share entities of this type, with their observations (repeatable: any).")
@click.option("--entity", "entity_ids", multiple=True,
              help="Share this entity id (ent_…), with its observations (repeatable).")
@click.option("--expires", "expires_at", type=click.DateTime(
    ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
              help="Until when (UTC; default: until revoked).")
@json_option()
def share_grant(tenant_id: str, grantee_id: str, context_types: tuple[str, ...],
                tags: tuple[str, ...], memory_ids: tuple[str, ...],
                entity_types: tuple[str, ...], entity_ids: tuple[str, ...],
                expires_at: datetime | None, as_json: bool) -> None:
    """Let --to read the tenant's memories that every given memory criterion covers
    (context types, tags, memory ids) and its entities that every given entity criterion
    covers (entity types, entity ids), until --expires. Both tenants must be at isolation
    level shared or federated; private memories and entities are never shared. Prints the
    grant id."""
    with cli_errors(), connect_admin() as admin:
        if expires_at is not None and expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        grant = admin.grant_share(tenant_id, grantee_id,
                                  context_types=list(context_types) or None,
                                  tags=list(tags) or None, memory_ids=list(memory_ids) or None,
                                  expires_at=expires_at,
                                  entity_types=list(entity_types) or None,
                                  entity_ids=list(entity_ids) or None)
    emit_json({"id": str(grant)}) if as_json else click.echo(grant)


@share_group.command("revoke")
@tenant_option
@click.argument("grant_id")
@json_option()
def share_revoke(tenant_id: str, grant_id: str, as_json: bool) -> None:
    """Revoke the tenant's grant GRANT_ID: the grantee's next statement no longer sees it."""
    with cli_errors(), connect_admin() as admin:
        revoked = admin.revoke_share(tenant_id, grant_id)
    if as_json:
        emit_json({"revoked": revoked})
    else:
        click.echo("revoked" if revoked else "already revoked")


@share_group.command("list")
@click.option("--tenant", "tenant_id",
              help="Tenant id (UUID): its grants, given and received; without it, every live "
                   "grant of the deployment (the DBA's list).")
@json_option()
def share_list(tenant_id: str | None, as_json: bool) -> None:
    """A tenant's grants (given and received), or every live grant."""
    with cli_errors(), connect_admin() as admin:
        rows = admin.list_shares(tenant_id)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no grants" if tenant_id else "no live grants")
        return
    for g in rows:
        until = f"until {g['expires_at']:%Y-%m-%d %H:%M}" if g["expires_at"] else "until revoked"
        if tenant_id:
            state = "live" if g["live"] else ("revoked" if g["revoked_at"] else "expired")
            other = g["grantee_id"] if g["direction"] == "given" else g["source_tenant_id"]
            arrow = "to  " if g["direction"] == "given" else "from"
            click.echo(f"{g['id']}  {arrow} {other}  {_scope_text(g)}  {until}  {state}")
        else:
            click.echo(f"{g['id']}  {g['tenant_name']} -> {g['grantee_name']}  "
                       f"{_scope_text(g)}  {until}  by {g['granted_by']}")
