"""``cogdb audit policies``: the DBA report (cogdb.policy_report), for an admin or auditor
login (COGDB_ADMIN_URL)."""
from __future__ import annotations

import sys

import click

from ..api.client import connect_admin
from .common import EXIT_FINDINGS, cli_errors, emit_json, json_option


@click.group("audit")
def audit_group() -> None:
    """What a DBA checks: the isolation report (admin or auditor)."""


@audit_group.command("policies")
@json_option()
def audit_policies(as_json: bool) -> None:
    """List every finding of cogdb.policy_report(): tables without forced RLS or a tenant
    fence, definer functions without a pinned search_path or executable by PUBLIC, app logins
    that bypass RLS or lack lock/idle timeouts, CONNECT/TEMPORARY for PUBLIC on the database,
    policies that read the context per row. Exits 5 when there is any finding, 0 when none.
    """
    with cli_errors(), connect_admin() as admin:
        rows = admin.policy_report()
    if as_json:
        emit_json(rows)
    elif not rows:
        click.echo("no findings")
    else:
        for r in rows:
            click.echo(f"{r['finding']}  {r['object']}: {r['detail']}")
            click.echo(f"    fix: {r['hint']}")
        click.echo(f"{len(rows)} finding(s)")
    if rows:
        sys.exit(EXIT_FINDINGS)
