"""Which server cogdb talks to: the URLs in the environment, else the embedded server's
logins. The embedded server must be running: only ``cogdb db start`` and ``cogdb quickstart``
start it (a stopped one is refused with what to do). See :mod:`cogdb.config` for the
variables."""
from __future__ import annotations

from .. import config
from .errors import CogdbError


def app_url() -> str:
    """COGDB_DATABASE_URL, else the embedded server's app login (it must be running)."""
    url = config.database_url_from_env()
    if url:
        return url
    if config.admin_url_from_env():
        raise CogdbError("COGDB_ADMIN_URL is set but COGDB_DATABASE_URL is not",
                         hint="Set COGDB_DATABASE_URL to the app login's URL.")
    from . import embedded

    return embedded.app_url()


def admin_url() -> str:
    """COGDB_ADMIN_URL, else the embedded server's superuser (it must be running)."""
    url = config.admin_url_from_env()
    if url:
        return url
    if config.database_url_from_env():
        raise CogdbError("COGDB_DATABASE_URL is set but COGDB_ADMIN_URL is not",
                         hint="Set COGDB_ADMIN_URL to a login that may run migrations.")
    from . import embedded

    return embedded.admin_url()


def auditor_url() -> str:
    """COGDB_AUDITOR_URL (a member of cogdb_auditor), else :func:`admin_url`."""
    return config.auditor_url_from_env() or admin_url()
