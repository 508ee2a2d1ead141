"""Read replicas: which replica a read-only scope goes to, which ones are left out after a
failure, and the primary's WAL position a read-your-writes scope waits for.

Routing is per scope, never per statement: a scope is one transaction, one snapshot, and a
snapshot cannot span two servers. ``client.scope(…, read_only=True)`` runs on a replica (the
healthy ones in turn, round robin) in a READ ONLY transaction; every other scope runs on the
primary, so a scope that writes reads its own writes there. The sync and the async client
share this state; each keeps its own pools (docs/scale-out.md, "Read replicas").

- A replica that refuses the connection, loses it before the scope's BEGIN, or whose pool stays
  busy for REPLICA_POOL_TIMEOUT seconds is left out for REPLICA_RETRY seconds, with a warning
  on the ``cogdb.replicas`` logger; the scope goes to the next replica, else the primary. It is
  never an error. A replica lost *during* a scope's body fails that scope the way a lost
  primary would (its statements cannot be replayed elsewhere).
- Read-your-writes: after each committed primary scope the client keeps the primary's
  ``pg_current_wal_lsn()`` (the highest seen). A read-only scope that asks for read-your-writes
  waits on the replica until ``pg_last_wal_replay_lsn()`` reaches it, polling for at most
  ``replica_wait`` seconds, then reads on the primary instead (logged at INFO): it never reads
  a state older than the client's own last write, and never waits unbounded.
"""
from __future__ import annotations

import logging
import threading
import time

from ..config import REPLICA_RETRY

log = logging.getLogger("cogdb.replicas")

#: One round trip on the replica: whether it has replayed the WAL up to a position (NULL on a
#: server that is not replaying: then the scope reads on the primary).
REPLAYED = "SELECT pg_catalog.pg_last_wal_replay_lsn() >= %s::pg_lsn"
#: Seconds between two polls of :data:`REPLAYED`.
POLL_EVERY = 0.01


def lsn_value(lsn: str) -> int:
    """A pg_lsn's text ('16/B374D848') as a number, to keep the highest."""
    high, _, low = lsn.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


class ReplicaRouter:
    """The replica URLs, their health, the round-robin turn and the last write's LSN."""

    def __init__(self, urls: list[str] | tuple[str, ...], *, read_your_writes: bool,
                 wait: float) -> None:
        self.urls = list(urls)
        self.read_your_writes = read_your_writes
        self.wait = wait
        self._lock = threading.Lock()
        self._turn = 0
        self._down_until: dict[str, float] = {}
        self._lsn: str | None = None

    def __bool__(self) -> bool:
        return bool(self.urls)

    def candidates(self) -> list[str]:
        """The replicas not left out, starting with the next one's turn."""
        now = time.monotonic()
        with self._lock:
            n = len(self.urls)
            start = self._turn % n if n else 0
            self._turn += 1
            order = self.urls[start:] + self.urls[:start]
            return [u for u in order if self._down_until.get(u, 0.0) <= now]

    def is_down(self, url: str) -> bool:
        """Whether ``url`` is left out now (another scope found it down meanwhile)."""
        with self._lock:
            return self._down_until.get(url, 0.0) > time.monotonic()

    def failed(self, url: str, reason: BaseException | str) -> None:
        """Leave ``url`` out for REPLICA_RETRY seconds, with a warning."""
        with self._lock:
            self._down_until[url] = time.monotonic() + REPLICA_RETRY
        log.warning("replica %s left out for %g s (reads go to another replica or the "
                    "primary): %s", _redacted(url), REPLICA_RETRY,
                    " ".join(str(reason).split()))

    def wrote(self, lsn: str | None) -> None:
        """A primary scope committed; the primary's WAL position was ``lsn`` after it."""
        if lsn is None:
            return
        with self._lock:
            if self._lsn is None or lsn_value(lsn) > lsn_value(self._lsn):
                self._lsn = lsn

    def target(self, read_your_writes: bool | None) -> str | None:
        """The LSN a read-only scope must see replayed (None: any replica state will do)."""
        wanted = self.read_your_writes if read_your_writes is None else read_your_writes
        return self._lsn if wanted else None

    def lagging(self, url: str, target: str) -> None:
        log.info("replica %s has not replayed %s within %g s; reading on the primary",
                 _redacted(url), target, self.wait)


def _redacted(url: str) -> str:
    from .pool import redact

    return redact(url)


#: One replica's state, read as the app login (every function here is open to PUBLIC).
_STATUS = """
    SELECT pg_catalog.pg_is_in_recovery() AS in_recovery,
           pg_catalog.pg_last_wal_replay_lsn()::text AS replay_lsn,
           pg_catalog.pg_last_wal_receive_lsn()::text AS receive_lsn,
           pg_catalog.pg_last_xact_replay_timestamp() AS last_replayed_at,
           CASE WHEN pg_catalog.pg_is_in_recovery()
                THEN pg_catalog.pg_get_wal_replay_pause_state() END AS replay_state
"""


def replica_status(primary_url: str, urls: list[str]) -> dict[str, object]:
    """The primary's WAL position and, per replica, whether it is reachable and a standby,
    what it has received and replayed, and how many bytes of WAL it is behind (``lag_bytes``,
    0 when caught up). A replica that cannot be reached is reported, not raised."""
    import psycopg
    from psycopg.rows import dict_row

    from .errors import translate, translated
    from .pool import connect_timeout, redact

    with translated(), psycopg.connect(primary_url, autocommit=True,
                                       **connect_timeout(primary_url)) as conn:
        primary_lsn = conn.execute(
            "SELECT pg_catalog.pg_current_wal_lsn()::text").fetchone()[0]  # type: ignore[index]
    replicas: list[dict[str, object]] = []
    for url in urls:
        entry: dict[str, object] = {"replica": redact(url)}
        try:
            with psycopg.connect(url, autocommit=True, row_factory=dict_row,
                                 **connect_timeout(url)) as conn:
                row = conn.execute(_STATUS).fetchone() or {}
        except psycopg.Error as exc:
            err = translate(exc)
            entry.update(state="unreachable", error=" ".join(err.message.split()))
            replicas.append(entry)
            continue
        entry.update(row)
        if not row.get("in_recovery"):
            entry["state"] = "not_a_standby"
        else:
            replay = row.get("replay_lsn")
            entry["lag_bytes"] = (max(0, lsn_value(primary_lsn) - lsn_value(replay))  # type: ignore[arg-type]
                                  if replay else None)
            entry["state"] = ("replay_paused" if row.get("replay_state") != "not paused"
                              else "streaming")
        replicas.append(entry)
    return {"primary_lsn": primary_lsn, "replicas": replicas}
