"""Where cogdb finds its database: environment variables first, the embedded server second.

- ``COGDB_DATABASE_URL``: the app login that does scoped work (a member of cogdb_app).
- ``COGDB_ADMIN_URL``: the login that runs migrations and provisioning.
- ``COGDB_HOME``: where the embedded server keeps its data (default: the user data dir).
"""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DATABASE_URL_ENV = "COGDB_DATABASE_URL"
ADMIN_URL_ENV = "COGDB_ADMIN_URL"
HOME_ENV = "COGDB_HOME"

#: The database the embedded server holds cogdb in, and the app login quickstart creates.
EMBEDDED_DATABASE = "cogdb"
EMBEDDED_APP_LOGIN = "cogdb_app_login"


def cogdb_home() -> Path:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else Path(platformdirs.user_data_dir("cogdb"))


def database_url_from_env() -> str | None:
    return os.environ.get(DATABASE_URL_ENV) or None


def admin_url_from_env() -> str | None:
    return os.environ.get(ADMIN_URL_ENV) or None


def uses_external_server() -> bool:
    """True when a URL in the environment names the server (the embedded one is not used)."""
    return bool(database_url_from_env() or admin_url_from_env())
