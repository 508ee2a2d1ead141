"""What every command shares: JSON output, the one place where cogdb errors become an
``error:``/``hint:`` line and an exit code, the progress reporter, and common options."""
from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any, TypeVar

import click
import numpy as np
from psycopg import sql

from ..db.errors import CogdbError
from ..db.values import as_uuid

F = TypeVar("F", bound=Callable[..., Any])
#: Seconds between two progress lines when stderr is not a terminal (logs, CI).
PROGRESS_EVERY = 2.0


def _default(value: Any) -> Any:
    if isinstance(value, (uuid.UUID, datetime)):
        return str(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if is_dataclass(value):
        return asdict(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, default=_default, indent=2, ensure_ascii=False))


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn cogdb errors into one-line messages (plus the server's hint) and exit code 1."""
    try:
        yield
    except CogdbError as exc:
        # One line, even for libpq's multi-line connection errors.
        click.secho(f"error: {' '.join(exc.message.split())}", fg="red", err=True)
        if exc.hint:
            click.echo(f"hint: {exc.hint}", err=True)
        sys.exit(1)


def short(text: str | None, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters."""
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def uuid_literal(value: str) -> str:
    """A tenant id as an SQL literal, for the statements --sql prints."""
    return sql.Literal(as_uuid(value, "tenant")).as_string(None)


def json_option(help: str = "Machine-readable output.") -> Callable[[F], F]:
    return click.option("--json", "as_json", is_flag=True, help=help)


def sql_option(fn: F) -> F:
    return click.option("--sql", "as_sql", is_flag=True,
                        help="Print the SQL for a DBA instead.")(fn)


def tenant_option(fn: F) -> F:
    return click.option("--tenant", "tenant_id", required=True, help="Tenant id (UUID).")(fn)


def scoped(fn: F) -> F:
    """--tenant, --user and --json, for the commands that work in one scope."""
    fn = click.option("--user", "user_id", help="User id (UUID); needed for private memories.")(fn)
    fn = tenant_option(fn)
    return json_option()(fn)


class Progress:
    """A progress bar with rate and ETA on a terminal; plain lines every few seconds
    otherwise (logs, CI)."""

    def __init__(self, label: str, every: float = PROGRESS_EVERY, bar: bool = True) -> None:
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
            self._bar(step, done, total)
            return
        now = time.perf_counter()
        if now - self.last >= self.every or done >= total:
            self.last = now
            rate = self.rate()
            eta = (total - done) / rate if rate else 0
            pct = 100.0 * done / total if total else 100.0
            click.echo(f"{self.label}: {done:,}/{total:,} ({pct:.1f}%), {rate:,.0f}/s, "
                       f"ETA {eta:.0f}s", err=True)

    def _bar(self, step: int, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(
                length=total, label=self.label, file=sys.stderr, show_eta=True,
                show_pos=True, item_show_func=lambda _: f"{self.rate():,.0f}/s")
            self.bar.__enter__()
        self.bar.update(step, current_item=done)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

