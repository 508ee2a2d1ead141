"""Typed exceptions for cogdb's SQLSTATE codes.

The database raises its own codes (class ``CG``) with a HINT saying what to do and, for bad
input, the offending field in the error's COLUMN. :func:`translate` maps a psycopg error to
the matching exception; the original stays available as ``__cause__``, and
:func:`translated` does that for every psycopg error raised inside its block.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from ..config import EMBEDDED_APP_LOGIN


class CogdbError(Exception):
    """Base class. ``sqlstate``, ``hint`` and ``field`` come from the server when it raised."""

    sqlstate: str | None = None

    def __init__(self, message: str, *, hint: str | None = None, field: str | None = None,
                 sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.field = field
        if sqlstate is not None:
            self.sqlstate = sqlstate

    def __str__(self) -> str:
        return f"{self.message}\nHINT: {self.hint}" if self.hint else self.message


class ScopeRequired(CogdbError):
    """A write (or a scoped call) ran without a tenant context. SQLSTATE CGA01."""

    sqlstate = "CGA01"


class IsolationViolation(CogdbError):
    """A tenant switch in a transaction, a nested scope, a user of another tenant, or a row
    that row-level security refused (42501). SQLSTATE CGA02."""

    sqlstate = "CGA02"


class UnsafeRole(CogdbError):
    """The connection's role is superuser or BYPASSRLS, so RLS would not apply. CGA03."""

    sqlstate = "CGA03"


class InvalidInput(CogdbError, ValueError):
    """Bad input; ``field`` names it. SQLSTATE CGV01 (also data and check errors)."""

    sqlstate = "CGV01"


class UnknownModel(InvalidInput):
    """The embedding model is not registered. SQLSTATE CGV02."""

    sqlstate = "CGV02"


class NotFound(CogdbError, LookupError):
    """An unknown tenant, or a session or event the context cannot see. SQLSTATE CGN01."""

    sqlstate = "CGN01"


class Conflict(CogdbError):
    """An id or external id already taken with different content. CGC01 (also 23505)."""

    sqlstate = "CGC01"


class StaleVersion(Conflict):
    """A compare-and-set write of a working-context entry named a version that is no longer
    current. ``current_version`` is the entry's version now (0: it does not exist or has
    expired): read it again and retry. SQLSTATE CGC02."""

    sqlstate = "CGC02"

    def __init__(self, message: str, *, current_version: int | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.current_version = current_version


class PoolExhausted(CogdbError):
    """Every connection of the client's pool stayed busy for the whole ``pool_timeout``: the
    scope never started (nothing ran). Raised by the client, no SQLSTATE."""


class AppendOnly(CogdbError):
    """An UPDATE, DELETE or TRUNCATE of the event stream, which only ever grows. CGA04."""

    sqlstate = "CGA04"


class FeatureDisabled(CogdbError):
    """A tenant setting forbids the operation. SQLSTATE CGF01."""

    sqlstate = "CGF01"


class PrivacyBudgetExhausted(CogdbError):
    """A noisy federated aggregate that some contributor's privacy budget cannot pay (the
    asker's own, or another's: the message says which, never who); nothing was charged.
    SQLSTATE CGP01."""

    sqlstate = "CGP01"


class LegalHold(CogdbError):
    """A legal hold on the tenant or the user forbids erasing or anonymising. CGF02."""

    sqlstate = "CGF02"


class MigrationIncomplete(CogdbError):
    """A model migration's cutover refused, nothing changed: memories of the old model
    without a vector of the new one (cogdb model migrate embeds them and tries again).
    SQLSTATE CGM01."""

    sqlstate = "CGM01"


class NotMigrated(CogdbError):
    """Schema cogdb or one of its functions is missing: the database needs ``cogdb migrate``."""


class ServerUnavailable(CogdbError):
    """The database could not be reached."""


class ImportAborted(CogdbError):
    """The input is invalid (and --on-error is abort), or cannot be read at all."""


_BY_SQLSTATE: dict[str, type[CogdbError]] = {
    cls.sqlstate: cls
    for cls in (ScopeRequired, IsolationViolation, UnsafeRole, AppendOnly, InvalidInput,
                UnknownModel, NotFound, Conflict, StaleVersion, FeatureDisabled,
                PrivacyBudgetExhausted, LegalHold, MigrationIncomplete)
    if cls.sqlstate
}
_BY_SQLSTATE.update({
    "42501": IsolationViolation,  # insufficient_privilege, incl. "violates row-level security"
    "23505": Conflict,            # unique_violation
    "23514": InvalidInput,        # check_violation
    "23502": InvalidInput,        # not_null_violation
    "22P02": InvalidInput,        # invalid_text_representation
    "22P05": InvalidInput,        # untranslatable_character (e.g. \u0000 in JSON)
    "22021": InvalidInput,        # character_not_in_repertoire
    "22023": InvalidInput,        # invalid_parameter_value
    "22000": InvalidInput,        # data_exception (pgvector: NaN/Inf, dimensions)
    "22003": InvalidInput,        # numeric_value_out_of_range
    "22007": InvalidInput,        # invalid_datetime_format
    "22008": InvalidInput,        # datetime_field_overflow
    "22001": InvalidInput,        # string_data_right_truncation
    "3F000": NotMigrated,         # invalid_schema_name
    "42883": NotMigrated,         # undefined_function
})


#: libpq's "connection to server at "h", port p failed: <cause>" (or "on socket "s"").
_LIBPQ_FAILED = re.compile(r'connection to server (?:at "(?P<host>[^"]*)"(?: \([^)]*\))?, '
                           r'port (?P<port>\d+)|on socket "(?P<socket>[^"]*)") failed: '
                           r'(?:FATAL:\s*)?(?P<cause>[^\n]*)')
_CHECK_URL = "the URL (COGDB_DATABASE_URL / COGDB_ADMIN_URL)"


def _connection_hint(cause: str) -> tuple[type[CogdbError], str]:
    """The exception class and what to do, for libpq's reason a connection failed."""
    if m := re.search(r'role "([^"]*)" does not exist', cause):
        if m.group(1) == EMBEDDED_APP_LOGIN:
            return NotMigrated, ("The embedded server is not set up yet: run `cogdb quickstart` "
                                 "(or `cogdb migrate`), which creates the app login.")
        return ServerUnavailable, (f"Create the login (CREATE ROLE {m.group(1)} LOGIN; GRANT "
                                   f"cogdb_app TO {m.group(1)}) or fix the user in {_CHECK_URL}.")
    if m := re.search(r'database "([^"]*)" does not exist', cause):
        return ServerUnavailable, (f"Create it (createdb {m.group(1)}) and run `cogdb migrate`, "
                                   f"or fix the database name in {_CHECK_URL}.")
    if "password" in cause:
        return ServerUnavailable, f"Check the user and password in {_CHECK_URL} (or ~/.pgpass)."
    if "permission denied for database" in cause:
        return ServerUnavailable, ("The login needs CONNECT on the database: make it a member "
                                   "of cogdb_app or cogdb_admin (`cogdb migrate` grants them "
                                   "CONNECT on the embedded database).")
    if "pg_hba.conf" in cause:
        return ServerUnavailable, ("The server's pg_hba.conf does not let this login connect "
                                   f"from here; ask its DBA, or check {_CHECK_URL}.")
    return ServerUnavailable, f"Is the server running? Check the host and port in {_CHECK_URL}."


def connection_error(err: psycopg.OperationalError) -> CogdbError:
    """A failed or lost connection as one line saying what is wrong, and a hint saying what
    to do (libpq's own advice lines are dropped)."""
    text = str(err).strip()
    m = _LIBPQ_FAILED.search(text)
    if m is None:
        first = text.splitlines()[0] if text else "the connection failed"
        if "closed the connection" in text or "terminating connection" in text:
            return ServerUnavailable(first, hint="The server ended the connection; check that it "
                                                 "is running and try again.")
        return ServerUnavailable(first, hint=_connection_hint(text)[1])
    where = (f"socket {m.group('socket')}" if m.group("socket")
             else f"{m.group('host')}:{m.group('port')}")
    cause = " ".join(m.group("cause").split())
    cls, hint = _connection_hint(cause)
    return cls(f"cannot connect to {where}: {cause}", hint=hint)


def translate(err: psycopg.Error) -> CogdbError:
    """The cogdb exception for a psycopg error (a generic CogdbError when unmapped)."""
    if isinstance(err, psycopg.OperationalError) and err.sqlstate is None:
        return connection_error(err)
    diag = err.diag
    sqlstate = err.sqlstate
    cls = _BY_SQLSTATE.get(sqlstate or "", CogdbError)
    message = diag.message_primary or str(err).strip()
    hint = diag.message_hint
    if cls is NotMigrated and "cogdb" in message:
        message = f"{message}: the cogdb schema is missing or out of date in this database"
        hint = "Run `cogdb migrate` (or `alembic upgrade head`) against this database."
    elif cls is NotMigrated:
        cls = CogdbError
    field = diag.column_name or diag.constraint_name
    if cls is StaleVersion:
        return StaleVersion(message, hint=hint, field=field, sqlstate=sqlstate,
                            current_version=_current_version(diag.message_detail))
    return cls(message, hint=hint, field=field, sqlstate=sqlstate)


def _current_version(detail: str | None) -> int | None:
    """The current version in a CGC02 error's DETAIL (JSON ``{"current_version": n}``)."""
    try:
        return int(json.loads(detail or "")["current_version"])
    except (ValueError, KeyError, TypeError):
        return None


@contextmanager
def translated() -> Iterator[None]:
    """Inside this block, a psycopg error leaves as the matching cogdb exception."""
    try:
        yield
    except psycopg.Error as exc:
        raise translate(exc) from exc
