"""CLI commands for search maintenance and benchmarks (issue 3).

Registered on the groups of :mod:`cogdb.cli` when that module is imported.
"""
from __future__ import annotations

import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import click

from .cli import cli_errors, emit_json, main


@main.command()
@click.option("--dry-run", is_flag=True, help="Print the plan and the SQL; change nothing.")
@click.option("--maintenance-work-mem", default="512MB", show_default=True,
              help="Memory for each index build (more builds faster, up to the index size).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def maintain(dry_run: bool, maintenance_work_mem: str, as_json: bool) -> None:
    """Give large tenants their own ANN index and drop what is no longer needed.

    Plans in SQL (cogdb.plan_maintenance) and runs each step with CREATE/DROP INDEX
    CONCURRENTLY on an owner connection (COGDB_ADMIN_URL or the embedded superuser), so
    searches and writes continue. Invalid leftovers of interrupted builds are dropped and
    rebuilt. Safe to run at any time, e.g. from cron.
    """
    from . import maintain as maintenance
    from .migrations import admin_url

    with cli_errors():
        echo = (lambda _line: None) if as_json else click.echo
        steps = maintenance.run(admin_url(), echo=echo, dry_run=dry_run,
                                maintenance_work_mem=maintenance_work_mem)
        if as_json:
            emit_json([asdict(s) for s in steps])
        if any(s.error for s in steps):
            sys.exit(1)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def bench(ctx: click.Context) -> None:
    """Run the benchmarks in bench/ (a source checkout): `cogdb bench search --rows 100k`.

    Arguments are passed to `python -m bench`; `cogdb bench --help` lists them.
    """
    root = Path(__file__).resolve().parent.parent
    if not (root / "bench" / "__main__.py").exists():
        raise click.ClickException("the benchmarks live in bench/ of a source checkout of cogdb")
    sys.exit(subprocess.call([sys.executable, "-m", "bench", *ctx.args], cwd=root))
