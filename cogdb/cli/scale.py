"""``cogdb scale-out plan``: the Citus plan for this database (admin; docs/scale-out.md)."""
from __future__ import annotations

import click

from ..api.client import connect_admin
from .common import cli_errors, emit_json, json_option


@click.group("scale-out")
def scale_out_group() -> None:
    """Growing past one server: the Citus plan a DBA checks and runs (docs/scale-out.md)."""


@scale_out_group.command("plan")
@click.option("--sql", "as_sql", is_flag=True,
              help="Print only the statements (with the notes as comments), for psql on the "
                   "coordinator.")
@json_option()
def scale_out_plan(as_sql: bool, as_json: bool) -> None:
    """Print how this database is distributed by tenant with Citus: each table distributed by
    tenant_id (co-located), a reference table, or left on the coordinator, in the order to run
    them. Read from the catalog (cogdb.distribution_plan()); nothing is changed."""
    with cli_errors(), connect_admin() as admin:
        steps = admin.distribution_plan()
    if as_json:
        emit_json(steps)
    elif as_sql:
        click.echo("-- cogdb scale-out plan: run on the Citus coordinator, in this order.")
        for s in steps:
            click.echo(f"-- {s['note']}")
            click.echo(f"{s['statement']};" if s["statement"] else
                       f"-- ({s['table_name']}: nothing to run)")
    else:
        click.echo(f"{'step':>4}  {'table':<28} {'placement':<12} statement")
        for s in steps:
            click.echo(f"{s['step']:>4}  {s['table_name'] or '-':<28} {s['placement'] or '-':<12} "
                       f"{s['statement'] or '-'}")
