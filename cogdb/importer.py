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
   once: each batch is one scope (one transaction, the context set first): ``COPY`` into a
   temporary staging table (COPY into an RLS table is refused for the app role), then one
   statement that inserts with ``ON CONFLICT DO NOTHING`` into cogdb.memories (so the
   check_memory_row trigger and every policy apply) and compares the rows it did not
   insert with what is stored. Each batch commits, so a run killed at any point and run
   again ends with exactly the full set.

Tenant and owner come from the scope, never from the file; naive timestamps are UTC.
"""
from __future__ import annotations

import bisect
import codecs
import functools
import json
import math
import os
import re
import struct
import tempfile
import time
from array import array
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from psycopg import sql

from .errors import CogdbError, InvalidInput

NODES_FILE = Path("corpus") / "nodes.json"
VECTORS_FILE = Path("vectors") / "nodes.npy"
CHAT_SOURCES = ("chatgpt_export", "claude_export")
#: Keys of a record that are ignored on purpose: the scope decides tenant and owner.
SCOPE_KEYS = ("tenant_id", "user_id", "owner_user_id")
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
ENUM_FIELDS = ("visibility", "context_type", "source", "intent_type", "complexity",
               "emotional_valence", "urgency", "conversation_mode")

# (field, PostgreSQL type, kind, required, default). Order = staging table = COPY order.
FIELDS: tuple[tuple[str, str, str, bool, Any], ...] = (
    ("id", "text", "id", True, None),
    ("conversation_id", "text", "text:255", True, None),
    ("sequence_index", "integer", "int:0", True, None),
    ("human_content", "text", "text:100000", True, None),
    ("assistant_content", "text", "text:100000", True, None),
    ("summary", "text", "text:10000", False, None),
    ("context_type", "text", "enum", False, "conversation"),
    ("source", "text", "enum", True, None),
    ("created_at", "timestamptz", "ts", True, None),
    ("expires_at", "timestamptz", "ts", False, None),
    ("visibility", "text", "enum", False, "tenant"),
    ("intent_type", "text", "enum", False, None),
    ("complexity", "text", "enum", False, None),
    ("technical_depth", "smallint", "depth", False, None),
    ("emotional_valence", "text", "enum", False, None),
    ("urgency", "text", "enum", False, None),
    ("conversation_mode", "text", "enum", False, None),
    ("action_required", "boolean", "bool", False, False),
    ("has_code", "boolean", "bool", False, False),
    ("has_error", "boolean", "bool", False, False),
    ("tags", "text[]", "tags", False, ()),
    ("cluster_id", "integer", "int:-1", False, -1),
    ("cluster_label", "text", "text:255", False, None),
    ("cluster_confidence", "real", "prob", False, None),
    ("access_count", "integer", "int:0", False, 0),
    ("last_accessed", "timestamptz", "ts", False, None),
)
FIELD_NAMES = tuple(f[0] for f in FIELDS)
FIELD_SET = frozenset(FIELD_NAMES)
REQUIRED = tuple(f[0] for f in FIELDS if f[3])
KNOWN_KEYS = frozenset(FIELD_NAMES) | frozenset(SCOPE_KEYS)
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)
_NULL = struct.pack(">i", -1)
_TEXT_OID = 25


class ImportAborted(CogdbError):
    """The input is invalid (and --on-error is abort), or cannot be read at all."""


# --------------------------------------------------------------------------- streaming JSON

def iter_json_array(path: Path, chunk_size: int = 1 << 20,
                    max_record: int = 16 << 20) -> Iterator[tuple[int, Any]]:
    """Yield (index, value) for each element of the JSON array in ``path``, one at a time.

    Uses the standard library's C decoder on a sliding window, so strings keep exactly what
    the file says (lone surrogates and NUL bytes included, for validation to report).
    """
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    buf, pos, eof, offset = "", 0, False, 0
    with open(path, "rb") as fh:

        def more() -> bool:
            # Reads at least as much as the unparsed tail holds, so a record that spans
            # many chunks is re-parsed a logarithmic number of times, not once per chunk.
            nonlocal buf, pos, eof, offset
            if eof:
                return False
            raw = fh.read(max(chunk_size, len(buf) - pos))
            try:
                text = utf8.decode(raw, final=not raw)
            except UnicodeDecodeError as exc:
                raise ImportAborted(f"{path}: not valid UTF-8 near byte {offset + exc.start}",
                                    hint="Re-save the file as UTF-8.") from None
            offset += len(raw)
            eof = not raw
            if pos > (1 << 20):
                buf, pos = buf[pos:], 0
            buf += text
            return True

        def skip_ws() -> str:
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos] in " \t\r\n":
                    pos += 1
                if pos < len(buf):
                    return buf[pos]
                if not more():
                    return ""

        if skip_ws() != "[":
            raise ImportAborted(f"{path}: expected a JSON list of node records",
                                hint="nodes.json holds one list: [{\"id\": …}, …].")
        pos += 1
        index = 0
        if skip_ws() == "]":
            return
        while True:
            while True:
                try:
                    value, end = decoder.raw_decode(buf, pos)
                    break
                except json.JSONDecodeError as exc:
                    if len(buf) - pos < max_record and more():
                        continue
                    raise ImportAborted(f"{path}: record #{index} is not valid JSON: {exc.msg}",
                                        hint="Fix or remove that record.") from None
            pos = end
            yield index, value
            index += 1
            sep = skip_ws()
            if sep == ",":
                pos += 1
                skip_ws()
                continue
            if sep == "]":
                return
            raise ImportAborted(f"{path}: expected ',' or ']' after record #{index - 1}",
                                hint="The file is truncated or not a JSON list.")


# ------------------------------------------------------------------ validation + COPY encoding

class BadValue(Exception):
    """One field's problem; encode_record collects them with the field's name."""


_I16 = struct.Struct(">h").pack
_I32 = struct.Struct(">i").pack
_HEADER = _I16(len(FIELDS) + 1)  # the fields below plus the vector
_TRUE, _FALSE = b"\x00\x00\x00\x01\x01", b"\x00\x00\x00\x01\x00"
_EMPTY_TEXT_ARRAY = _I32(12) + struct.pack(">iii", 0, 0, _TEXT_OID)


def _enc_text(value: Any, limit: int) -> bytes:
    if not isinstance(value, str):
        raise BadValue(f"must be a string, got {type(value).__name__}")
    if "\x00" in value:
        raise BadValue("contains a NUL byte, which PostgreSQL text cannot hold")
    if len(value) > limit:
        raise BadValue(f"is {len(value)} characters; at most {limit} are allowed")
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadValue("contains a lone surrogate (not valid Unicode)") from None
    return _I32(len(data)) + data


def parse_timestamp(value: Any) -> datetime:
    """An ISO 8601 string as an aware datetime; a naive one is taken as UTC."""
    if not isinstance(value, str):
        raise BadValue(f"must be an ISO 8601 timestamp string, got {type(value).__name__}")
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        raise BadValue(f"is not an ISO 8601 timestamp: {value[:40]!r}") from None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts


def _enc_ts(value: Any) -> bytes:
    delta = parse_timestamp(value) - PG_EPOCH
    return struct.pack(">iq", 8, (delta.days * 86400 + delta.seconds) * 1_000_000
                       + delta.microseconds)


def _int(value: Any, low: int, high: int = 2**31 - 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise BadValue(f"must be an integer, got {value!r:.40}")
    if not low <= value <= high:
        raise BadValue(f"must be between {low} and {high}, got {value}")
    return value


def _enc_id(value: Any) -> bytes:
    if not isinstance(value, str) or not ID_RE.fullmatch(value):
        raise BadValue(f"must be 1-128 letters, digits and _ . : - (got {value!r:.60})")
    return _enc_text(value, 128)


def _enc_bool(value: Any) -> bytes:
    if value is True:
        return _TRUE
    if value is False:
        return _FALSE
    raise BadValue(f"must be true or false, got {value!r:.40}")


def _enc_prob(value: Any) -> bytes:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadValue(f"must be a number, got {value!r:.40}")
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise BadValue(f"must be between 0 and 1, got {value}")
    return struct.pack(">if", 4, value)


def _enc_tags(value: Any) -> bytes:
    if not isinstance(value, (list, tuple)):
        raise BadValue(f"must be a list of strings, got {type(value).__name__}")
    if not value:
        return _EMPTY_TEXT_ARRAY
    if len(value) > 64:
        raise BadValue(f"has {len(value)} tags; at most 64 are allowed")
    items = []
    for tag in value:
        if not isinstance(tag, str) or not 1 <= len(tag) <= 100:
            raise BadValue("must be a list of non-empty strings of at most 100 characters")
        items.append(_enc_text(tag, 100))
    body = struct.pack(">iiiii", 1, 0, _TEXT_OID, len(items), 1) + b"".join(items)
    return _I32(len(body)) + body


Encoder = Callable[[Any], bytes]


@dataclass
class Context:
    """What validation needs to know about the target: from the database, once per run."""

    allowed: dict[str, tuple[str, ...]]
    chat_import: bool
    has_user: bool
    _encoders: list[tuple[str, Encoder, bool, bytes]] | None = field(
        default=None, repr=False, compare=False)

    def _enum(self, name: str) -> Encoder:
        allowed = self.allowed[name]
        table = {v: _enc_text(v, 100) for v in allowed}
        listed = ", ".join(allowed)
        refused: dict[str, str] = {}
        if name == "source" and not self.chat_import:
            refused = dict.fromkeys(CHAT_SOURCES, "chat import is disabled for this tenant; "
                                    "enterprise memory is built from the assistant's own "
                                    "conversations")
        if name == "visibility" and not self.has_user:
            refused = {"private": "a private memory needs --user (its owner)"}

        def enc(value: Any) -> bytes:
            data = table.get(value) if isinstance(value, str) else None
            if data is None:
                raise BadValue(f"must be one of {listed}, got {value!r:.60}")
            if value in refused:
                raise BadValue(refused[value])
            return data
        return enc

    def encoders(self) -> list[tuple[str, Encoder, bool, bytes]]:
        """(field, encoder, required, encoded default) in COPY order, built once."""
        if self._encoders is None:
            out = []
            for name, _pgtype, kind, required, default in FIELDS:
                if kind == "id":
                    enc: Encoder = _enc_id
                elif kind.startswith("text:"):
                    enc = functools.partial(_enc_text, limit=int(kind[5:]))
                elif kind == "enum":
                    enc = self._enum(name)
                elif kind == "ts":
                    enc = _enc_ts
                elif kind.startswith("int:"):
                    low = int(kind[4:])
                    enc = functools.partial(lambda v, low: struct.pack(">ii", 4, _int(v, low)),
                                            low=low)
                elif kind == "depth":
                    enc = lambda v: struct.pack(">ih", 2, _int(v, 0, 10))  # noqa: E731
                elif kind == "bool":
                    enc = _enc_bool
                elif kind == "prob":
                    enc = _enc_prob
                else:
                    enc = _enc_tags
                out.append((name, enc, required,
                            _NULL if default is None else enc(
                                list(default) if isinstance(default, tuple) else default)))
            self._encoders = out
        return self._encoders


def encode_record(rec: Any, ctx: Context) -> tuple[bytes | None, list[str], str | None]:
    """Validate one record; returns (COPY row without the vector, problems, id)."""
    if not isinstance(rec, dict):
        return None, [f"record must be a JSON object, got {type(rec).__name__}"], None
    get = rec.get
    rid = get("id")
    rid = rid if isinstance(rid, str) else None
    problems: list[str] = []
    parts = [_HEADER]
    append = parts.append
    for name, enc, required, default in ctx.encoders():
        value = get(name)
        if value is None:
            if required:
                problems.append(f"{name}: missing (required)")
            else:
                append(default)
            continue
        try:
            append(enc(value))
        except BadValue as exc:
            problems.append(f"{name}: {exc}")
    if not problems:
        if rec["human_content"] == "" and rec["assistant_content"] == "":
            problems.append("human_content: a memory needs human_content or assistant_content")
        expires = get("expires_at")
        if expires is not None and parse_timestamp(expires) <= parse_timestamp(rec["created_at"]):
            problems.append("expires_at: must be later than created_at")
    if problems:
        return None, problems, rid
    return b"".join(parts), [], rid


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


def encode_vectors(block: np.ndarray) -> list[bytes]:
    """COPY binary fields of pgvector values, one per row of ``block``."""
    n, dims = block.shape
    head = struct.pack(">iHH", 4 + 4 * dims, dims, 0)
    data = np.ascontiguousarray(block, dtype=">f4").tobytes()
    step = 4 * dims
    return [head + data[i * step:(i + 1) * step] for i in range(n)]


# --------------------------------------------------------------------------- the run

@dataclass
class Problem:
    index: int
    id: str | None
    reasons: list[str]

    def line(self) -> str:
        rid = f"id {self.id!r}" if self.id is not None else "no id"
        return f"record #{self.index} ({rid}): " + "; ".join(self.reasons)


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
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return (self.imported + self.already_present + len(self.conflicts)) / self.seconds \
            if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        return not (self.aborted or self.rejected or set(self.conflicts) - set(self.updated))


Progress = Callable[[int, int], None]

_COLUMNS = sql.SQL(", ").join(sql.Identifier(n) for n in FIELD_NAMES)
_STAGE_COLUMNS = sql.SQL(", ").join(
    sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t, *_ in FIELDS)
_CREATE_STAGE = sql.SQL(
    "CREATE TEMP TABLE cogdb_import_stage ({}, embedding public.vector STORAGE PLAIN NOT NULL)"
    " WITH (toast_tuple_target = 8160) ON COMMIT DROP").format(_STAGE_COLUMNS)
_COPY = sql.SQL("COPY pg_temp.cogdb_import_stage ({}, embedding) FROM STDIN (FORMAT BINARY)"
                ).format(_COLUMNS)
_SAME = sql.SQL("({}) IS NOT DISTINCT FROM ({})").format(
    sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(n)) for n in FIELD_NAMES[1:]),
    sql.SQL(", ").join(sql.SQL("m.{}").format(sql.Identifier(n)) for n in FIELD_NAMES[1:]))
# One statement: insert what is new (tenant and owner are the context's, read once by
# InitPlans instead of once per row by the columns' defaults); compare the rows that were
# not inserted with what was there before (the CTE's insert is invisible to the rest of the
# statement). Each compared row is one probe of the primary key: ORDER BY its columns +
# LIMIT 1 keeps the planner on it even when a tenant is too new for statistics (another
# index would then look as cheap and turn every probe into a scan of the tenant). A first
# import probes nothing.
_MERGE = sql.SQL("""
    WITH ins AS (
        INSERT INTO cogdb.memories AS m ({cols}, tenant_id, owner_user_id, model, embedding)
        SELECT {cols}, (SELECT cogdb.current_tenant_id()), (SELECT cogdb.current_user_id()),
               %(model)s::text, s.embedding FROM pg_temp.cogdb_import_stage s
        ON CONFLICT (tenant_id, id) DO NOTHING
        RETURNING m.id),
    cmp AS (
        SELECT s.id, o.same
          FROM pg_temp.cogdb_import_stage s
          LEFT JOIN LATERAL (
              SELECT {same} AND m.model = %(model)s::text
                     AND m.embedding OPERATOR(public.=) s.embedding AS same
                FROM cogdb.memories m WHERE m.id = s.id
               ORDER BY m.tenant_id, m.id LIMIT 1) o ON true
         WHERE NOT EXISTS (SELECT FROM ins WHERE ins.id = s.id))
    SELECT (SELECT count(*) FROM ins),
           count(*) FILTER (WHERE cmp.same),
           coalesce(array_agg(cmp.id ORDER BY cmp.id) FILTER (WHERE NOT cmp.same), '{{}}'),
           coalesce(array_agg(cmp.id ORDER BY cmp.id) FILTER (WHERE cmp.same IS NULL), '{{}}')
      FROM cmp
""").format(cols=_COLUMNS, same=_SAME)
# For ids inserted by a concurrent transaction after the statement above took its snapshot,
# or taken by a memory this scope cannot see: compare again with a fresh snapshot.
_RECHECK = sql.SQL("""
    SELECT s.id, {same} AND m.model = %(model)s::text
                 AND m.embedding OPERATOR(public.=) s.embedding
      FROM pg_temp.cogdb_import_stage s JOIN cogdb.memories m ON m.id = s.id
     WHERE s.id = ANY(%(ids)s::text[])
""").format(same=_SAME)
_UPDATE = sql.SQL("""
    UPDATE cogdb.memories AS m SET ({cols}, model, embedding)
         = ({scols}, %(model)s::text, s.embedding)
      FROM pg_temp.cogdb_import_stage s
     WHERE m.id = s.id AND s.id = ANY(%(ids)s::text[])
    RETURNING m.id
""").format(cols=sql.SQL(", ").join(sql.Identifier(n) for n in FIELD_NAMES[1:]),
            scols=sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(n))
                                     for n in FIELD_NAMES[1:]))
_PREFLIGHT = """
    SELECT coalesce(%(model)s::text, t.default_model,
                    (SELECT value #>> '{}' FROM cogdb.settings WHERE key = 'default_model')),
           (cogdb.effective_settings(t.mode, t.settings) #>> '{features,chat_import}')::boolean,
           (SELECT jsonb_object_agg(f, cogdb.allowed_values(f)) FROM unnest(%(fields)s::text[]) f)
      FROM cogdb.tenants t WHERE t.id = cogdb.current_tenant_id()
"""


def preflight(client: Any, tenant: Any, user: Any, model: str | None) -> tuple[str, int, Context]:
    """Model name and dimensions, allowed values and the chat toggle, read in the scope (so
    an unknown tenant or a user of another tenant fails here, before any file is read)."""
    with client.scope(tenant, user) as s:
        conn = s.connection
        name, chat, allowed = conn.execute(
            _PREFLIGHT, {"model": model, "fields": list(ENUM_FIELDS)}).fetchone()
        dims = conn.execute("SELECT dimensions FROM cogdb.embedding_models WHERE name = %s",
                            (name,)).fetchone()
    if dims is None:
        raise InvalidInput(f"unknown embedding model {name!r}", field="model",
                           hint="Register it (cogdb.register_model) or pass --model NAME.")
    ctx = Context({k: tuple(v) for k, v in allowed.items()}, bool(chat), user is not None)
    return name, int(dims[0]), ctx


def load_vectors(data_dir: Path) -> np.ndarray:
    path = data_dir / VECTORS_FILE
    if not path.is_file():
        raise ImportAborted(f"{path} does not exist", hint="Pass the folder that holds "
                            "corpus/nodes.json and vectors/nodes.npy as --data-dir.")
    try:
        vectors = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise ImportAborted(f"{path}: not a NumPy .npy array ({exc})") from None
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
    count = 0
    # The vectors are checked in another thread while this one parses the records (NumPy and
    # file reads release the GIL); vector problems are merged in afterwards.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cogdb-vectors") as pool:
        checked = pool.submit(vector_problems, vectors)
        for index, rec in iter_json_array(path):
            count = index + 1
            row, reasons, rid = encode_record(rec, ctx)
            if isinstance(rec, dict):
                extra = rec.keys() - FIELD_SET
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
                 dry_run: bool = False, batch_size: int = 1000,
                 reject_file: Path | str | None = None,
                 progress: Progress | None = None, workers: int = 2) -> ImportReport:
    """Import DIR/corpus/nodes.json + DIR/vectors/nodes.npy into ``tenant`` (and ``user``).

    Validates everything before writing anything. ``on_error='abort'`` writes nothing when
    any record is invalid; ``'skip'`` imports the valid ones. Invalid records are in the
    report and, given ``reject_file``, written there (JSON lines: index, id, reasons and
    the record) in both modes.
    Records whose id is already present with other content are conflicts: reported, and
    replaced only with ``update=True``.
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
    report.model = name
    if not nodes_path.is_file():
        raise ImportAborted(f"{nodes_path} does not exist", hint="Pass the folder that holds "
                            "corpus/nodes.json and vectors/nodes.npy as --data-dir.")
    vectors = load_vectors(data_dir)
    if vectors.shape[1] != dims:
        raise ImportAborted(f"the vectors have {vectors.shape[1]} dimensions; model {name!r} "
                            f"needs {dims}",
                            hint="Pass --model with a registered model of that dimension.")
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


@dataclass
class BatchResult:
    rows: int
    inserted: int
    same: int
    conflicts: list[str]
    updated: list[str]
    timings: dict[str, float]


# Per batch: asynchronous commit (see write_batch), and room in memory for the AFTER
# trigger's transition table of a batch (it holds whole rows; the default 4MB spills).
_BATCH_SETTINGS = ("SELECT set_config('synchronous_commit', 'off', true),"
                   " set_config('work_mem', '64MB', true)")


def flush_wal(client: Any, tenant: Any, user: Any) -> None:
    """Waits until everything committed so far is on disk: a transaction that gets an id
    commits synchronously, and its commit record comes after every earlier commit's."""
    with client.scope(tenant, user) as s:
        s.connection.execute("SELECT set_config('synchronous_commit', 'on', true),"
                             " pg_catalog.pg_current_xact_id()")


def write_batch(client: Any, tenant: Any, user: Any, model: str, payload: bytes, rows: int,
                 update: bool) -> BatchResult:
    """One batch, one scope (one transaction): COPY to the stage, merge, commit."""
    t1 = time.perf_counter()
    updated: list[str] = []
    with client.scope(tenant, user) as s:
        conn = s.connection
        # Batches commit without waiting for their WAL to reach disk; the import ends with
        # flush_wal(), which does wait, so a finished import is durable. A server crash
        # midway can lose the last batches' commits, which a rerun then adds (idempotent).
        conn.execute(_BATCH_SETTINGS)
        conn.execute(_CREATE_STAGE)
        with conn.cursor().copy(_COPY) as copy:
            copy.write(payload)
        t2 = time.perf_counter()
        inserted, same, conflicts, missing = conn.execute(_MERGE, {"model": model}).fetchone()
        t3 = time.perf_counter()
        if missing:
            for rid, equal in conn.execute(_RECHECK, {"model": model, "ids": missing}):
                if equal:
                    same += 1
                else:
                    conflicts.append(rid)
                missing.remove(rid)
            conflicts.extend(missing)  # taken by a memory this scope cannot see
        if update and conflicts:
            updated = sorted(r[0] for r in conn.execute(_UPDATE, {"model": model,
                                                                  "ids": conflicts}))
    return BatchResult(rows, inserted, same, sorted(conflicts), updated,
                        {"copy": t2 - t1, "insert": t3 - t2,
                         "commit+rest": time.perf_counter() - t3})


def _load(client: Any, tenant: Any, user: Any, model: str, vectors: np.ndarray, spool: _Spool,
          skip: set[int], batch_size: int, update: bool, report: ImportReport,
          progress: Progress | None, workers: int = 2) -> None:
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
                vecs = encode_vectors(np.asarray(block))
                payload = b"".join([COPY_SIGNATURE,
                                    *(r + v for r, v in zip(rows, vecs, strict=True)),
                                    COPY_TRAILER])
                timings["encode"] += time.perf_counter() - t0
                while len(pending) > workers:
                    collect(pending.popleft().result())
                pending.append(pool.submit(write_batch, client, tenant, user, model,
                                           payload, len(rows), update))
            while pending:
                collect(pending.popleft().result())
            flush_wal(client, tenant, user)
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
    cols=_COLUMNS)


def _json_value(name: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if name == "cluster_confidence" and value is not None:
        return float(str(np.float32(value)))  # the shortest text that reads back as that real
    if name == "tags":
        return list(value)
    return value


def export_nodes(client: Any, tenant: Any, data_dir: Path | str, *, user: Any = None,
                 model: str | None = None, progress: Progress | None = None) -> tuple[int, str]:
    """Write the memories of ``tenant`` (those the scope may see) of one model as
    DIR/corpus/nodes.json + DIR/vectors/nodes.npy; returns (count, model)."""
    data_dir = Path(data_dir)
    name, dims, _ = preflight(client, tenant, user, model)
    (data_dir / NODES_FILE).parent.mkdir(parents=True, exist_ok=True)
    (data_dir / VECTORS_FILE).parent.mkdir(parents=True, exist_ok=True)
    with client.scope(tenant, user) as s:
        conn = s.connection
        total = conn.execute("SELECT count(*) FROM cogdb.memories WHERE model = %s",
                             (name,)).fetchone()[0]
        vectors = np.lib.format.open_memmap(data_dir / VECTORS_FILE, mode="w+",
                                            dtype=np.float32, shape=(total, dims))
        tmp = data_dir / NODES_FILE.with_suffix(".json.part")
        n = 0
        with open(tmp, "w", encoding="utf-8") as out, conn.cursor(name="cogdb_export") as cur:
            cur.itersize = 2000
            cur.execute(_EXPORT, (name,))
            out.write("[")
            for row in cur:
                record = {k: _json_value(k, v) for k, v in zip(FIELD_NAMES, row, strict=False)}
                out.write(("\n" if n == 0 else ",\n")
                          + json.dumps(record, ensure_ascii=False, separators=(", ", ": ")))
                vectors[n] = row[-1].to_numpy() if hasattr(row[-1], "to_numpy") else row[-1]
                n += 1
                if progress and n % 2000 == 0:
                    progress(n, total)
            out.write("\n]\n")
        vectors.flush()
        del vectors
        os.replace(tmp, data_dir / NODES_FILE)
    if progress:
        progress(n, total)
    return n, name

