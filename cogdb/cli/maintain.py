"""``cogdb maintain`` (the search indexes) and ``cogdb bench`` (the benchmarks of bench/)."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import click

from ..config import MAINTENANCE_WORK_MEM
from ..db import urls
from ..db.errors import CogdbError
from .common import EXIT_ERROR, cli_errors, emit_json, json_option

#: The source checkout this package runs from, if it is one (bench/ lives there).
_CHECKOUT = Path(__file__).resolve().parents[2]


@click.command("maintain")
@click.option("--dry-run", is_flag=True, help="Print the plan and the SQL; change nothing.")
@click.option("--maintenance-work-mem", default=MAINTENANCE_WORK_MEM, show_default=True,
              help="Memory for each index build (more builds faster, up to the index size).")
@click.option("--no-promote", is_flag=True,
              help="Move no tenant into a partition of its own (and build no index there): "
                   "for a Citus cluster, where a tenant's rows already share a shard "
                   "(docs/scale-out.md).")
@json_option()
def maintain(dry_run: bool, maintenance_work_mem: str, no_promote: bool,
             as_json: bool) -> None:
    """Give large tenants a partition and an ANN index of their own; drop what is no longer
    needed; fold the memory access log into access_count/last_accessed and compact the
    tenant statistics; delete every tenant's expired LangGraph store items; run the retention
    purge of every tenant in short batches (`cogdb purge`), honouring legal holds.

    Plans in SQL (cogdb.plan_maintenance): promotes each large tenant from memories_default
    into its own partition (one short transaction; its own requests wait meanwhile), then runs
    CREATE/DROP INDEX CONCURRENTLY, on an owner connection (COGDB_ADMIN_URL or the embedded
    superuser), so searches and writes continue. Invalid leftovers of interrupted builds are
    dropped and rebuilt. Safe to run at any time, e.g. from cron.
    """
    from ..ops import maintain as maintenance

    with cli_errors():
        echo = (lambda _line: None) if as_json else click.echo
        steps = maintenance.run(urls.admin_url(), echo=echo, dry_run=dry_run,
                                maintenance_work_mem=maintenance_work_mem,
                                promotions=not no_promote)
        if as_json:
            emit_json([asdict(s) for s in steps])
        if any(s.error for s in steps):
            sys.exit(EXIT_ERROR)


@click.command("bench", context_settings={"ignore_unknown_options": True,
                                          "allow_extra_args": True})
@click.pass_context
def bench(ctx: click.Context) -> None:
    """Run the benchmarks in bench/ (a source checkout): `cogdb bench search --rows 100k`.

    Arguments (--json included) are passed to `python -m bench`; `cogdb bench --help` lists
    them.
    """
    if not (_CHECKOUT / "bench" / "__main__.py").exists():
        raise CogdbError("the benchmarks live in bench/ of a source checkout of cogdb",
                         hint="Clone the repository and run `pip install -e '.[bench]'` there.")
    sys.exit(subprocess.call([sys.executable, "-m", "bench", *ctx.args], cwd=_CHECKOUT))
