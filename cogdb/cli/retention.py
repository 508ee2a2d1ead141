"""``cogdb retention set|list|hold|release`` and ``cogdb purge``: retention policies, legal
holds and the bounded purge (admin, COGDB_ADMIN_URL)."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from ..api.client import connect_admin
from ..ops.retention import DEFAULT_BATCH
from .common import cli_errors, emit_json, json_option, tenant_option


@click.group("retention")
def retention_group() -> None:
    """Retention policies and legal holds of a tenant (admin)."""


def _print(state: dict[str, Any]) -> None:
    if not state["policies"]:
        click.echo("no retention policies: memories are kept until they expire")
    for p in state["policies"]:
        limits = ", ".join(filter(None, [
            f"max age {p['max_age']}" if p["max_age"] else None,
            f"keep newest {p['max_count']}" if p["max_count"] else None])) or "kept"
        click.echo(f"policy  context_type={p['context_type']:<14} source={p['source']:<12} "
                   f"{limits}  action={p['action']}")
    for h in state["holds"]:
        who = f"user {h['user_id']}" if h["user_id"] else "the whole tenant"
        click.echo(f"hold    {who}: {h['reason']} (placed {h['placed_at']} by {h['placed_by']})")


@retention_group.command("set")
@tenant_option
@click.option("--context-type", default="*", show_default=True,
              help="Context type the policy governs (* for any).")
@click.option("--source", default="*", show_default=True,
              help="Source the policy governs (* for any).")
@click.option("--max-age", help="Maximum age, a PostgreSQL interval: '90 days', '12 hours'.")
@click.option("--max-count", type=int, help="Keep only the newest N memories.")
@click.option("--action", type=click.Choice(["delete", "anonymise"]), default="delete",
              show_default=True, help="What the purge does to memories past the limits.")
@click.option("--remove", is_flag=True, help="Remove the policy for this type and source.")
@json_option()
def retention_set(tenant_id: str, context_type: str, source: str, max_age: str | None,
                  max_count: int | None, action: str, remove: bool, as_json: bool) -> None:
    """Set (or --remove) a tenant's retention policy for a context type and source. The most
    specific policy governs a memory; over-age memories are invisible at once, and `cogdb
    purge` (or `cogdb maintain`) deletes or anonymises them."""
    with cli_errors(), connect_admin() as admin:
        if remove:
            admin.drop_retention(tenant_id, context_type=context_type, source=source)
            state = admin.list_retention(tenant_id)
        else:
            state = admin.set_retention(tenant_id, context_type=context_type, source=source,
                                        max_age=max_age, max_count=max_count, action=action)
    emit_json(state) if as_json else _print(state)


@retention_group.command("list")
@tenant_option
@json_option()
def retention_list(tenant_id: str, as_json: bool) -> None:
    """A tenant's retention policies and legal holds."""
    with cli_errors(), connect_admin() as admin:
        state = admin.list_retention(tenant_id)
    emit_json(state) if as_json else _print(state)


@retention_group.command("hold")
@tenant_option
@click.option("--user", "user_id", help="Hold one user's memories only (UUID).")
@click.option("--reason", required=True, help="Why: the case or request reference.")
@json_option()
def retention_hold(tenant_id: str, user_id: str | None, reason: str, as_json: bool) -> None:
    """Place a legal hold on a tenant (or a user): the purge then keeps what it holds."""
    with cli_errors(), connect_admin() as admin:
        state = admin.place_hold(tenant_id, user=user_id, reason=reason)
    emit_json(state) if as_json else _print(state)


@retention_group.command("release")
@tenant_option
@click.option("--user", "user_id", help="Release the hold on this user (UUID).")
@json_option()
def retention_release(tenant_id: str, user_id: str | None, as_json: bool) -> None:
    """Release a legal hold on a tenant (or a user)."""
    with cli_errors(), connect_admin() as admin:
        released = admin.release_hold(tenant_id, user=user_id)
        state = admin.list_retention(tenant_id)
    if as_json:
        emit_json({"released": released, **state})
    else:
        click.echo("released" if released else "there was no such hold")
        _print(state)


@click.command("purge")
@click.option("--tenant", "tenant_id", help="Tenant id (UUID); every tenant when left out.")
@click.option("--batch", type=click.IntRange(1, 100000), default=DEFAULT_BATCH,
              show_default=True, help="Memories changed per transaction.")
@json_option()
def purge(tenant_id: str | None, batch: int, as_json: bool) -> None:
    """Delete or anonymise the memories that retention says are due (expired, over-age,
    over-count), in short transactions of at most --batch memories, honouring legal holds.
    Safe to run at any time; `cogdb maintain` runs it too."""
    echo = None if as_json else (lambda line: click.echo(line, err=True))
    with cli_errors(), connect_admin() as admin:
        done = admin.purge(tenant_id, batch=batch, echo=echo)
    if as_json:
        emit_json([asdict(d) for d in done])
    elif not done:
        click.echo("nothing to purge")
    else:
        click.echo(f"purged: {sum(d.deleted for d in done)} deleted, "
                   f"{sum(d.anonymised for d in done)} anonymised, {len(done)} tenant(s)")
