"""``cogdb migrate``: Alembic upgrade or downgrade, as the admin login.

A downgrade that drops data (tables, columns) says which revisions it undoes and how many rows
the tables it touches hold, and asks first (``--yes`` skips the question; with ``--json`` and
no ``--yes`` it is refused).
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from .. import config
from ..api.client import connect_admin
from ..db import urls
from ..db.errors import CogdbError, translate
from .common import cli_errors, emit_json, json_option

if TYPE_CHECKING:  # importing Alembic takes a while; the command imports it when it runs
    from ..ops.migrate import Downgrade


def _rows(n: int | None, exact: bool) -> str:
    if n is None:
        return "row count unknown: not analysed yet"
    count = f"{n:,} row{'' if n == 1 else 's'}"
    return count if exact else f"about {count}"


def _dropped(plan: Downgrade) -> list[str]:
    """What the downgrade drops, one item per table or column, with the rows concerned."""
    items = []
    for kind, table, column in plan.drops:
        rows = _rows(plan.rows.get(table), plan.exact)
        if kind == "table":
            items.append(f"table {table} ({rows})")
        elif kind == "column":
            items.append(f"column {table}.{column} (of {rows})")
        else:
            items.append(f"column {table}.{column}, converted back to its older type "
                         f"(of {rows})")
    return items


def _describe(plan: Downgrade) -> list[str]:
    out = [f"migrating down from {plan.before} to {plan.target or 'base'} undoes:"]
    out += [f"  {r.id}  {r.title}" for r in plan.undone]
    out.append("and drops every cogdb table (the roles and schema cogdb stay):"
               if plan.target is None else "and drops:")
    out += [f"  {item}" for item in _dropped(plan)]
    if not plan.exact:
        out.append("(estimates: this login does not bypass row-level security, so it cannot "
                   "count the rows)")
    return out


def _confirm(plan: Downgrade | None, yes: bool, as_json: bool) -> None:
    """Ask before a downgrade that drops data; refuse with --json unless --yes."""
    if plan is None or not plan.drops_data or yes:
        return
    if as_json:
        every = "every cogdb table: " if plan.target is None else ""
        raise CogdbError(f"migrating down to {plan.target or 'base'} undoes "
                         f"{', '.join(r.id for r in plan.undone)} and drops {every}"
                         f"{', '.join(_dropped(plan))}",
                         hint="Pass --yes to confirm (back up first: pg_dump as a superuser).")
    for line in _describe(plan):
        click.echo(line, err=True)
    try:
        confirmed = click.confirm("Drop this data?", default=False, err=True)
    except click.Abort:  # end of input: no answer is no
        confirmed = False
    if not sys.stdin.isatty():  # the answer was not echoed: end the prompt's line
        click.echo(err=True)
    if not confirmed:
        raise CogdbError("downgrade not confirmed: nothing was changed",
                         hint="Pass --yes to downgrade without the question.")


@click.command("migrate")
@click.option("--to", "target", default="head", show_default=True,
              help="Target revision: head, base, or a revision id (up or down).")
@click.option("--yes", is_flag=True,
              help="Downgrade without asking, even when it drops tables or columns.")
@json_option()
def migrate_command(target: str, yes: bool, as_json: bool) -> None:
    """Migrate the database to a revision (as COGDB_ADMIN_URL or the embedded superuser).

    A downgrade that drops data lists the revisions it undoes and the rows it would drop,
    and asks first; --yes skips the question (needed with --json).
    """
    from ..ops import migrate

    with cli_errors():
        migrate.resolve(target)  # an unknown revision fails before any connection
        url = urls.admin_url()
        try:
            plan = migrate.plan_downgrade(url, target)
            _confirm(plan, yes, as_json)
            before, after = migrate.migrate(url, target)
        except CogdbError:
            raise
        except Exception as exc:  # SQLAlchemy wraps driver errors
            orig = getattr(exc, "orig", None)
            if orig is not None:
                raise translate(orig) from exc
            raise
        if not config.uses_external_server() and after is not None:
            with connect_admin() as admin:
                migrate.prepare_embedded_database(admin)
    undone = [{"id": r.id, "title": r.title} for r in plan.undone] if plan else []
    if as_json:
        emit_json({"before": before, "after": after, "undone": undone})
    else:
        click.echo(f"migrated: {before or 'base'} -> {after or 'base'}")
