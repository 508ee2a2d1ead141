"""Checks on values before they are sent: only what cannot reach the server intact.

NUL bytes and lone surrogates do not survive the trip as text, non-finite floats do not
survive as JSON, and a malformed UUID would fail with a message that names no field. Every
other rule (sizes, enums, ranges) is the database's, so a direct INSERT is checked the same.
"""
from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Any

import numpy as np

from .errors import InvalidInput


def as_uuid(value: uuid.UUID | str | None, field: str, *, required: bool = True) -> str | None:
    """``value`` as the text of a UUID (None when absent and not ``required``)."""
    if value is None:
        if required:
            raise InvalidInput(f"{field} is required", field=field)
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise InvalidInput(f"{field} must be a UUID, got {str(value)[:60]!r}",
                           field=field) from None


def check_text(value: Any, field: str, where: str = "") -> None:
    """Refuse a string PostgreSQL text cannot hold (``where`` says which item, if any)."""
    if not isinstance(value, str):
        return
    if "\x00" in value:
        raise InvalidInput(f"{field}{where} contains a NUL byte, which PostgreSQL text cannot hold",
                           field=field, hint="Strip \\x00 characters before storing.")
    if value.isascii():  # the common case: no surrogate possible, no copy made
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{field}{where} contains a lone surrogate (not valid Unicode)",
                           field=field, hint="Decode the source text with errors='replace'.") \
            from None


def check_json(value: Any, field: str, where: str = "") -> None:
    """Refuse text anywhere in a JSON value (keys included) that PostgreSQL cannot hold."""
    if isinstance(value, str):
        check_text(value, field, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, field, where)
            check_json(item, field, where)
    elif isinstance(value, (list, tuple)):
        for item in value:
            check_json(item, field, where)


def as_vector(value: Any, field: str, where: str = "") -> np.ndarray:
    """A non-empty 1-D float32 vector of finite numbers."""
    try:
        arr = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field}{where} must be a sequence of numbers", field=field) from None
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidInput(f"{field}{where} must be a non-empty 1-D vector, got shape {arr.shape}",
                           field=field)
    if not np.all(np.isfinite(arr)):
        raise InvalidInput(f"{field}{where} contains NaN or infinity", field=field,
                           hint="Check the embedder output; vectors must be finite.")
    return arr


def as_vectors(values: Any, field: str) -> list[np.ndarray]:
    """:func:`as_vector` for each row of ``values``; a 2-D array is checked in one pass
    (the per-row messages, ``(memory #i)``, only when a row is refused)."""
    if isinstance(values, np.ndarray) and values.ndim == 2 and values.shape[1] > 0:
        arr = values.astype(np.float32, copy=False)
        if np.isfinite(arr).all():
            return list(arr)
    many = len(values) > 1
    return [as_vector(v, field, f" (memory #{i})" if many else "") for i, v in enumerate(values)]


def jsonable(value: Any) -> Any:
    """``value`` as JSON can carry it to the SQL functions."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (tuple, set)):
        return list(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # let the server name the field
    return value
