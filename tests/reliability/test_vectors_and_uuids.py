"""Vectors whose cosine distance pgvector cannot compute finitely are refused (CGV01, naming
the field) on every path that stores or searches with one, and leave the database unchanged;
``parse_uuid`` names the field for every malformed id the uuid cast would refuse.

pgvector sums squares and products in single precision: 384 x 1e-45 squares to zero there
(its distance to anything is NaN) and 1e20 in every component overflows (NaN even to itself),
although both have a non-zero norm in double precision, where the old checks computed it.
Each refusal is asserted as the app login; a positive control beside it stores or searches
with a small but usable vector (1e-10 in every component) and a normal one.
"""
from __future__ import annotations

import json
import uuid

import numpy as np
import pytest
from helpers import DIMS, count, in_context, sql_error, vec

import cogdb

NEAR_ZERO = np.full(DIMS, 1e-45, dtype=np.float32)   # squares underflow float: NaN distances
HUGE = np.full(DIMS, 1e20, dtype=np.float32)         # squares overflow float: NaN to itself
SMALL_OK = np.full(DIMS, 1e-10, dtype=np.float32)    # tiny, but its squares are floats
BAD = {"near-zero": NEAR_ZERO, "huge": HUGE}  # zero: tests/memories/test_validation.py

MEMORY_TABLES = ("memories", "entities", "store_items", "store_vectors", "offloaded_contexts")

#: (door, SQL taking the vector as %s, the field the refusal names)
WRITES = [
    ("remember", "SELECT cogdb.remember('q', 'a', %s)", "embedding"),
    ("remember_many", "SELECT * FROM cogdb.remember_many("
     "'[{\"human_content\": \"ok\"}, {\"human_content\": \"bad\"}]',"
     " ARRAY[%s, %s])", "embedding"),
    ("insert", "INSERT INTO cogdb.memories (id, human_content, embedding)"
     " VALUES ('v1', 'q', %s)", "embedding"),
    ("offload_context", "SELECT * FROM cogdb.offload_context('long text', %s)", "embedding"),
    ("upsert_entity", "SELECT * FROM cogdb.upsert_entity('Acme', embedding => %s)",
     "embedding"),
    ("store_put", "SELECT cogdb.store_put('[{\"namespace\": [\"n\"], \"key\": \"k\","
     " \"value\": {\"a\": 1}}]', '[{\"item\": 1, \"field\": \"$\"}, {\"item\": 1,"
     " \"field\": \"b\"}]', ARRAY[%s, %s])", "embeddings[2]"),
]
SEARCHES = [
    ("search", "SELECT * FROM cogdb.search(%s)", "query"),
    ("search_sessions", "SELECT * FROM cogdb.search_sessions(%s)", "query"),
    ("search_offloaded", "SELECT * FROM cogdb.search_offloaded(%s)", "query"),
    ("hybrid_search", "SELECT * FROM cogdb.hybrid_search('release', %s)", "query_vector"),
    ("store_search", "SELECT * FROM cogdb.store_search('{}', %s)", "query"),
]


def _params(sql: str, v: np.ndarray) -> tuple:
    """The vector for each %s; a two-vector door gets a good one first, the bad one second."""
    return (vec(1), v) if sql.count("%s") == 2 else (v,)


def _counts(db) -> dict[str, int]:
    return {t: count(db, table=t) for t in MEMORY_TABLES}


def test_writes_refuse_vectors_cosine_cannot_rank(app_conn, db, tenants):
    """Every door, every bad vector (one test: a fresh database per case would cost more than
    the calls)."""
    for door, sql, field in WRITES:
        for name, bad in BAD.items():
            before = _counts(db)
            err = sql_error(app_conn, sql, _params(sql, bad), tenant=tenants.a, user=tenants.a1)
            assert (err.sqlstate, err.diag.column_name) == ("CGV01", field), (
                door, name, err.sqlstate, err.diag.message_primary)
            assert err.diag.message_hint
            assert _counts(db) == before, (door, name)
        # control: a tiny but usable vector is stored through the same door
        before = _counts(db)
        with in_context(app_conn, tenants.a, tenants.a1) as c:
            c.execute(sql, _params(sql, SMALL_OK))
        assert _counts(db) != before, door
        db.super.execute("DELETE FROM cogdb.memories WHERE id = 'v1'")


def test_searches_refuse_query_vectors_cosine_cannot_rank(app_conn, tenants):
    for door, sql, field in SEARCHES:
        for name, bad in BAD.items():
            err = sql_error(app_conn, sql, (bad,), tenant=tenants.a, user=tenants.a1)
            assert (err.sqlstate, err.diag.column_name) == ("CGV01", field), (
                door, name, err.sqlstate, err.diag.message_primary)
        # control: the same door answers a usable query
        with in_context(app_conn, tenants.a, tenants.a1) as c:
            c.execute(sql, (SMALL_OK,)).fetchall()


def test_every_stored_vector_has_a_finite_distance_to_every_query(client, db, tenants):
    """What the refusals protect: among the rows and queries that are accepted, no distance
    is NaN, and the tiny vector ranks like the normal one pointing the same way."""
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember_many([{"human": "small"}, {"human": "normal"}], [SMALL_OK, vec(3)])
        for query in (SMALL_OK, vec(3), np.full(DIMS, 1e16, dtype=np.float32)):
            hits = s.search(query, k=5)
            assert len(hits) == 2
            assert all(np.isfinite(h.similarity) for h in hits), hits
        best = s.search(np.full(DIMS, 3.0, dtype=np.float32), k=1)[0]
        assert best.human_content == "small" and best.similarity == pytest.approx(1.0, abs=1e-5)
    for name, v in {**BAD, "zero": np.zeros(DIMS, dtype=np.float32)}.items():
        with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a) as s:
            s.search(v)
        assert info.value.field == "query", name


# --------------------------------------------------------------------------- parse_uuid

MALFORMED = [" {u} ", " {u}", "{u} ", "{{{u}", "{u}}}", "{{{u}}}x", "\t{u}", "{u}\n"]


def test_parse_uuid_names_the_field_for_what_the_cast_refuses(app_conn, tenants):
    for shape in MALFORMED:
        value = shape.format(u=tenants.a)
        err = sql_error(app_conn, "SELECT cogdb.set_context(%s::text)", (value,))
        assert (err.sqlstate, err.diag.column_name) == ("CGV01", "tenant_id"), (
            value, err.sqlstate, err.diag.message_primary)
        err = sql_error(app_conn, "SELECT cogdb.parse_uuid(%s, 'thing_id')", (value,))
        assert (err.sqlstate, err.diag.column_name) == ("CGV01", "thing_id")


def test_parse_uuid_accepts_the_layouts_the_cast_accepts(app_conn, tenants):
    u = str(tenants.a)
    for value in (u, "{" + u + "}", u.replace("-", ""), u.upper()):
        app_conn.autocommit = True
        got = app_conn.execute("SELECT cogdb.parse_uuid(%s, 'x')", (value,)).fetchone()[0]
        assert got == uuid.UUID(u)
        with in_context(app_conn, value, None) as c:
            assert c.execute("SELECT cogdb.current_tenant_id()").fetchone()[0] == uuid.UUID(u)


def test_stored_vectors_refused_in_a_batch_name_their_position(app_conn, db, tenants):
    items = json.dumps([{"namespace": ["n"], "key": f"k{i}", "value": {"i": i}}
                        for i in range(3)])
    keys = json.dumps([{"item": i + 1, "field": "$"} for i in range(3)])
    err = sql_error(app_conn, "SELECT cogdb.store_put(%s, %s, ARRAY[%s, %s, %s])",
                    (items, keys, vec(1), HUGE, vec(2)), tenant=tenants.a)
    assert (err.sqlstate, err.diag.column_name) == ("CGV01", "embeddings[2]")
    assert count(db, table="store_items") == 0


def test_plain_sql_into_store_vectors_refuses_vectors_cosine_cannot_rank(app_conn, db, tenants):
    """The app login may write the LangGraph store's tables directly: the column's CHECK
    (store_vectors_embedding_check) refuses what store_put refuses, with the control beside."""
    insert = ("INSERT INTO cogdb.store_vectors (namespace, key, field, embedding)"
              " VALUES ('n', 'k', %s, %s)")
    with in_context(app_conn, tenants.a, tenants.a1) as c:
        c.execute("INSERT INTO cogdb.store_items (namespace, key, value) VALUES ('n', 'k', '{}')")
    for name, bad in BAD.items():
        before = count(db, table="store_vectors")
        err = sql_error(app_conn, insert, (name, bad), tenant=tenants.a, user=tenants.a1)
        assert (err.sqlstate, err.diag.constraint_name) == (
            "23514", "store_vectors_embedding_check"), (name, err.sqlstate)
        assert count(db, table="store_vectors") == before
    with in_context(app_conn, tenants.a, tenants.a1) as c:  # control: a usable vector is taken
        c.execute(insert, ("ok", SMALL_OK))
    assert count(db, table="store_vectors") == 1
