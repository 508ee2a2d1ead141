"""Where cogdb finds its database: environment variables first, the embedded server second.

- ``COGDB_DATABASE_URL``: the app login that does scoped work (a member of cogdb_app).
- ``COGDB_ADMIN_URL``: the login that runs migrations and provisioning.
- ``COGDB_HOME``: where the embedded server keeps its data (default: the user data dir).

It also names the Python side's tunable numbers, so a default used in several places (the
API, the importers, the CLI's options) is written once.
"""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DATABASE_URL_ENV = "COGDB_DATABASE_URL"
ADMIN_URL_ENV = "COGDB_ADMIN_URL"
#: The auditor's login (a member of cogdb_auditor) for `cogdb audit`; else COGDB_ADMIN_URL.
AUDITOR_URL_ENV = "COGDB_AUDITOR_URL"
HOME_ENV = "COGDB_HOME"
#: Read replicas (hot standbys of the server COGDB_DATABASE_URL names) for read-only scopes,
#: as URLs of the same app login separated by commas or whitespace (``connect(replicas=…)``).
REPLICA_URLS_ENV = "COGDB_REPLICA_URLS"

#: The database the embedded server holds cogdb in, and the app login quickstart creates.
EMBEDDED_DATABASE = "cogdb"
EMBEDDED_APP_LOGIN = "cogdb_app_login"

#: Seconds a connection attempt may take (libpq's connect_timeout; 2 at least) unless the
#: URL or PGCONNECT_TIMEOUT says otherwise. A refused or absent server fails at once.
CONNECT_TIMEOUT = 5
#: Seconds a new client waits for its pool once the first, direct connection has succeeded.
POOL_OPEN_TIMEOUT = 15
#: Connections a client's pool holds at most (``connect(pool_size=…)``).
DEFAULT_POOL_SIZE = 4
#: Seconds a scope waits for a pooled connection when all are busy, before PoolExhausted
#: (``connect(pool_timeout=…)``).
POOL_WAIT_TIMEOUT = 30.0
#: Seconds a read-your-writes scope waits for a replica to replay the client's last write
#: before it reads on the primary instead (``connect(replica_wait=…)``).
REPLICA_WAIT = 0.5
#: Seconds a replica that failed (refused, lost, or its pool busy) is left out before it is
#: tried again; read-only scopes go to the next replica or the primary meanwhile.
REPLICA_RETRY = 5.0
#: Seconds a read-only scope waits for a pooled replica connection (a replica's pool that
#: cannot connect does not hold the scope for the primary's pool_timeout).
REPLICA_POOL_TIMEOUT = 2.0
#: Records per transaction of a node-store import (why this size: ``io.nodes.import_nodes``).
IMPORT_BATCH_SIZE = 1000
#: Connections writing node-store import batches at once.
IMPORT_WORKERS = 2
#: Memories per transaction of a chat-export import.
CHAT_BATCH_SIZE = 500
#: Rows an export fetches per round trip, and between two progress reports.
EXPORT_FETCH_SIZE = 2000
#: ``maintenance_work_mem`` of each index build that ``cogdb maintain`` runs.
MAINTENANCE_WORK_MEM = "512MB"
#: Settings every app login cogdb creates gets (``ALTER ROLE … SET``), unless a DBA set them:
#: one login holding a lock (``LOCK TABLE cogdb.memories``, a forgotten open transaction)
#: would otherwise stall every tenant. A statement waits at most ``lock_timeout`` for a lock
#: (longer than a promotion's gate, which ``cogdb maintain`` holds for seconds), and a
#: transaction idle that long is ended, releasing its locks.
APP_LOGIN_SETTINGS = {"lock_timeout": "30s", "idle_in_transaction_session_timeout": "60s"}


def cogdb_home() -> Path:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else Path(platformdirs.user_data_dir("cogdb"))


def database_url_from_env() -> str | None:
    return os.environ.get(DATABASE_URL_ENV) or None


def admin_url_from_env() -> str | None:
    return os.environ.get(ADMIN_URL_ENV) or None


def auditor_url_from_env() -> str | None:
    return os.environ.get(AUDITOR_URL_ENV) or None


def replica_urls_from_env() -> list[str]:
    """The URLs in COGDB_REPLICA_URLS (commas or whitespace between them), or none."""
    return os.environ.get(REPLICA_URLS_ENV, "").replace(",", " ").split()


def uses_external_server() -> bool:
    """True when a URL in the environment names the server (the embedded one is not used)."""
    return bool(database_url_from_env() or admin_url_from_env())
