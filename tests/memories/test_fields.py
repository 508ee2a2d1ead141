"""The one description of a memory's fields (cogdb.api.fields) matches the table and the
Memory class, so the importer, the export and the client cannot drift from either."""
from __future__ import annotations

from dataclasses import fields

from cogdb import Memory
from cogdb.api.fields import FIELD_NAMES, MEMORY_FIELDS

#: Columns the scope and the call fill, never the caller's record (anonymised_at: the
#: retention purge).
SCOPE_COLUMNS = {"tenant_id", "owner_user_id", "model", "embedding", "anonymised_at"}


def test_fields_are_the_memories_columns_with_their_types(db):
    columns = dict(db.super.execute(
        "SELECT attname::text, atttypid::regtype::text FROM pg_attribute"
        " WHERE attrelid = 'cogdb.memories'::regclass AND attnum > 0 AND NOT attisdropped"
    ).fetchall())
    assert set(columns) - SCOPE_COLUMNS == set(FIELD_NAMES)
    declared = {f.name: db.super.execute("SELECT %s::regtype::text", (f.pgtype,)).fetchone()[0]
                for f in MEMORY_FIELDS}
    assert declared == {name: columns[name] for name in FIELD_NAMES}


def test_memory_class_has_every_field_and_column():
    assert {f.name for f in fields(Memory)} == set(FIELD_NAMES) | SCOPE_COLUMNS
