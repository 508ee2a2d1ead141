"""``cogdb import nodes|chat`` and ``cogdb export nodes``: memories from and to files."""
from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from ..api.client import connect
from ..api.fields import CHAT_EXPORT_SOURCES, ENUM_FIELDS
from ..config import CHAT_BATCH_SIZE, IMPORT_BATCH_SIZE, IMPORT_WORKERS
from ..db.errors import InvalidInput
from ..io.chat import import_chat
from ..io.nodes import ImportReport, export_nodes, import_nodes, problem_groups
from .common import (
    EXIT_ERROR,
    EXIT_LEFT_OUT,
    Progress,
    cli_errors,
    emit_json,
    json_option,
    replica_option,
    tenant_option,
)

#: Connections of the export and the chat import (one writes, one is spare).
POOL_SIZE = 2
#: Rejected records listed one per line; above this they are grouped by reason.
MAX_RECORD_LINES = 10
#: Lines of grouped problems on the terminal (every record is in the reject file).
MAX_GROUPS = 20


@click.group("import")
def import_group() -> None:
    """Import memories: a file-based store (nodes) or a provider's chat export (chat)."""


@click.group("export")
def export_group() -> None:
    """Export memories in the file-based store's format."""


def _print_report(report: ImportReport, as_json: bool) -> None:
    if as_json:
        emit_json(report.as_dict())
        return
    groups = problem_groups(report.problems, report.unknown_value_reasons)
    if 0 < len(report.problems) <= MAX_RECORD_LINES:
        for problem in report.problems:
            click.echo(f"rejected: {problem.line()}", err=True)
    elif groups:
        where = f" (each record and its reasons: {report.reject_file})" if report.reject_file \
            else ""
        click.echo(f"rejected records, by reason{where}:", err=True)
        for reason, n, examples in groups[:MAX_GROUPS]:
            click.echo(f"  {n:>9,}  {reason}  (e.g. {', '.join(examples)})", err=True)
        if len(groups) > MAX_GROUPS:
            click.echo(f"  … and {len(groups) - MAX_GROUPS} more reasons", err=True)
    if report.unknown_values:
        _print_unknown_values(report)
    if report.ignored_fields:
        fields = ", ".join(f"{k} ({n})" for k, n in sorted(report.ignored_fields.items()))
        click.echo(f"ignored fields (tenant and owner come from --tenant/--user): {fields}",
                   err=True)
    for label, value in report.lines():
        click.echo(f"{label:<16} {value}")
    if report.dry_run:
        click.echo("dry run: nothing was written")
    elif report.aborted:
        click.secho(f"aborted: {report.rejected:,} invalid record(s), nothing was written "
                    "(fix them, or pass --on-error skip to import the valid ones)",
                    fg="red", err=True)
    elif report.conflicts_left:
        click.secho(f"{len(report.conflicts_left):,} conflict(s) left unchanged: the id is "
                    "taken by a memory with other content (pass --update to replace it)",
                    fg="yellow", err=True)


def _print_unknown_values(report: ImportReport) -> None:
    """Values outside their field's vocabulary: counted, with examples, and the commands
    that accept them or map them onto known values."""
    click.echo("values outside their field's vocabulary:", err=True)
    for u in report.unknown_values[:MAX_GROUPS]:
        click.echo(f"  {u.field} = {u.value!r}: {u.count:,} records "
                   f"(e.g. {', '.join(u.examples)})", err=True)
    if len(report.unknown_values) > MAX_GROUPS:
        click.echo(f"  … and {len(report.unknown_values) - MAX_GROUPS} more values", err=True)
    by_field: dict[str, list[str]] = {}
    for u in report.unknown_values:
        by_field.setdefault(u.field, []).append(u.value)
    click.echo("accept them (admin), then run the import again:", err=True)
    for name, values in by_field.items():
        click.echo(f"  cogdb vocabulary add {name} "
                   + " ".join(shlex.quote(v) for v in values), err=True)
    first = report.unknown_values[0]
    click.echo(f"or map them onto known values (cogdb vocabulary list {first.field}): "
               f"--map {shlex.quote(f'{first.field}:{first.value}=<known value>')}", err=True)


def _value_map(pairs: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """--map FIELD:FROM=TO options as {field: {from: to}}."""
    mapping: dict[str, dict[str, str]] = {}
    for pair in pairs:
        field, _, rest = pair.partition(":")
        old, sep, new = rest.partition("=")
        if not field or not sep or not old or not new:
            raise InvalidInput(f"--map must be FIELD:FROM=TO, got {pair!r}", field="map",
                               hint="e.g. --map source:gemini=assistant")
        if field not in ENUM_FIELDS:
            raise InvalidInput(f"--map: {field!r} is not an enumerated field; they are "
                               + ", ".join(ENUM_FIELDS), field="map")
        mapping.setdefault(field, {})[old] = new
    return mapping


@import_group.command("nodes")
@tenant_option
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
@click.option("--map", "maps", multiple=True, metavar="FIELD:FROM=TO",
              help="Rename a value of an enumerated field before it is checked, e.g. "
                   "source:gemini=assistant; repeat for several.")
@click.option("--batch-size", default=IMPORT_BATCH_SIZE, show_default=True,
              type=click.IntRange(1, 100000),
              help="Records per transaction (each batch commits on its own).")
@click.option("--workers", default=IMPORT_WORKERS, show_default=True,
              type=click.IntRange(1, 16), help="Connections writing batches at once.")
@json_option("Machine-readable summary.")
def import_nodes_cmd(tenant_id: str, user_id: str | None, data_dir: Path, model: str | None,
                     on_error: str, reject_file: Path, update: bool, dry_run: bool,
                     maps: tuple[str, ...], batch_size: int, workers: int,
                     as_json: bool) -> None:
    """Import a file-based memory store (the seeds' nodes.json + nodes.npy).

    Validates every record before writing anything and reports each problem with the
    record's index and id. Tenant and owner come from --tenant/--user, never from the file.
    Timestamps without a UTC offset are taken as UTC. Safe to run again: records already
    present are counted, not duplicated; a record whose id is present with other content
    is a conflict (reported; replaced only with --update). Exit code 0 when everything is
    in, 1 when the run aborted (nothing written), 4 when it finished with records left out
    (rejected with --on-error skip, or conflicts left unchanged).
    """
    progress = Progress("import")
    with cli_errors():
        value_map = _value_map(maps)
        if not as_json:
            click.echo(f"validating {data_dir} (nothing is written before this ends) …", err=True)
        with connect(pool_size=workers) as client:
            report = import_nodes(client, tenant_id, data_dir, user=user_id, model=model,
                                  on_error=on_error, update=update, dry_run=dry_run,
                                  batch_size=batch_size, reject_file=reject_file,
                                  progress=progress, workers=workers, value_map=value_map)
        progress.close()
        _print_report(report, as_json)
    if report.aborted:
        sys.exit(EXIT_ERROR)
    if report.rejected or report.conflicts_left:
        sys.exit(EXIT_LEFT_OUT)


@export_group.command("nodes")
@tenant_option
@click.option("--user", "user_id", help="User id (UUID): include that user's private memories.")
@click.option("--data-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write corpus/nodes.json and vectors/nodes.npy into.")
@click.option("--model", help="Export the memories of this model (default: the tenant's).")
@replica_option
@json_option("Machine-readable summary.")
def export_nodes_cmd(tenant_id: str, user_id: str | None, data_dir: Path,
                     model: str | None, replicas: tuple[str, ...], as_json: bool) -> None:
    """Write the tenant's memories in the file-based store's format (UTC timestamps)."""
    progress = Progress("export")
    with cli_errors(), connect(pool_size=POOL_SIZE, replicas=list(replicas) or None) as client:
        n, name = export_nodes(client, tenant_id, data_dir, user=user_id, model=model,
                               progress=None if as_json else progress)
        progress.close()
    if as_json:
        emit_json({"exported": n, "model": name, "data_dir": str(data_dir)})
    else:
        click.echo(f"exported {n:,} memories of model {name} to {data_dir}")


@import_group.command("chat")
@tenant_option
@click.option("--user", "user_id", required=True, help="User id (UUID): whose chats these are.")
@click.option("--provider", type=click.Choice(list(CHAT_EXPORT_SOURCES)), required=True,
              help="Whose export: ChatGPT's or Claude's conversations.json.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch-size", default=CHAT_BATCH_SIZE, show_default=True,
              type=click.IntRange(1, 10000), help="Memories per transaction.")
@json_option("Machine-readable summary.")
def import_chat_cmd(tenant_id: str, user_id: str, provider: str, file: Path, batch_size: int,
                    as_json: bool) -> None:
    """Import a provider's chat export as question/answer memories of --user.

    Follows ChatGPT's current branch (the path to current_node) and Claude's chat_messages;
    skips system and tool messages, non-text parts and empty messages (counted). Ids are
    deterministic, so a re-run adds nothing. Needs the tenant setting features.chat_import
    (on by default for personal tenants, off for enterprise ones). A file that is not that
    provider's export is refused before anything is written. Exit code 4 when conflicts
    (ids taken by memories with other content) were left unchanged.
    """
    progress = Progress("import chat", bar=False)  # the total is unknown until the end
    with cli_errors(), connect(pool_size=POOL_SIZE) as client:
        report = import_chat(client, tenant_id, user_id, provider, file,
                             batch_size=batch_size, progress=progress)
        progress.close()
    if as_json:
        emit_json(report.as_dict())
    else:
        for label, value in report.lines():
            click.echo(f"{label:<24} {value}")
    if report.conflicts:
        sys.exit(EXIT_LEFT_OUT)
