"""``cogdb audit verify|log|seal``: the tamper-evident audit trail, for the auditor
(COGDB_AUDITOR_URL, a member of cogdb_auditor; else COGDB_ADMIN_URL); ``cogdb audit
policies``: the DBA report (cogdb.policy_report), for an admin or auditor login."""
from __future__ import annotations

import json
import sys
from datetime import datetime

import click

from ..api.client import connect_admin, connect_auditor
from .common import EXIT_AUDIT_BROKEN, EXIT_FINDINGS, cli_errors, emit_json, json_option


@click.group("audit")
def audit_group() -> None:
    """Verify and read the audit trail (auditor); the DBA's isolation report (policies)."""


@audit_group.command("verify")
@click.option("--tenant", "tenant_id", help="Tenant id (UUID); default: every tenant.")
@json_option()
def audit_verify(tenant_id: str | None, as_json: bool) -> None:
    """Check each tenant's audit chain (sequence, hashes, head, seals) and name the first
    broken record. Exit code 5 when a chain is broken."""
    with cli_errors(), connect_auditor() as auditor:
        rows = auditor.verify(tenant_id)
    if as_json:
        emit_json(rows)
    else:
        for r in rows:
            sealed = f"sealed through {r.sealed_seq}" if r.sealed_seq else "not sealed"
            if r.ok:
                click.echo(f"{r.tenant_id}  ok      {r.records} records, {sealed}")
            else:
                click.echo(f"{r.tenant_id}  BROKEN  at record {r.broken_seq}: {r.problem}")
    if any(not r.ok for r in rows):
        sys.exit(EXIT_AUDIT_BROKEN)


@audit_group.command("log")
@click.option("--tenant", "tenant_id", required=True, help="Tenant id (UUID).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S",
                                              "%Y-%m-%d %H:%M:%S"]),
              help="Only records from this time on (UTC unless the server says otherwise).")
@click.option("--after-seq", type=int, default=0, show_default=True,
              help="Only records after this number (to page).")
@click.option("--limit", type=int, default=1000, show_default=True, help="At most this many.")
@json_option()
def audit_log(tenant_id: str, since: datetime | None, after_seq: int, limit: int,
              as_json: bool) -> None:
    """A tenant's audit records, oldest first: who, when, which table and rows, which
    columns changed, and hashes. Never content."""
    with cli_errors(), connect_auditor() as auditor:
        rows = auditor.log(tenant_id, since=since, after_seq=after_seq, limit=limit)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no audit records")
    for r in rows:
        what = (f"NOTE {r.action} {json.dumps(r.details, default=str)}"
                if r.operation == "NOTE" else
                f"{r.operation} {r.table_name} {r.row_count} row(s)"
                + (f" [{', '.join(r.changed_columns)}]" if r.changed_columns else ""))
        user = f" user {r.context_user}" if r.context_user else ""
        click.echo(f"{r.seq:>6}  {r.recorded_at:%Y-%m-%d %H:%M:%S}  {r.login}{user}  {what}")


@audit_group.command("seal")
@click.option("--tenant", "tenant_id", help="Tenant id (UUID); default: every tenant.")
@json_option()
def audit_seal(tenant_id: str | None, as_json: bool) -> None:
    """Seal the chain heads (record count and head hash), which `audit verify` checks. Keep
    the printed head hashes outside the database too: a superuser can rewrite seals."""
    with cli_errors(), connect_auditor() as auditor:
        rows = auditor.seal(tenant_id)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no audit chains to seal")
    for r in rows:
        state = "sealed" if r.sealed else "already sealed"
        click.echo(f"{r.tenant_id}  {r.seq} records  {r.head_hash}  {state}")


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
