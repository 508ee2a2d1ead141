"""CLI commands for import, export and provisioning listings (issue 4).

Registered on the groups of :mod:`cogdb.cli` when that module is imported:
``cogdb import nodes|chat``, ``cogdb export nodes``, ``cogdb tenant list|show|set`` and
``cogdb user list``.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from .cli import cli_errors, emit_json, main, tenant, user
from .errors import InvalidInput

NAIVE_UTC = "Timestamps without a UTC offset are taken as UTC."


class _Progress:
    """A progress bar with rate and ETA on a terminal; plain lines every few seconds
    otherwise (logs, CI)."""

    def __init__(self, label: str, every: float = 2.0, bar: bool = True) -> None:
        self.label = label
        self.every = every
        self.started = time.perf_counter()
        self.last = 0.0
        self.done = 0
        self.bar: Any = None
        self.tty = bar and sys.stderr.isatty()

    def rate(self) -> float:
        elapsed = time.perf_counter() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def __call__(self, done: int, total: int) -> None:
        step, self.done = done - self.done, done
        if self.tty:
            if self.bar is None:
                self.bar = click.progressbar(
                    length=total, label=self.label, file=sys.stderr, show_eta=True,
                    show_pos=True, item_show_func=lambda _: f"{self.rate():,.0f}/s")
                self.bar.__enter__()
            self.bar.update(step, current_item=done)
            if done >= total:
                self.close()
            return
        now = time.perf_counter()
        if now - self.last >= self.every or done >= total:
            self.last = now
            rate = self.rate()
            eta = (total - done) / rate if rate else 0
            pct = 100.0 * done / total if total else 100.0
            click.echo(f"{self.label}: {done:,}/{total:,} ({pct:.1f}%), {rate:,.0f}/s, "
                       f"ETA {eta:.0f}s", err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _connect(pool_size: int = 2):
    from .client import connect

    return connect(pool_size=pool_size)


# --- import / export ---------------------------------------------------------------------

@main.group("import")
def import_group() -> None:
    """Import memories: a file-based store (nodes) or a provider's chat export (chat)."""


@main.group("export")
def export_group() -> None:
    """Export memories in the file-based store's format."""


def _print_report(report: Any, as_json: bool, max_lines: int = 50) -> None:
    not_updated = sorted(set(report.conflicts) - set(report.updated))
    if as_json:
        emit_json({
            "found": report.found, "imported": report.imported,
            "already_present": report.already_present,
            "conflicts": len(report.conflicts), "conflict_ids": report.conflicts,
            "updated": len(report.updated), "not_updated_ids": not_updated,
            "rejected": report.rejected, "aborted": report.aborted, "dry_run": report.dry_run,
            "problems": [{"index": p.index, "id": p.id, "reasons": p.reasons}
                         for p in report.problems],
            "reject_file": report.reject_file, "model": report.model,
            "ignored_fields": report.ignored_fields,
            "seconds": round(report.seconds, 3), "rate": round(report.rate, 1),
            "timings": {k: round(v, 3) for k, v in report.timings.items()},
        })
        return
    for p in report.problems[:max_lines]:
        click.echo(f"rejected: {p.line()}", err=True)
    if len(report.problems) > max_lines:
        click.echo(f"rejected: … and {len(report.problems) - max_lines} more (all in "
                   f"{report.reject_file})", err=True)
    if report.ignored_fields:
        fields = ", ".join(f"{k} ({n})" for k, n in sorted(report.ignored_fields.items()))
        click.echo(f"ignored fields (tenant and owner come from --tenant/--user): {fields}",
                   err=True)
    ids = ", ".join(report.conflicts[:20]) + (" …" if len(report.conflicts) > 20 else "")
    lines = [
        ("found", f"{report.found:,}"),
        ("imported", f"{report.imported:,}"),
        ("already present", f"{report.already_present:,}"),
        ("conflicts", f"{len(report.conflicts):,}" + (f" ({ids})" if ids else "")),
    ]
    if report.updated or not_updated:
        lines.append(("updated", f"{len(report.updated):,}"))
    lines += [
        ("rejected", f"{report.rejected:,}"
         + (f" (reasons in {report.reject_file})" if report.reject_file else "")),
        ("time", f"{report.seconds:.2f} s"),
        ("rate", f"{report.rate:,.0f} nodes/s"),
    ]
    for label, value in lines:
        click.echo(f"{label:<16} {value}")
    if report.dry_run:
        click.echo("dry run: nothing was written")
    if report.aborted:
        click.secho(f"aborted: {report.rejected:,} invalid record(s), nothing was written "
                    "(fix them, or pass --on-error skip to import the valid ones)",
                    fg="red", err=True)
    elif not_updated:
        click.secho(f"{len(not_updated):,} conflict(s) left unchanged: the id is taken by "
                    "a memory with other content (pass --update to replace it)", fg="yellow",
                    err=True)


@import_group.command("nodes")
@click.option("--tenant", "tenant_id", required=True, help="Tenant id (UUID).")
@click.option("--user", "user_id", help="User id (UUID): owner of the imported memories.")
@click.option("--data-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder with corpus/nodes.json and vectors/nodes.npy.")
@click.option("--model", help="Embedding model of the vectors (default: the tenant's).")
@click.option("--on-error", type=click.Choice(["abort", "skip"]), default="abort",
              show_default=True,
              help="abort: write nothing if any record is invalid; skip: import the valid ones.")
@click.option("--reject-file", type=click.Path(dir_okay=False, path_type=Path),
              default="import-rejects.jsonl", show_default=True,
              help="Where invalid records go, with their index, id and reasons (JSON lines).")
@click.option("--update", is_flag=True,
              help="Replace memories whose id is present with other content (conflicts).")
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100000),
              help="Records per transaction (each batch commits on its own).")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 16),
              help="Connections writing batches at once.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable summary.")
def import_nodes_cmd(tenant_id: str, user_id: str | None, data_dir: Path, model: str | None,
                     on_error: str, reject_file: Path, update: bool, dry_run: bool,
                     batch_size: int, workers: int, as_json: bool) -> None:
    """Import a file-based memory store (the seeds' nodes.json + nodes.npy).

    Validates every record before writing anything and reports each problem with the
    record's index and id. Tenant and owner come from --tenant/--user, never from the file.
    Timestamps without a UTC offset are taken as UTC. Safe to run again: records already
    present are counted, not duplicated; a record whose id is present with other content
    is a conflict (reported; replaced only with --update). Exit code 0 when everything is
    in, 1 when records were rejected or the run aborted, 2 when conflicts were left.
    """
    from .importer import import_nodes

    progress = _Progress("import")
    with cli_errors():
        if not as_json:
            click.echo(f"validating {data_dir} (nothing is written before this ends) …", err=True)
        with _connect(pool_size=workers) as client:
            report = import_nodes(client, tenant_id, data_dir, user=user_id, model=model,
                                  on_error=on_error, update=update, dry_run=dry_run,
                                  batch_size=batch_size, reject_file=reject_file,
                                  progress=progress, workers=workers)
        progress.close()
        _print_report(report, as_json)
    if report.aborted or report.rejected:
        sys.exit(1)
    if set(report.conflicts) - set(report.updated):
        sys.exit(2)


@export_group.command("nodes")
@click.option("--tenant", "tenant_id", required=True, help="Tenant id (UUID).")
@click.option("--user", "user_id", help="User id (UUID): include that user's private memories.")
@click.option("--data-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write corpus/nodes.json and vectors/nodes.npy into.")
@click.option("--model", help="Export the memories of this model (default: the tenant's).")
def export_nodes_cmd(tenant_id: str, user_id: str | None, data_dir: Path,
                     model: str | None) -> None:
    """Write the tenant's memories in the file-based store's format (UTC timestamps)."""
    from .importer import export_nodes

    progress = _Progress("export")
    with cli_errors(), _connect() as client:
        n, name = export_nodes(client, tenant_id, data_dir, user=user_id, model=model,
                               progress=progress)
        progress.close()
    click.echo(f"exported {n:,} memories of model {name} to {data_dir}")


@import_group.command("chat")
@click.option("--tenant", "tenant_id", required=True, help="Tenant id (UUID).")
@click.option("--user", "user_id", required=True, help="User id (UUID): whose chats these are.")
@click.option("--provider", type=click.Choice(["chatgpt", "claude"]), required=True,
              help="Whose export: ChatGPT's or Claude's conversations.json.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10000),
              help="Memories per transaction.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable summary.")
def import_chat_cmd(tenant_id: str, user_id: str, provider: str, file: Path, batch_size: int,
                    as_json: bool) -> None:
    """Import a provider's chat export as question/answer memories of --user.

    Follows ChatGPT's current branch (the path to current_node) and Claude's chat_messages;
    skips system and tool messages, non-text parts and empty messages (counted). Ids are
    deterministic, so a re-run adds nothing. Needs the tenant setting features.chat_import
    (on by default for personal tenants, off for enterprise ones).
    """
    from .chat_export import import_chat

    progress = _Progress("import chat", bar=False)  # the total is unknown until the end
    with cli_errors(), _connect() as client:
        report = import_chat(client, tenant_id, user_id, provider, file,
                             batch_size=batch_size, progress=progress)
        progress.close()
    if as_json:
        emit_json(report.as_dict())
    else:
        for label, value in report.lines():
            click.echo(f"{label:<24} {value}")


# --- provisioning listings ------------------------------------------------------------------

def _admin():
    from .client import connect_admin

    return connect_admin()


def _setting(assignment: str) -> tuple[str, Any]:
    key, sep, raw = assignment.partition("=")
    if not sep or not key:
        raise InvalidInput(f"expected KEY=VALUE, got {assignment!r}", field="setting",
                           hint="e.g. features.chat_import=false")
    raw = raw.strip()
    if raw.lower() == "default":
        return key.strip(), None
    try:
        return key.strip(), json.loads(raw.lower() if raw.lower() in ("true", "false") else raw)
    except json.JSONDecodeError:
        raise InvalidInput(f"{key}: {raw!r} is not a JSON value", field="setting",
                           hint="Use true, false or default.") from None


def _literal(value: str | None) -> str:
    from psycopg import sql

    return sql.Literal(value).as_string(None)


def _uuid_literal(value: str) -> str:
    from .client import _as_uuid

    return _literal(_as_uuid(value, "tenant"))


@tenant.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--sql", "as_sql", is_flag=True, help="Print the SQL for a DBA instead.")
def tenant_list(as_json: bool, as_sql: bool) -> None:
    """List every tenant with its mode and effective settings (admin)."""
    if as_sql:
        click.echo("SELECT * FROM cogdb.list_tenants();")
        return
    with cli_errors(), _admin() as admin:
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


@tenant.command("show")
@click.argument("tenant_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--sql", "as_sql", is_flag=True, help="Print the SQL for a DBA instead.")
def tenant_show(tenant_id: str, as_json: bool, as_sql: bool) -> None:
    """Show one tenant: fields, stored and effective settings, users (admin)."""
    if as_sql:
        with cli_errors():
            t = _uuid_literal(tenant_id)
            click.echo(f"SELECT * FROM cogdb.list_tenants() WHERE id = {t};\n"
                       f"SELECT * FROM cogdb.list_users({t});")
        return
    with cli_errors(), _admin() as admin:
        row = admin.get_tenant(tenant_id)
        users = admin.list_users(tenant_id)
    row = {**row, "users": users}
    if as_json:
        emit_json(row)
        return
    for key in ("id", "name", "external_id", "mode", "isolation_level", "default_model",
                "created_at"):
        click.echo(f"{key:<18} {row[key] if row[key] is not None else '-'}")
    click.echo(f"{'settings':<18} {json.dumps(row['settings'])}")
    click.echo(f"{'effective':<18} {json.dumps(row['effective_settings'])}")
    click.echo(f"{'users':<18} {len(users)}")
    for u in users:
        click.echo(f"  {u['id']}  {u['email']}  {' '.join(u['identities'])}".rstrip())


@tenant.command("set")
@click.argument("tenant_id")
@click.argument("assignment", metavar="KEY=VALUE")
@click.option("--sql", "as_sql", is_flag=True, help="Print the SQL for a DBA instead.")
def tenant_set(tenant_id: str, assignment: str, as_sql: bool) -> None:
    """Change a tenant setting (admin), e.g. features.chat_import=false; `default` removes
    it so the tenant's mode decides (chat_import: on for personal, off for enterprise)."""
    with cli_errors():
        key, value = _setting(assignment)
        from .client import AdminClient

        if as_sql:
            click.echo(AdminClient.set_tenant_setting_sql(tenant_id, key, value))
            return
        with _admin() as admin:
            effective = admin.set_tenant_setting(tenant_id, key, value)
    shown = json.dumps(value) if value is not None else "default"
    click.echo(f"tenant {tenant_id}: {key} = {shown} (effective settings {json.dumps(effective)})")


@user.command("list")
@click.option("--tenant", "tenant_id", required=True, help="Tenant id (UUID).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--sql", "as_sql", is_flag=True, help="Print the SQL for a DBA instead.")
def user_list(tenant_id: str, as_json: bool, as_sql: bool) -> None:
    """List the users of a tenant (admin)."""
    if as_sql:
        with cli_errors():
            click.echo(f"SELECT * FROM cogdb.list_users({_uuid_literal(tenant_id)});")
        return
    with cli_errors(), _admin() as admin:
        rows = admin.list_users(tenant_id)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no users")
    for u in rows:
        click.echo(f"{u['id']}  {u['email']}  {' '.join(u['identities'])}".rstrip())

