"""Validating an imported memory record and encoding it for PostgreSQL's binary COPY.

A record is checked field by field against :data:`cogdb.api.fields.MEMORY_FIELDS` and, when
valid, encoded once into COPY's binary row format (every field but the vector; the vector is
appended by :func:`copy_payload`). The checks mirror the database's, so problems are found and
reported, with the record's index and id, before anything is written; the database checks
every row again when it is inserted.
"""
from __future__ import annotations

import functools
import json
import math
import re
import struct
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ..api.fields import BY_NAME, CHAT_EXPORT_SOURCES, MEMORY_FIELDS, Field

#: What the database says when a chat export is written where features.chat_import is off.
CHAT_IMPORT_DISABLED = ("chat import is disabled for this tenant; enterprise memory is built "
                        "from the assistant's own conversations")
ID_RE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_.:-]{{0,{BY_NAME['id'].max_length - 1}}}")
PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)

_NULL = struct.pack(">i", -1)
_I16 = struct.Struct(">h").pack
_I32 = struct.Struct(">i").pack
_HEADER = _I16(len(MEMORY_FIELDS) + 1)  # the fields plus the vector
_TRUE, _FALSE = b"\x00\x00\x00\x01\x01", b"\x00\x00\x00\x01\x00"
_JSONB_VERSION = b"\x01"  # jsonb's binary format: a version byte, then the JSON text
_ENUM_VALUE_MAX = 100  # characters; longer than any allowed value
#: struct format and size of an integer column, by PostgreSQL type.
_INT_FORMATS = {"integer": (">ii", 4, 2**31 - 1), "smallint": (">ih", 2, 2**15 - 1)}


class BadValue(Exception):
    """One field's problem; encode_record collects them with the field's name.
    ``unknown`` is the value of an enumerated field that is not in its vocabulary."""

    def __init__(self, message: str, unknown: str | None = None) -> None:
        super().__init__(message)
        self.unknown = unknown


Encoder = Callable[[Any], bytes]


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


def _int(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise BadValue(f"must be an integer, got {value!r:.40}")
    if not low <= value <= high:
        raise BadValue(f"must be between {low} and {high}, got {value}")
    return value


def _enc_int(value: Any, fmt: str, size: int, low: int, high: int) -> bytes:
    return struct.pack(fmt, size, _int(value, low, high))


def _enc_id(value: Any, limit: int) -> bytes:
    if not isinstance(value, str) or not ID_RE.fullmatch(value):
        raise BadValue(f"must be 1-{limit} letters, digits and _ . : - (got {value!r:.60})")
    return _enc_text(value, limit)


def _enc_uuid(value: Any) -> bytes:
    if not isinstance(value, str):
        raise BadValue(f"must be a UUID string, got {type(value).__name__}")
    try:
        data = uuid.UUID(value).bytes
    except ValueError:
        raise BadValue(f"must be a UUID, got {value!r:.60}") from None
    return _I32(16) + data


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


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


def json_text(value: Any, max_bytes: int) -> bytes:
    """``value`` as compact JSON that PostgreSQL's jsonb accepts, or BadValue saying why not."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise BadValue(f"is not JSON that PostgreSQL can store ({exc})") from None
    if _has_nul(value):
        raise BadValue("contains a NUL character, which PostgreSQL jsonb cannot hold")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadValue("contains a lone surrogate (not valid Unicode)") from None
    if len(data) > max_bytes:
        raise BadValue(f"is {len(data):,} bytes of JSON; at most {max_bytes:,} are allowed")
    return data


def _enc_jsonb(data: bytes) -> bytes:
    return _I32(len(data) + 1) + _JSONB_VERSION + data


def _enc_tags(value: Any, max_items: int, limit: int, max_bytes: int) -> bytes:
    """A list of strings, or an object (the seeds' stores), kept in the shape given."""
    if isinstance(value, (list, tuple)):
        names, what = value, "tags"
        if not all(isinstance(t, str) for t in value):
            raise BadValue(f"must be a list of strings or an object, got a list with "
                           f"{next(type(t).__name__ for t in value if not isinstance(t, str))}")
    elif isinstance(value, dict):
        names, what = list(value), "keys"
    else:
        raise BadValue(f"must be a list of strings or an object, got {type(value).__name__}")
    if len(names) > max_items:
        raise BadValue(f"has {len(names)} {what}; at most {max_items} are allowed")
    if any(not 1 <= len(n) <= limit for n in names):
        raise BadValue(f"each {what[:-1]} must be a non-empty string of at most {limit} "
                       "characters")
    return _enc_jsonb(json_text(list(value) if what == "tags" else value, max_bytes))


def _enc_object(value: Any, max_bytes: int) -> bytes:
    if not isinstance(value, dict):
        raise BadValue(f"must be a JSON object, got {type(value).__name__}")
    return _enc_jsonb(json_text(value, max_bytes))


def _plain_encoder(f: Field) -> Encoder:
    """The encoder of a field whose check needs nothing from the database."""
    if f.kind == "id":
        return functools.partial(_enc_id, limit=f.max_length)
    if f.kind == "text":
        return functools.partial(_enc_text, limit=f.max_length)
    if f.kind == "timestamp":
        return _enc_ts
    if f.kind == "integer":
        fmt, size, type_max = _INT_FORMATS[f.pgtype]
        return functools.partial(_enc_int, fmt=fmt, size=size, low=f.minimum,
                                 high=type_max if f.maximum is None else f.maximum)
    if f.kind == "boolean":
        return _enc_bool
    if f.kind == "probability":
        return _enc_prob
    if f.kind == "tags":
        return functools.partial(_enc_tags, max_items=f.max_items, limit=f.max_length,
                                 max_bytes=f.max_bytes)
    if f.kind == "object":
        return functools.partial(_enc_object, max_bytes=f.max_bytes)
    if f.kind == "uuid":
        return _enc_uuid
    raise ValueError(f"no encoder for {f.name} ({f.kind})")


@dataclass
class Context:
    """What validation needs to know about the target: from the database, once per run.
    ``value_map`` renames values of enumerated fields before they are checked
    ({field: {from: to}}, the import's ``--map FIELD:FROM=TO``)."""

    allowed: dict[str, tuple[str, ...]]
    chat_import: bool
    has_user: bool
    value_map: dict[str, dict[str, str]] = field(default_factory=dict)
    #: the model registry's embedder spec of the target model (None: vectors come with it)
    embedder: str | None = None
    _encoders: list[tuple[str, Encoder, bool, bytes]] | None = field(
        default=None, repr=False, compare=False)

    def _enum(self, name: str) -> Encoder:
        allowed = self.allowed[name]
        table = {v: _enc_text(v, _ENUM_VALUE_MAX) for v in allowed}
        listed = ", ".join(allowed)
        renamed = self.value_map.get(name, {})
        refused: dict[str, str] = {}
        if name == "source" and not self.chat_import:
            refused = dict.fromkeys(CHAT_EXPORT_SOURCES.values(), CHAT_IMPORT_DISABLED)
        if name == "visibility" and not self.has_user:
            refused = {"private": "a private memory needs --user (its owner)"}

        def enc(value: Any) -> bytes:
            if isinstance(value, str):
                value = renamed.get(value, value)
                data = table.get(value)
            else:
                data = None
            if data is None:
                raise BadValue(f"must be one of {listed}, got {value!r:.60}",
                               unknown=value if isinstance(value, str) else None)
            if value in refused:
                raise BadValue(refused[value])
            return data
        return enc

    def encoders(self) -> list[tuple[str, Encoder, bool, bytes]]:
        """(field, encoder, required, encoded default) in COPY order, built once."""
        if self._encoders is None:
            out = []
            for f in MEMORY_FIELDS:
                enc = self._enum(f.name) if f.kind == "enum" else _plain_encoder(f)
                default = list(f.default) if isinstance(f.default, tuple) else f.default
                out.append((f.name, enc, f.required,
                            _NULL if default is None else enc(default)))
            self._encoders = out
        return self._encoders


def encode_record(rec: Any, ctx: Context, unknown: list[tuple[str, str]] | None = None
                  ) -> tuple[bytes | None, list[str], str | None]:
    """Validate one record; returns (COPY row without the vector, problems, id). Values of
    enumerated fields that are not in their vocabulary are added to ``unknown`` as
    (field, value) when it is given."""
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
            if exc.unknown is not None and unknown is not None:
                unknown.append((name, exc.unknown))
    if not problems:
        if rec["human_content"] == "" and rec["assistant_content"] == "":
            problems.append("human_content: a memory needs human_content or assistant_content")
        expires = get("expires_at")
        if expires is not None and parse_timestamp(expires) <= parse_timestamp(rec["created_at"]):
            problems.append("expires_at: must be later than created_at")
    if problems:
        return None, problems, rid
    return b"".join(parts), [], rid


def encode_vectors(block: np.ndarray) -> list[bytes]:
    """COPY binary fields of pgvector values, one per row of ``block``."""
    n, dims = block.shape
    head = struct.pack(">iHH", 4 + 4 * dims, dims, 0)
    data = np.ascontiguousarray(block, dtype=">f4").tobytes()
    step = 4 * dims
    return [head + data[i * step:(i + 1) * step] for i in range(n)]


def copy_payload(rows: Sequence[bytes], vectors: np.ndarray) -> bytes:
    """One binary COPY stream: each row of :func:`encode_record` followed by its vector."""
    vecs = encode_vectors(np.asarray(vectors, dtype=np.float32))
    return b"".join([COPY_SIGNATURE, *(r + v for r, v in zip(rows, vecs, strict=True)),
                     COPY_TRAILER])
