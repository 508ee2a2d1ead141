"""``cogdb tenant create|list|show|set``: provisioning tenants (admin)."""
from __future__ import annotations

import json
from typing import Any

import click

from ..api.client import connect_admin
from ..api.provisioning import AdminClient
from ..db.errors import InvalidInput
from .common import cli_errors, echo_sql, emit_json, json_option, sql_option, uuid_literal
from .knowledge import print_stats


@click.group("tenant")
def tenant_group() -> None:
    """Provision tenants (admin)."""


def _setting(assignment: str) -> tuple[str, Any]:
    key, sep, raw = assignment.partition("=")
    if not sep or not key:
        raise InvalidInput(f"expected KEY=VALUE, got {assignment!r}", field="setting",
                           hint="e.g. features.chat_import=false")
    raw, key = raw.strip(), key.strip()
    if raw.lower() == "default":
        return key, None
    if key in ("default_model", "search.language", "gdpr.erase_shared") \
            and not raw.startswith('"'):
        return key, raw  # a model, text search configuration or policy name, as typed
    try:
        return key, json.loads(raw.lower() if raw.lower() in ("true", "false") else raw)
    except json.JSONDecodeError:
        raise InvalidInput(f"{key}: {raw!r} is not a JSON value", field="setting",
                           hint="Use true, false, a model name (default_model) or default.") \
            from None


@tenant_group.command("create")
@click.option("--name", required=True, help="Display name.")
@click.option("--mode", type=click.Choice(["personal", "enterprise"]), default="personal",
              show_default=True)
@click.option("--external-id", help="Your id for the tenant; makes creation idempotent.")
@click.option("--isolation-level", type=click.Choice(["strict", "shared", "federated"]),
              default="strict", show_default=True)
@click.option("--default-model", help="Embedding model of the tenant (a registered name).")
@json_option()
@sql_option
def tenant_create(name: str, mode: str, external_id: str | None, isolation_level: str,
                  default_model: str | None, as_json: bool, as_sql: bool) -> None:
    """Create a tenant and print its id."""
    if as_sql:
        echo_sql(AdminClient.create_tenant_sql(
            name, mode=mode, external_id=external_id, isolation_level=isolation_level,
            default_model=default_model), as_json)
        return
    with cli_errors(), connect_admin() as admin:
        t = admin.create_tenant(name, mode=mode, external_id=external_id,
                                isolation_level=isolation_level, default_model=default_model)
        if as_json:
            emit_json(t)
        else:
            click.echo(f"tenant {t.id}  {t.name} ({t.mode})")


@tenant_group.command("list")
@json_option()
@sql_option
def tenant_list(as_json: bool, as_sql: bool) -> None:
    """List every tenant with its mode and effective settings (admin)."""
    if as_sql:
        echo_sql("SELECT * FROM cogdb.list_tenants();", as_json)
        return
    with cli_errors(), connect_admin() as admin:
        rows = admin.list_tenants()
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no tenants")
    for r in rows:
        chat = "on" if r["effective_settings"]["features"]["chat_import"] else "off"
        ext = f"  external_id={r['external_id']}" if r["external_id"] else ""
        click.echo(f"{r['id']}  {r['mode']:<10}  chat_import={chat:<3}  {r['name']}{ext}")


@tenant_group.command("show")
@click.argument("tenant_id")
@json_option()
@sql_option
def tenant_show(tenant_id: str, as_json: bool, as_sql: bool) -> None:
    """Show one tenant: fields, stored and effective settings, users, statistics (admin)."""
    if as_sql:
        with cli_errors():
            t = uuid_literal(tenant_id)
            echo_sql(f"SELECT * FROM cogdb.list_tenants() WHERE id = {t};\n"
                     f"SELECT * FROM cogdb.list_users({t});\n"
                     f"SELECT cogdb.tenant_stats({t});", as_json)
        return
    with cli_errors(), connect_admin() as admin:
        row = admin.get_tenant(tenant_id)
        users = admin.list_users(tenant_id)
        stats = admin.tenant_stats(tenant_id)
    row = {**row, "users": users, "stats": stats}
    if as_json:
        emit_json(row)
        return
    for key in ("id", "name", "external_id", "mode", "isolation_level", "default_model",
                "created_at"):
        click.echo(f"{key:<18} {row[key] if row[key] is not None else '-'}")
    click.echo(f"{'settings':<18} {json.dumps(row['settings'])}")
    click.echo(f"{'effective':<18} {json.dumps(row['effective_settings'])}")
    memories = row["memories"]
    click.echo(f"{'memories':<18} {sum(memories.values()):,}"
               + (" (" + ", ".join(f"{n:,} {m}" for m, n in memories.items()) + ")"
                  if memories else ""))
    click.echo(f"{'users':<18} {len(users)}")
    for u in users:
        click.echo(f"  {u['id']}  {u['email']}  {' '.join(u['identities'])}".rstrip())
    click.echo("statistics (cogdb.tenant_stats):")
    print_stats(stats)


@tenant_group.command("set")
@click.argument("tenant_id")
@click.argument("assignment", metavar="KEY=VALUE")
@json_option()
@sql_option
def tenant_set(tenant_id: str, assignment: str, as_json: bool, as_sql: bool) -> None:
    """Change a tenant setting (admin): features.chat_import=true|false,
    default_model=NAME (a registered model: `cogdb model list`), or search.language=NAME (a
    text search configuration such as english, german, simple: the language of hybrid
    search's full-text index, which is rebuilt). `default` removes it so the tenant's mode
    decides (chat_import: on for personal, off for enterprise), the deployment's default
    model applies, or the language is english again."""
    with cli_errors():
        key, value = _setting(assignment)
        if as_sql:
            echo_sql(AdminClient.set_tenant_setting_sql(tenant_id, key, value), as_json)
            return
        with connect_admin() as admin:
            effective = admin.set_tenant_setting(tenant_id, key, value)
    if as_json:
        emit_json({"tenant_id": tenant_id, "key": key, "value": value,
                   "effective_settings": effective})
        return
    shown = json.dumps(value) if value is not None else "default"
    click.echo(f"tenant {tenant_id}: {key} = {shown} (effective settings {json.dumps(effective)})")
