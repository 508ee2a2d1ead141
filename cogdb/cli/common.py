"""What every command shares: the exit codes, JSON output, the one place where errors become
an ``error:`` line and a ``hint:`` line (or a JSON object) and an exit code, the progress
reporter, and common options."""
from __future__ import annotations

import functools
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NoReturn, TypeVar

import click
import numpy as np
import psycopg
from psycopg import sql

from ..db.errors import (
    CogdbError,
    InvalidInput,
    IsolationViolation,
    NotFound,
    NotMigrated,
    ServerUnavailable,
    translate,
)
from ..db.values import as_uuid

F = TypeVar("F", bound=Callable[..., Any])
#: Seconds between two progress lines when stderr is not a terminal (logs, CI).
PROGRESS_EVERY = 2.0

# Exit codes (the README's "Exit codes" table lists them).
#: Success.
EXIT_OK = 0
#: An error: one ``error:`` line and one ``hint:`` line (with --json, an error object).
EXIT_ERROR = 1
#: A usage error: click's own (unknown option, missing argument, bad choice).
EXIT_USAGE = 2
#: ``cogdb db status``: the embedded server is not running.
EXIT_NOT_RUNNING = 3
#: The command finished but left records out (import: rejected records or conflicts left).
EXIT_LEFT_OUT = 4
#: ``cogdb audit policies``: the DBA report listed findings.
EXIT_FINDINGS = 5
#: ``cogdb audit verify``: an audit chain is broken (the output names the first broken record).
EXIT_AUDIT_BROKEN = 5

#: SQL calls that server hints name, and the command that does the same on the command line.
_SQL_TO_CLI = {
    "cogdb.list_tenants()": "`cogdb tenant list`",
    "cogdb.create_tenant()": "`cogdb tenant create`",
    "cogdb.register_model(name, dimensions)": "`cogdb model register NAME --dimensions N`",
    "SELECT name, dimensions FROM cogdb.embedding_models;": "`cogdb model list`",
}


def _default(value: Any) -> Any:
    if isinstance(value, (uuid.UUID, datetime)):
        return str(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Decimal):  # epsilon: exact in the database, a number in JSON
        return float(value)
    if is_dataclass(value):
        return asdict(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, default=_default, indent=2, ensure_ascii=False))


def _json_requested() -> bool:
    """True when the running command (or a group above it) got --json."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if ctx.params.get("as_json"):
            return True
        ctx = ctx.parent
    return False


def _command_path() -> str:
    ctx = click.get_current_context(silent=True)
    return ctx.command_path if ctx is not None else "cogdb"


def _hint(exc: CogdbError) -> str:
    """The error's hint in the CLI's words; a generic one where the error has none."""
    if exc.hint:
        hint = " ".join(exc.hint.split())
        for call, command in _SQL_TO_CLI.items():
            hint = hint.replace(call, command)
        return hint
    command = _command_path()
    if isinstance(exc, ServerUnavailable):
        return ("Is the server running? `cogdb db status` shows the embedded one; check "
                "COGDB_DATABASE_URL / COGDB_ADMIN_URL for your own.")
    if isinstance(exc, NotMigrated):
        return "Run `cogdb migrate` against this database."
    if isinstance(exc, NotFound):
        return "`cogdb tenant list` shows the tenants and their ids."
    if exc.sqlstate == "42501" and "row-level security" not in exc.message:
        return ("The login lacks that privilege: check which login runs the command "
                "(COGDB_DATABASE_URL for memory commands, COGDB_ADMIN_URL for the others).")
    if isinstance(exc, IsolationViolation):
        return ("Check --tenant and --user: `cogdb user list --tenant T` shows a tenant's "
                "users.")
    if isinstance(exc, InvalidInput) and exc.field:
        return f"Check {exc.field}; `{command} --help` describes the options."
    return f"`{command} --help` describes the command and its options."


def _as_cogdb_error(exc: BaseException) -> CogdbError:
    if isinstance(exc, CogdbError):
        return exc
    if isinstance(exc, psycopg.Error):
        return translate(exc)
    assert isinstance(exc, OSError)
    where = f": {exc.filename}" if exc.filename else ""
    return CogdbError(f"{exc.strerror or exc}{where}",
                      hint="Check the path, and that you may read (or write) it.")


def fail(exc: BaseException, code: int = EXIT_ERROR) -> NoReturn:
    """Report an error the CLI's way and exit with ``code``: one ``error:`` line and one
    ``hint:`` line on stderr, or with --json an error object on stdout."""
    err = _as_cogdb_error(exc)
    # One line, even for libpq's multi-line connection errors.
    message = " ".join(err.message.split())
    hint = _hint(err)
    if _json_requested():
        emit_json({"error": {"message": message, "hint": hint, "sqlstate": err.sqlstate,
                             "field": err.field}})
    else:
        click.secho(f"error: {message}", fg="red", err=True)
        click.echo(f"hint: {hint}", err=True)
    sys.exit(code)


@contextmanager
def cli_errors() -> Iterator[None]:
    """The one place where errors become output: cogdb errors (and psycopg and file errors)
    leave as an ``error:`` and a ``hint:`` line, or a JSON error object when the command got
    --json, and exit code 1 (EXIT_ERROR)."""
    try:
        yield
    except BrokenPipeError:  # the reader went away (`cogdb … | head`): nothing to tell it
        raise
    except (CogdbError, psycopg.Error, OSError) as exc:
        fail(exc)


def handle_errors(group: click.Group) -> None:
    """Run every command of ``group`` (and of its subgroups) inside :func:`cli_errors`, so a
    command that forgets it still reports errors the CLI's way."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            handle_errors(command)
        elif command.callback is not None and not getattr(command.callback, "_cli_errors",
                                                          False):
            command.callback = _guarded(command.callback)


def _guarded(callback: F) -> F:
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        with cli_errors():
            return callback(*args, **kwargs)

    run._cli_errors = True  # type: ignore[attr-defined]
    return run  # type: ignore[return-value]


def short(text: str | None, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters."""
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def uuid_literal(value: str) -> str:
    """A tenant id as an SQL literal, for the statements --sql prints."""
    return sql.Literal(as_uuid(value, "tenant")).as_string(None)


def json_option(help: str = "Machine-readable output (errors too).") -> Callable[[F], F]:
    return click.option("--json", "as_json", is_flag=True, help=help)


def sql_option(fn: F) -> F:
    return click.option("--sql", "as_sql", is_flag=True,
                        help="Print the SQL for a DBA instead.")(fn)


def echo_sql(statement: str, as_json: bool) -> None:
    """What --sql prints: the statement, or ``{"sql": …}`` with --json."""
    if as_json:
        emit_json({"sql": statement})
    else:
        click.echo(statement)


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


def replica_option(fn: F) -> F:
    """``--replica URL`` (repeatable) for the commands that only read."""
    return click.option(
        "--replica", "replicas", multiple=True, metavar="URL",
        help="Read on this hot standby (repeat for several; default: COGDB_REPLICA_URLS). "
             "A replica that is down or lagging is skipped for the primary, with a warning; "
             "what it shows may lag the primary (README, \"Read replicas\").")(fn)
