"""``cogdb model register|list``: the registry of embedding models (admin)."""
from __future__ import annotations

import click

from ..api.client import connect_admin
from ..embedders import SPECS
from .common import cli_errors, emit_json, json_option


@click.group("model")
def model_group() -> None:
    """Embedding models: register one, list them (admin)."""


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
