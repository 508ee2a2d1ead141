"""Validating an imported memory record and encoding it for PostgreSQL's binary COPY.

A record is checked field by field against :data:`cogdb.api.fields.MEMORY_FIELDS` and, when
valid, encoded once into COPY's binary row format (every field but the vector; the vector is
appended by :func:`copy_payload`). The checks mirror the database's, so problems are found and
reported, with the record's index and id, before anything is written; the database checks
every row again when it is inserted.
"""
from __future__ import annotations

import functools
import math
import re
import struct
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
_TEXT_OID = 25
_I16 = struct.Struct(">h").pack
_I32 = struct.Struct(">i").pack
_HEADER = _I16(len(MEMORY_FIELDS) + 1)  # the fields plus the vector
_TRUE, _FALSE = b"\x00\x00\x00\x01\x01", b"\x00\x00\x00\x01\x00"
_EMPTY_TEXT_ARRAY = _I32(12) + struct.pack(">iii", 0, 0, _TEXT_OID)
_ENUM_VALUE_MAX = 100  # characters; longer than any allowed value
#: struct format and size of an integer column, by PostgreSQL type.
_INT_FORMATS = {"integer": (">ii", 4, 2**31 - 1), "smallint": (">ih", 2, 2**15 - 1)}


class BadValue(Exception):
    """One field's problem; encode_record collects them with the field's name."""


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


def _enc_tags(value: Any, max_items: int, limit: int) -> bytes:
    if not isinstance(value, (list, tuple)):
        raise BadValue(f"must be a list of strings, got {type(value).__name__}")
    if not value:
        return _EMPTY_TEXT_ARRAY
    if len(value) > max_items:
        raise BadValue(f"has {len(value)} tags; at most {max_items} are allowed")
    items = []
    for tag in value:
        if not isinstance(tag, str) or not 1 <= len(tag) <= limit:
            raise BadValue(f"must be a list of non-empty strings of at most {limit} characters")
        items.append(_enc_text(tag, limit))
    body = struct.pack(">iiiii", 1, 0, _TEXT_OID, len(items), 1) + b"".join(items)
    return _I32(len(body)) + body


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
        return functools.partial(_enc_tags, max_items=f.max_items, limit=f.max_length)
    raise ValueError(f"no encoder for {f.name} ({f.kind})")


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
        table = {v: _enc_text(v, _ENUM_VALUE_MAX) for v in allowed}
        listed = ", ".join(allowed)
        refused: dict[str, str] = {}
        if name == "source" and not self.chat_import:
            refused = dict.fromkeys(CHAT_EXPORT_SOURCES.values(), CHAT_IMPORT_DISABLED)
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
            for f in MEMORY_FIELDS:
                enc = self._enum(f.name) if f.kind == "enum" else _plain_encoder(f)
                default = list(f.default) if isinstance(f.default, tuple) else f.default
                out.append((f.name, enc, f.required,
                            _NULL if default is None else enc(default)))
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
