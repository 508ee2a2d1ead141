"""``cogdb vocabulary list|add``: the allowed values of enumerated memory fields (admin)."""
from __future__ import annotations

import click

from ..api.client import connect_admin
from .common import cli_errors, emit_json, json_option


@click.group("vocabulary")
def vocabulary_group() -> None:
    """Allowed values of the enumerated memory fields (source, intent_type, …)."""


@vocabulary_group.command("list")
@click.argument("field", required=False)
@json_option()
def vocabulary_list(field: str | None, as_json: bool) -> None:
    """List the allowed values of FIELD (or of every enumerated field)."""
    with cli_errors(), connect_admin() as admin:
        rows = admin.list_vocabulary(field)
    if as_json:
        emit_json(rows)
        return
    by_field: dict[str, list[str]] = {}
    for r in rows:
        by_field.setdefault(r["field"], []).append(r["value"])
    for name, values in by_field.items():
        click.echo(f"{name:<18} {', '.join(values)}")


@vocabulary_group.command("add")
@click.argument("field")
@click.argument("values", nargs=-1, required=True)
@click.option("--description", help="What the values mean.")
@json_option()
def vocabulary_add(field: str, values: tuple[str, ...], description: str | None,
                   as_json: bool) -> None:
    """Accept VALUES in FIELD from now on (admin), e.g. `cogdb vocabulary add source gemini`.
    Values are never removed: stored memories use them."""
    with cli_errors(), connect_admin() as admin:
        allowed = admin.add_vocabulary(field, values, description)
    if as_json:
        emit_json({"field": field, "values": allowed})
    else:
        click.echo(f"{field}: {', '.join(allowed)}")
