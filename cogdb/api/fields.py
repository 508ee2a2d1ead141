"""The one description of a memory's fields.

Each field a caller may give (tenant and owner come from the scope, never from input) with
its column type in ``cogdb.memories``, how a value is checked, and what a record of an
imported store must carry or gets when it leaves a field out. The importer's staging table
and COPY column list, the export, the Python client and the tests all read it from here; the
database holds the same limits in its constraints and the check_memory_row trigger.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from psycopg import sql


@dataclass(frozen=True)
class Field:
    name: str
    #: the column's type in cogdb.memories
    pgtype: str
    #: how a value is checked: id, text, enum, timestamp, integer, boolean, probability,
    #: tags (a list of strings or an object), object (a JSON object), uuid
    kind: str
    #: a record of an imported store must carry it
    required: bool = False
    #: what an imported record that leaves it out stores (None: NULL)
    default: Any = None
    #: characters at most (text, id; for tags, of each tag or key)
    max_length: int | None = None
    #: bounds of an integer (None above: the column type's own limit)
    minimum: int | None = None
    maximum: int | None = None
    #: tags (or keys of a tags object) at most
    max_items: int | None = None
    #: bytes of compact JSON at most (tags, object)
    max_bytes: int | None = None


TEXT_MAX = 100_000  # human_content and assistant_content, characters

#: In the order of the importer's staging table and COPY stream.
MEMORY_FIELDS: tuple[Field, ...] = (
    Field("id", "text", "id", required=True, max_length=128),
    # Not required: a memory written by remember() has none, and an export writes it as null.
    Field("conversation_id", "text", "text", max_length=255),
    Field("sequence_index", "integer", "integer", required=True, minimum=0),
    Field("human_content", "text", "text", required=True, max_length=TEXT_MAX),
    Field("assistant_content", "text", "text", required=True, max_length=TEXT_MAX),
    Field("summary", "text", "text", max_length=10_000),
    Field("context_type", "text", "enum", default="conversation"),
    Field("source", "text", "enum", required=True),
    Field("created_at", "timestamptz", "timestamp", required=True),
    Field("expires_at", "timestamptz", "timestamp"),
    Field("visibility", "text", "enum", default="tenant"),
    Field("intent_type", "text", "enum"),
    Field("complexity", "text", "enum"),
    Field("technical_depth", "smallint", "integer", minimum=0, maximum=10),
    Field("emotional_valence", "text", "enum"),
    Field("urgency", "text", "enum"),
    Field("conversation_mode", "text", "enum"),
    Field("action_required", "boolean", "boolean", default=False),
    Field("has_code", "boolean", "boolean", default=False),
    Field("has_error", "boolean", "boolean", default=False),
    Field("tags", "jsonb", "tags", default=(), max_length=100, max_items=64, max_bytes=16_384),
    Field("cluster_id", "integer", "integer", default=-1, minimum=-1),
    Field("cluster_label", "text", "text", max_length=255),
    Field("cluster_confidence", "real", "probability"),
    Field("access_count", "integer", "integer", default=0, minimum=0),
    Field("last_accessed", "timestamptz", "timestamp"),
    Field("metadata", "jsonb", "object", default={}, max_bytes=65_536),
    # the session it was made in: one of the target tenant's that the scope can see
    Field("session_id", "uuid", "uuid"),
)
FIELD_NAMES = tuple(f.name for f in MEMORY_FIELDS)
BY_NAME = {f.name: f for f in MEMORY_FIELDS}
#: The fields whose values come from a list in the database (cogdb.allowed_values).
ENUM_FIELDS = tuple(f.name for f in MEMORY_FIELDS if f.kind == "enum")

#: The ``source`` of memories imported from a provider's chat export, by provider. The
#: database refuses these sources where the tenant's ``features.chat_import`` is off.
CHAT_EXPORT_SOURCES = {"chatgpt": "chatgpt_export", "claude": "claude_export"}


def columns(names: Iterable[str] = FIELD_NAMES, alias: str | None = None) -> sql.Composed:
    """``a, b, …`` (or ``alias.a, alias.b, …``) for a statement that lists the fields."""
    return sql.SQL(", ").join(sql.Identifier(alias, n) if alias else sql.Identifier(n)
                              for n in names)
