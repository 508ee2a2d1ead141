"""Import and export of the seeds' file-based memory store (``corpus/nodes.json`` +
``vectors/nodes.npy``), through the database, under row-level security, as the app login.

The import never holds the corpus in memory:

1. validation, before anything is written: the vectors, memory-mapped, are checked in
   chunks (dimension, NaN/Inf, zero rows) in a thread while ``nodes.json`` is streamed one
   record at a time; each record is validated and, when valid, encoded once into
   PostgreSQL's binary COPY format (all fields but the vector) and appended to a spool
   file on disk; duplicate ids are found from 64-bit hashes (confirmed by a second read of
   the candidates only);
2. loading, from the spool and the vectors, in batches written by a few connections at
   once, each batch one transaction of :func:`cogdb.io.loader.write_batch`. Each batch
   commits, so a run killed at any point and run again ends with exactly the full set.

Tenant and owner come from the scope, never from the file; naive timestamps are UTC.
"""
from __future__ import annotations

import bisect
import json
import os
import re
import struct
import tempfile
import time
import uuid
from array import array
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from psycopg import sql

from ..api.fields import BY_NAME, FIELD_NAMES
from ..config import EXPORT_FETCH_SIZE, IMPORT_BATCH_SIZE, IMPORT_WORKERS
from ..db.errors import ImportAborted, InvalidInput
from .jsonstream import iter_json_array
from .loader import COLUMNS, BatchResult, Progress, flush_wal, preflight, write_batch
from .records import Context, copy_payload, encode_record

NODES_FILE = Path("corpus") / "nodes.json"
VECTORS_FILE = Path("vectors") / "nodes.npy"


def vector_problems(vectors: np.ndarray, chunk: int = 8192) -> dict[int, str]:
    """Rows with NaN/Inf or a zero norm (chunked, so a memory-mapped file stays on disk)."""
    found: dict[int, str] = {}
    for start in range(0, len(vectors), chunk):
        block = np.asarray(vectors[start:start + chunk], dtype=np.float32)
        finite = np.isfinite(block).all(axis=1)
        for i in np.flatnonzero(~finite):
            found[start + int(i)] = "embedding: contains NaN or infinity"
        with np.errstate(over="ignore", invalid="ignore"):
            zero = finite & ~(np.abs(block) > 0).any(axis=1)
        for i in np.flatnonzero(zero):
            found[start + int(i)] = "embedding: is a zero vector (cosine is undefined for it)"
    return found


@dataclass
class Problem:
    index: int
    id: str | None
    reasons: list[str]

    def line(self) -> str:
        rid = f"id {self.id!r}" if self.id is not None else "no id"
        return f"record #{self.index} ({rid}): " + "; ".join(self.reasons)


@dataclass
class UnknownValue:
    """A value of an enumerated field that is not in its vocabulary, with how many records
    use it and the ids of a few."""

    field: str
    value: str
    count: int
    examples: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "value": self.value, "count": self.count,
                "examples": self.examples}


#: Example ids kept per group of problems.
EXAMPLES = 3


def problem_groups(problems: list[Problem], skip: tuple[str, ...] = ()
                   ) -> list[tuple[str, int, list[str]]]:
    """Problems grouped by what is wrong (values and numbers taken out of the reason):
    (reason, records, example records), most frequent first. Reasons that start with one
    of ``skip`` are left out."""
    groups: dict[str, list[str]] = {}
    counts: Counter[str] = Counter()
    for p in problems:
        for reason in p.reasons:
            if reason.startswith(skip):
                continue
            key = re.sub(r"\d[\d,]*", "N", re.sub(r"(got|of record #) .*$", r"\1 …", reason))
            counts[key] += 1
            examples = groups.setdefault(key, [])
            if len(examples) < EXAMPLES:
                examples.append(f"#{p.index}" + (f" {p.id}" if p.id else ""))
    return [(key, n, groups[key]) for key, n in counts.most_common()]


@dataclass
class ImportReport:
    found: int = 0
    imported: int = 0
    already_present: int = 0
    conflicts: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)
    aborted: bool = False
    dry_run: bool = False
    model: str = ""
    seconds: float = 0.0
    reject_file: str | None = None
    ignored_fields: dict[str, int] = field(default_factory=dict)
    #: seconds per phase: validate, encode and index_text (the text of the batches' memories,
    #: indexed on all writers once they are done) as elapsed; copy, insert and commit+rest
    #: summed over the batches, which run on several connections at once
    timings: dict[str, float] = field(default_factory=dict)
    #: values of enumerated fields outside their vocabulary, most used first
    unknown_values: list[UnknownValue] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return (self.imported + self.already_present + len(self.conflicts)) / self.seconds \
            if self.seconds else 0.0

    @property
    def unknown_value_reasons(self) -> tuple[str, ...]:
        """How the reasons of out-of-vocabulary values start (reported apart, by value)."""
        return tuple(sorted({f"{u.field}: must be one of" for u in self.unknown_values}))

    @property
    def conflicts_left(self) -> list[str]:
        """Conflicting ids that were not replaced (all of them without ``update``)."""
        return sorted(set(self.conflicts) - set(self.updated))

    @property
    def ok(self) -> bool:
        """Everything is in: nothing rejected, nothing aborted, no conflict left."""
        return not (self.aborted or self.rejected or self.conflicts_left)

    def as_dict(self) -> dict[str, Any]:
        return {
            "found": self.found, "imported": self.imported,
            "already_present": self.already_present,
            "conflicts": len(self.conflicts), "conflict_ids": self.conflicts,
            "updated": len(self.updated), "not_updated_ids": self.conflicts_left,
            "rejected": self.rejected, "aborted": self.aborted, "dry_run": self.dry_run,
            "problems": [{"index": p.index, "id": p.id, "reasons": p.reasons}
                         for p in self.problems],
            "reject_file": self.reject_file, "model": self.model,
            "ignored_fields": self.ignored_fields,
            "unknown_values": [u.as_dict() for u in self.unknown_values],
            "problem_groups": [{"reason": r, "records": n, "examples": e}
                               for r, n, e in problem_groups(self.problems,
                                                             self.unknown_value_reasons)],
            "valid": self.found - self.rejected,
            "seconds": round(self.seconds, 3), "rate": round(self.rate, 1),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) of the summary, for people."""
        ids = ", ".join(self.conflicts[:20]) + (" …" if len(self.conflicts) > 20 else "")
        valid = self.found - self.rejected
        if self.dry_run:
            outcome = ("valid", f"{valid:,}, would import"
                       + (" (with --on-error skip)" if self.aborted else ""))
        else:
            outcome = ("imported", f"{self.imported:,}")
        lines = [
            ("found", f"{self.found:,}"),
            outcome,
            ("already present", f"{self.already_present:,}"),
            ("conflicts", f"{len(self.conflicts):,}" + (f" ({ids})" if ids else "")),
        ]
        if self.updated or self.conflicts_left:
            lines.append(("updated", f"{len(self.updated):,}"))
        return [*lines,
                ("rejected", f"{self.rejected:,}"
                 + (f" (reasons in {self.reject_file})" if self.reject_file else "")),
                ("time", f"{self.seconds:.2f} s"),
                ("rate", f"{self.rate:,.0f} nodes/s")]


def load_vectors(data_dir: Path) -> np.ndarray:
    path = data_dir / VECTORS_FILE
    if not path.is_file():
        raise ImportAborted(f"{path} does not exist", hint="Pass the folder that holds "
                            "corpus/nodes.json and vectors/nodes.npy as --data-dir.")
    try:
        vectors = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:  # EOFError: an empty or cut-off file
        raise ImportAborted(f"{path}: not a NumPy .npy array ({exc or type(exc).__name__})",
                            hint="Write it with np.save(path, vectors.astype(np.float32)): "
                            "one row per record of corpus/nodes.json.") from None
    if vectors.ndim != 2 or vectors.dtype != np.float32:
        raise ImportAborted(f"{path}: expected a 2-D float32 array (one row per node), got "
                            f"shape {vectors.shape} of {vectors.dtype}",
                            hint="np.save(path, vectors.astype(np.float32))")
    return vectors


class _Spool:
    """Valid records' COPY rows (without the vector) on disk, with their offsets."""

    def __init__(self) -> None:
        self.file: BinaryIO = tempfile.TemporaryFile(prefix="cogdb-import-")  # noqa: SIM115
        self.offsets = array("q")
        self.indices = array("q")
        self.size = 0

    def add(self, index: int, row: bytes) -> None:
        self.indices.append(index)
        self.offsets.append(self.size)
        self.file.write(row)
        self.size += len(row)

    def batches(self, batch_size: int, skip: set[int]) -> Iterator[tuple[list[int], list[bytes]]]:
        self.file.flush()
        self.file.seek(0)
        ends = [*self.offsets[1:], self.size]
        for start in range(0, len(self.indices), batch_size):
            stop = min(start + batch_size, len(self.indices))
            data = self.file.read(ends[stop - 1] - self.offsets[start])
            base = self.offsets[start]
            rows, idx = [], []
            for k in range(start, stop):
                if self.indices[k] in skip:
                    continue
                idx.append(self.indices[k])
                rows.append(data[self.offsets[k] - base:ends[k] - base])
            yield idx, rows

    def id_of(self, index: int) -> str | None:
        """The id of a spooled record (its first field), read back from the file."""
        k = bisect.bisect_left(self.indices, index)
        if k == len(self.indices) or self.indices[k] != index:
            return None
        self.file.flush()
        here = self.file.tell()
        self.file.seek(self.offsets[k] + 2)
        (length,) = struct.unpack(">i", self.file.read(4))
        rid = self.file.read(length).decode("utf-8")
        self.file.seek(here)
        return rid

    def close(self) -> None:
        self.file.close()


def _validate(path: Path, vectors: np.ndarray, ctx: Context, spool: _Spool,
              report: ImportReport) -> dict[int, Problem]:
    problems: dict[int, Problem] = {}
    hashes = array("q")
    ignored: Counter[str] = Counter()
    unknown: list[tuple[str, str]] = []
    unknown_counts: Counter[tuple[str, str]] = Counter()
    unknown_examples: dict[tuple[str, str], list[str]] = {}
    count = 0
    # The vectors are checked in another thread while this one parses the records (NumPy and
    # file reads release the GIL); vector problems are merged in afterwards.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cogdb-vectors") as pool:
        checked = pool.submit(vector_problems, vectors)
        for index, rec in iter_json_array(path):
            count = index + 1
            row, reasons, rid = encode_record(rec, ctx, unknown)
            for key in unknown:
                unknown_counts[key] += 1
                examples = unknown_examples.setdefault(key, [])
                if len(examples) < EXAMPLES:
                    examples.append(rid if rid is not None else f"#{index}")
            unknown.clear()
            if isinstance(rec, dict):
                extra = rec.keys() - BY_NAME.keys()
                if extra:
                    ignored.update(extra)
            hashes.append(hash(rid) if rid is not None else index)
            if reasons:
                problems[index] = Problem(index, rid, reasons)
            elif row is not None and index < len(vectors):
                spool.add(index, row)
        bad_vectors = checked.result()
    for index in sorted(bad_vectors):
        if index in problems:
            problems[index].reasons.append(bad_vectors[index])
        elif index < count:
            problems[index] = Problem(index, spool.id_of(index), [bad_vectors[index]])
    report.found = count
    report.ignored_fields = dict(ignored)
    report.unknown_values = [UnknownValue(f, v, n, unknown_examples[(f, v)])
                             for (f, v), n in unknown_counts.most_common()]
    if count != len(vectors):
        raise ImportAborted(f"{count} node records but {len(vectors)} vectors; they must pair "
                            "up one to one, in the same order",
                            hint="Re-export both files from the same store.")
    _find_duplicates(path, hashes, problems)
    return problems


def _find_duplicates(path: Path, hashes: array, problems: dict[int, Problem]) -> None:
    """Duplicate ids from 64-bit hashes; candidates are confirmed by their real ids."""
    h = np.frombuffer(hashes, dtype=np.int64) if len(hashes) else np.zeros(0, np.int64)
    order = np.argsort(h, kind="stable")
    sorted_h = h[order]
    same = np.flatnonzero(sorted_h[1:] == sorted_h[:-1])
    if not len(same):
        return
    candidates = {int(order[i]) for i in same} | {int(order[i + 1]) for i in same}
    first: dict[str, int] = {}
    for index, rec in iter_json_array(path):
        if index not in candidates or not isinstance(rec, dict):
            continue
        rid = rec.get("id")
        if not isinstance(rid, str):
            continue
        if rid in first:
            reason = f"id: duplicate of record #{first[rid]}"
            problems.setdefault(index, Problem(index, rid, [])).reasons.append(reason)
        else:
            first[rid] = index


def _write_rejects(path: Path, reject_file: Path, problems: dict[int, Problem]) -> None:
    with open(reject_file, "w", encoding="utf-8", errors="surrogatepass") as out:
        for index, rec in iter_json_array(path):
            p = problems.get(index)
            if p is not None:
                out.write(json.dumps({"index": index, "id": p.id, "reasons": p.reasons,
                                      "record": rec}, ensure_ascii=True) + "\n")


def import_nodes(client: Any, tenant: Any, data_dir: Path | str, *, user: Any = None,
                 model: str | None = None, on_error: str = "abort", update: bool = False,
                 dry_run: bool = False, batch_size: int = IMPORT_BATCH_SIZE,
                 reject_file: Path | str | None = None,
                 progress: Progress | None = None,
                 workers: int = IMPORT_WORKERS,
                 value_map: dict[str, dict[str, str]] | None = None) -> ImportReport:
    """Import DIR/corpus/nodes.json + DIR/vectors/nodes.npy into ``tenant`` (and ``user``).

    Validates everything before writing anything. ``on_error='abort'`` writes nothing when
    any record is invalid; ``'skip'`` imports the valid ones. Invalid records are in the
    report and, given ``reject_file``, written there (JSON lines: index, id, reasons and
    the record) in both modes.
    Records whose id is already present with other content are conflicts: reported, and
    replaced only with ``update=True``. ``value_map`` renames values of enumerated fields
    before they are checked: {"source": {"gemini": "assistant"}}.
    The default ``batch_size`` keeps a batch's staging table of 1024-d rows (a page each)
    within PostgreSQL's default temp_buffers (8MB), so it never spills to disk; 5,000 was
    measured ~15% slower for that reason (bench/import_bench.py).
    """
    if on_error not in ("abort", "skip"):
        raise InvalidInput("on_error must be abort or skip", field="on_error")
    started = time.perf_counter()
    data_dir = Path(data_dir)
    nodes_path = data_dir / NODES_FILE
    report = ImportReport(dry_run=dry_run)
    name, dims, ctx = preflight(client, tenant, user, model)
    ctx.value_map = value_map or {}
    report.model = name
    if not nodes_path.is_file():
        raise ImportAborted(f"{nodes_path} does not exist", hint="Pass the folder that holds "
                            "corpus/nodes.json and vectors/nodes.npy as --data-dir.")
    vectors = load_vectors(data_dir)
    if vectors.shape[1] != dims:
        raise ImportAborted(f"the vectors have {vectors.shape[1]} dimensions; model {name!r} "
                            f"needs {dims}",
                            hint=f"Pass --model with a model of {vectors.shape[1]} dimensions "
                            f"(cogdb model list), or register one: cogdb model register "
                            f"<name> --dimensions {vectors.shape[1]}")
    spool = _Spool()
    try:
        t0 = time.perf_counter()
        problems = _validate(nodes_path, vectors, ctx, spool, report)
        report.timings["validate"] = time.perf_counter() - t0
        report.problems = [problems[i] for i in sorted(problems)]
        report.rejected = len(problems)
        if problems and reject_file is not None:
            _write_rejects(nodes_path, Path(reject_file), problems)
            report.reject_file = str(reject_file)
        report.aborted = bool(problems) and on_error == "abort"
        if not report.aborted and not dry_run:
            _load(client, tenant, user, name, vectors, spool, set(problems), batch_size,
                  update, report, progress, workers)
    finally:
        spool.close()
    report.seconds = time.perf_counter() - started
    return report


def _load(client: Any, tenant: Any, user: Any, model: str, vectors: np.ndarray, spool: _Spool,
          skip: set[int], batch_size: int, update: bool, report: ImportReport,
          progress: Progress | None, workers: int) -> None:
    """Batches from the spool, written by up to ``workers`` connections at once (each batch
    its own transaction, so order does not matter); this thread encodes the next batches
    meanwhile. At most workers + 1 batches are in memory."""
    total = len(spool.indices) - len(skip & set(spool.indices))
    workers = max(1, min(workers, getattr(getattr(client, "pool", None), "max_size", 1)))
    done = 0
    timings = Counter[str]()

    def collect(result: BatchResult) -> None:
        nonlocal done
        for key, value in result.timings.items():
            timings[key] += value
        report.imported += result.inserted
        report.already_present += result.same
        report.conflicts.extend(result.conflicts)
        report.updated.extend(result.updated)
        done += result.rows
        if progress:
            progress(done, total)

    pending: deque[Future[BatchResult]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cogdb-import") as pool:
        try:
            for idx, rows in spool.batches(batch_size, skip):
                if not rows:
                    continue
                t0 = time.perf_counter()
                block = vectors[idx[0]:idx[-1] + 1]
                if idx[-1] - idx[0] + 1 != len(idx):
                    block = vectors[np.asarray(idx)]
                payload = copy_payload(rows, block)
                timings["encode"] += time.perf_counter() - t0
                while len(pending) > workers:
                    collect(pending.popleft().result())
                pending.append(pool.submit(write_batch, client, tenant, user, model,
                                           payload, len(rows), update))
            while pending:
                collect(pending.popleft().result())
            t0 = time.perf_counter()
            flush_wal(client, tenant, user, workers)
            timings["index_text"] = time.perf_counter() - t0
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    report.conflicts.sort()
    report.updated.sort()
    report.timings.update(timings)


# --------------------------------------------------------------------------- export

_EXPORT = sql.SQL("SELECT {cols}, embedding FROM cogdb.memories WHERE model = %s"
                  " ORDER BY created_at, conversation_id, sequence_index, id").format(
    cols=COLUMNS)


def _json_value(name: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if BY_NAME[name].pgtype == "real" and value is not None:
        return float(str(np.float32(value)))  # the shortest text that reads back as that real
    return value  # jsonb (tags, metadata) comes back as the list or object it was


def export_nodes(client: Any, tenant: Any, data_dir: Path | str, *, user: Any = None,
                 model: str | None = None, progress: Progress | None = None) -> tuple[int, str]:
    """Write the memories of ``tenant`` (those the scope may see) of one model as
    DIR/corpus/nodes.json + DIR/vectors/nodes.npy; returns (count, model)."""
    data_dir = Path(data_dir)
    name, dims, _ = preflight(client, tenant, user, model)
    (data_dir / NODES_FILE).parent.mkdir(parents=True, exist_ok=True)
    (data_dir / VECTORS_FILE).parent.mkdir(parents=True, exist_ok=True)
    # Read only: on a replica when the client has some (docs/scale-out.md, "Read replicas in
    # the client"); one transaction, so the count and the rows are one snapshot.
    with client.scope(tenant, user, read_only=True) as s:
        conn = s.connection
        total = conn.execute("SELECT count(*) FROM cogdb.memories WHERE model = %s",
                             (name,)).fetchone()[0]
        vectors = np.lib.format.open_memmap(data_dir / VECTORS_FILE, mode="w+",
                                            dtype=np.float32, shape=(total, dims))
        tmp = data_dir / NODES_FILE.with_suffix(".json.part")
        n = 0
        with open(tmp, "w", encoding="utf-8") as out, conn.cursor(name="cogdb_export") as cur:
            cur.itersize = EXPORT_FETCH_SIZE
            cur.execute(_EXPORT, (name,))
            out.write("[")
            for row in cur:
                record = {k: _json_value(k, v) for k, v in zip(FIELD_NAMES, row, strict=False)}
                out.write(("\n" if n == 0 else ",\n")
                          + json.dumps(record, ensure_ascii=False, separators=(", ", ": ")))
                vectors[n] = row[-1].to_numpy() if hasattr(row[-1], "to_numpy") else row[-1]
                n += 1
                if progress and n % EXPORT_FETCH_SIZE == 0:
                    progress(n, total)
            out.write("\n]\n")
        vectors.flush()
        del vectors
        os.replace(tmp, data_dir / NODES_FILE)
    if progress:
        progress(n, total)
    return n, name

