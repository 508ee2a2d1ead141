"""``cogdb model register|list|migrate|cleanup|migrations``: the registry of embedding models
and re-embedding a tenant with another one (admin)."""
from __future__ import annotations

from dataclasses import asdict

import click

from ..api.client import connect_admin
from ..embedders import SPECS
from ..ops.model_migrate import DEFAULT_BATCH, DEFAULT_SETTLE_BATCH
from .common import cli_errors, emit_json, json_option


@click.group("model")
def model_group() -> None:
    """Embedding models: register one, list them, move a tenant to another (admin)."""


@model_group.command("register")
@click.argument("name")
@click.option("--dimensions", required=True, type=int, help="Length of its vectors.")
@click.option("--embedder", help="What makes its vectors from text: " + "; ".join(
    f"{k} (takes {v})" if v != "nothing" else k for k, v in SPECS.items())
    + ". e.g. sentence-transformers:all-MiniLM-L6-v2. Leave out when you pass vectors.")
@click.option("--description", help="What the model is.")
@json_option()
def model_register(name: str, dimensions: int, embedder: str | None,
                   description: str | None, as_json: bool) -> None:
    """Register embedding model NAME (idempotent; a known name with other dimensions
    conflicts). Then make it a tenant's default: cogdb tenant set T default_model=NAME."""
    with cli_errors(), connect_admin() as admin:
        admin.register_model(name, dimensions, description=description, embedder=embedder)
        row = next(m for m in admin.list_models() if m["name"] == name)
    if as_json:
        emit_json(row)
    else:
        click.echo(f"model {row['name']}: {row['dimensions']} dimensions, {row['metric']}, "
                   f"embedder {row['embedder'] or '-'}")


@model_group.command("list")
@json_option()
def model_list(as_json: bool) -> None:
    """List the registered embedding models."""
    with cli_errors(), connect_admin() as admin:
        rows = admin.list_models()
    if as_json:
        emit_json(rows)
        return
    click.echo(f"{'name':<28} {'dims':>5}  {'embedder':<40} description")
    for m in rows:
        click.echo(f"{m['name']:<28} {m['dimensions']:>5}  {m['embedder'] or '-':<40} "
                   f"{m['description'] or ''}".rstrip())


@model_group.command("migrate")
@click.option("--tenant", "tenant_id", required=True, help="Tenant id (UUID).")
@click.option("--to", "to_model", required=True, help="The registered model to move to.")
@click.option("--batch", type=click.IntRange(1, 100000), default=DEFAULT_BATCH,
              show_default=True, help="Memories embedded per transaction.")
@click.option("--no-cut-over", is_flag=True,
              help="Embed (and index) only; run again without it to cut over.")
@click.option("--settle-batch", type=click.IntRange(1, 100000), default=DEFAULT_SETTLE_BATCH,
              show_default=True, help="Memories (then entities) moved per settle transaction "
              "after a cutover that only flipped the default model.")
@json_option()
def model_migrate(tenant_id: str, to_model: str, batch: int, no_cut_over: bool,
                  settle_batch: int, as_json: bool) -> None:
    """Re-embed a tenant's memories with model --to without stopping it, then switch the
    tenant to it in one transaction (its searches see the old model before, the new one
    after, never a mix). Resumes where a killed run stopped; progress on stderr.

    Writes during the migration get both vectors; a final pass embeds anything left. A
    tenant with its own ANN index, migrated by a member of cogdb_owner, gets the new model's
    indexes built CONCURRENTLY first, so its cutover only flips the default model (writes
    wait milliseconds) and the memories, then the entities, settle afterwards in short
    transactions (phase settling; a killed run resumes there). Otherwise the new index is
    built in the cutover's transaction (its writes wait meanwhile, its searches do not).
    The old vectors are kept until `cogdb model cleanup --tenant T --model OLD`."""
    echo = None if as_json else (lambda line: click.echo(line, err=True))
    with cli_errors(), connect_admin() as admin:
        done = admin.migrate_model(tenant_id, to_model, batch=batch, cut_over=not no_cut_over,
                                   echo=echo, settle_batch=settle_batch)
    if as_json:
        emit_json(asdict(done))
        return
    click.echo(f"tenant {done.tenant_id}: {done.from_model} -> {done.to_model}, phase "
               f"{done.phase}; {done.embedded} memories embedded in {done.batches} batches"
               f", {done.entities_embedded} entities"
               + (f", cut over in {done.cutover_seconds} s" if done.cutover_seconds is not None
                  else "")
               + (f", {done.settled} memories and entities settled in {done.settle_seconds} s"
                  if done.settle_seconds is not None else ""))


@model_group.command("cleanup")
@click.option("--tenant", "tenant_id", required=True, help="Tenant id (UUID).")
@click.option("--model", required=True, help="The model whose kept vectors to delete (the "
              "old model of a cutover).")
@click.option("--batch", type=click.IntRange(1, 100000), default=1000, show_default=True,
              help="Vectors deleted per transaction.")
@json_option()
def model_cleanup(tenant_id: str, model: str, batch: int, as_json: bool) -> None:
    """Delete the vectors of --model that a cutover kept for the tenant, in short
    transactions; the migration becomes phase cleaned."""
    echo = None if as_json else (lambda line: click.echo(line, err=True))
    with cli_errors(), connect_admin() as admin:
        done = admin.cleanup_model(tenant_id, model, batch=batch, echo=echo)
    if as_json:
        emit_json(asdict(done))
    else:
        click.echo(f"tenant {done.tenant_id}: {done.deleted} vectors of {done.model} deleted")


@model_group.command("migrations")
@click.option("--tenant", "tenant_id", help="Tenant id (UUID); every tenant when left out.")
@json_option()
def model_migrations(tenant_id: str | None, as_json: bool) -> None:
    """List model migrations, newest first: phase, models, progress."""
    with cli_errors(), connect_admin() as admin:
        rows = admin.model_migrations(tenant_id)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no model migrations")
        return
    click.echo(f"{'tenant':<36}  {'from':<20} {'to':<20} {'phase':<9} {'embedded':>9} "
               f"{'total':>7}  started")
    for r in rows:
        click.echo(f"{r['tenant_id']!s:<36}  {r['from_model']:<20} {r['to_model']:<20} "
                   f"{r['phase']:<9} {r['embedded']:>9} {r['total']:>7}  "
                   f"{r['started_at']:%Y-%m-%d %H:%M}")
