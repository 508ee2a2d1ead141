"""Bad input is refused the same way on every path, names its field, and writes nothing.

Each invalid memory goes through five doors: the Python client's ``remember`` and
``remember_many`` (in a batch behind a valid row), SQL ``cogdb.remember`` and
``cogdb.remember_many`` as the app login, and a direct ``INSERT INTO cogdb.memories`` as the
app login in context (checked by the ``check_memory_row`` trigger). For each door the test
asserts the SQLSTATE (or the cogdb exception class), the field the error names
(``exc.field`` / ``diag.column_name``), and that the row count, read by the superuser, did not
move. Every refusal has a positive control beside it (the same door with valid input writes).
"""
from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import psycopg
import pytest
from helpers import DIMS, count, in_context, sql_error, unit_vector, vec
from psycopg import sql
from psycopg.types.json import Jsonb

import cogdb
from cogdb.api import client as client_module
from cogdb.db.errors import translate

T0 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)

CLASS_OF = {
    "CGV01": cogdb.InvalidInput,
    "CGV02": cogdb.UnknownModel,
    "CGA01": cogdb.ScopeRequired,
    "CGA02": cogdb.IsolationViolation,
    "CGN01": cogdb.NotFound,
    "CGC01": cogdb.Conflict,
    "23505": cogdb.Conflict,
}


# --------------------------------------------------------------------------- helpers


@contextmanager
def writes_nothing(db, *tables: str) -> Iterator[None]:
    tables = tables or ("memories",)
    before = {t: count(db, table=t) for t in tables}
    yield
    after = {t: count(db, table=t) for t in tables}
    assert after == before, f"rows were written despite the refusal: {before} -> {after}"


def sql_json(value: Any) -> Any:
    """A memory field as JSON for the SQL functions (NaN travels as a string, like the client)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def insert_stmt(row: dict[str, Any]) -> sql.Composed:
    cols = list(row)
    return sql.SQL("INSERT INTO cogdb.memories ({}) VALUES ({})").format(
        sql.SQL(", ").join(map(sql.Identifier, cols)),
        sql.SQL(", ").join([sql.Placeholder()] * len(cols)))


def direct_insert(conn, tenant, user, row: dict[str, Any]) -> None:
    """INSERT ``row`` as given; the JSON columns (tags, metadata) travel as jsonb."""
    values = [Jsonb(v) if k in ("tags", "metadata") and v is not None else v
              for k, v in row.items()]
    with in_context(conn, tenant, user) as c:
        c.execute(insert_stmt(row), values)


@pytest.fixture
def sent(monkeypatch) -> list[str]:
    """The statements the Python client sent through Scope._execute (set_context excluded)."""
    calls: list[str] = []
    original = client_module.Scope._execute

    def spy(self, query, params=(), **kw):
        calls.append(query)
        return original(self, query, params, **kw)

    monkeypatch.setattr(client_module.Scope, "_execute", spy)
    return calls


# --------------------------------------------------------------------------- the five doors


@dataclass
class Case:
    name: str
    fields: dict[str, Any]
    sqlstate: str
    field: str
    fragment: str | None = None
    with_user: bool = True
    embedding: np.ndarray | None = None
    model: str | None = None


def _split(case: Case) -> tuple[str, str, dict[str, Any]]:
    rest = dict(case.fields)
    human = rest.pop("human_content", "what is the capital of France")
    assistant = rest.pop("assistant_content", "Paris")
    return human, assistant, rest


def _check_cogdb_exc(exc: BaseException, case: Case, door: str, problems: list[str]) -> None:
    cls = CLASS_OF[case.sqlstate]
    if not isinstance(exc, cls):
        problems.append(f"{door}: expected {cls.__name__}, got {type(exc).__name__}: {exc}")
        return
    if exc.sqlstate != case.sqlstate:
        problems.append(f"{door}: sqlstate {exc.sqlstate!r} != {case.sqlstate!r}")
    if exc.field != case.field:
        problems.append(f"{door}: field {exc.field!r} != {case.field!r} ({exc.message})")
    if case.fragment and case.fragment not in exc.message:
        problems.append(f"{door}: {case.fragment!r} not in message {exc.message!r}")


def _check_pg_error(err: psycopg.Error, case: Case, door: str, problems: list[str]) -> None:
    if err.sqlstate != case.sqlstate:
        problems.append(f"{door}: SQLSTATE {err.sqlstate} != {case.sqlstate}:"
                        f" {err.diag.message_primary}")
        return
    if err.diag.column_name != case.field:
        problems.append(f"{door}: COLUMN {err.diag.column_name!r} != {case.field!r}")
    if case.fragment and case.fragment not in (err.diag.message_primary or ""):
        problems.append(f"{door}: {case.fragment!r} not in {err.diag.message_primary!r}")
    _check_cogdb_exc(translate(err), case, door + " (translated)", problems)


def refuse_everywhere(case: Case, *, client, app_conn, db, tenants) -> None:
    """Send ``case`` through the five doors; collect every deviation and fail once."""
    problems: list[str] = []
    user = tenants.a1 if case.with_user else None
    embedding = vec(1) if case.embedding is None else case.embedding
    human, assistant, rest = _split(case)
    good = {"human_content": "a valid neighbour", "assistant_content": "ok"}

    def door(name: str, run) -> None:
        before = count(db)
        try:
            run()
        except cogdb.CogdbError as exc:
            _check_cogdb_exc(exc, case, name, problems)
        except psycopg.Error as err:
            _check_pg_error(err, case, name, problems)
        else:
            problems.append(f"{name}: accepted")
        after = count(db)
        if after != before:
            problems.append(f"{name}: wrote {after - before} row(s)")

    def py_remember():
        with client.scope(tenants.a, user) as s:
            s.remember(embedding=embedding, model=case.model,
                       **{"human_content": human, "assistant_content": assistant, **rest})

    def py_batch():
        with client.scope(tenants.a, user) as s:
            s.remember_many([good, {"human_content": human, "assistant_content": assistant,
                                    **rest}], [vec(2), embedding], model=case.model)

    def sql_remember():
        with in_context(app_conn, tenants.a, user) as c:
            c.execute("SELECT cogdb.remember(%s::text, %s::text, %s::vector, %s::jsonb, %s::text)",
                      (human, assistant, embedding,
                       Jsonb({k: sql_json(v) for k, v in rest.items()}), case.model))

    def sql_batch():
        bad = {"human_content": human, "assistant_content": assistant,
               **{k: sql_json(v) for k, v in rest.items()}}
        with in_context(app_conn, tenants.a, user) as c:
            c.execute("SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[], %s::text)",
                      (Jsonb([good, bad]), [vec(2), embedding], case.model))

    def insert():
        row = {"id": f"direct-{uuid.uuid4().hex[:12]}", "human_content": human,
               "assistant_content": assistant, **rest, "embedding": embedding}
        if case.model is not None:
            row["model"] = case.model
        direct_insert(app_conn, tenants.a, user, row)

    door("python remember", py_remember)
    door("python remember_many batch", py_batch)
    door("sql cogdb.remember", sql_remember)
    door("sql cogdb.remember_many batch", sql_batch)
    door("direct INSERT", insert)
    assert not problems, f"case {case.name}:\n  " + "\n  ".join(problems)


def accepted_everywhere(case: Case, *, client, app_conn, db, tenants) -> None:
    """Positive control: the same five doors with this (valid) input each write."""
    user = tenants.a1 if case.with_user else None
    embedding = vec(1) if case.embedding is None else case.embedding
    human, assistant, rest = _split(case)
    rest = {k: v for k, v in rest.items() if k != "id"}
    start = count(db)
    with client.scope(tenants.a, user) as s:
        s.remember(embedding=embedding, model=case.model,
                   **{"human_content": human, "assistant_content": assistant, **rest})
        s.remember_many([{"human_content": human, "assistant_content": assistant, **rest}],
                        [embedding], model=case.model)
    with in_context(app_conn, tenants.a, user) as c:
        c.execute("SELECT cogdb.remember(%s::text, %s::text, %s::vector, %s::jsonb, %s::text)",
                  (human, assistant, embedding,
                   Jsonb({k: sql_json(v) for k, v in rest.items()}), case.model))
        c.execute("SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[], %s::text)",
                  (Jsonb([{"human_content": human, "assistant_content": assistant,
                           **{k: sql_json(v) for k, v in rest.items()}}]),
                   [embedding], case.model))
    row = {"id": f"ok-{uuid.uuid4().hex[:12]}", "human_content": human,
           "assistant_content": assistant, **rest, "embedding": embedding}
    if case.model is not None:
        row["model"] = case.model
    direct_insert(app_conn, tenants.a, user, row)
    assert count(db) == start + 5, f"positive control {case.name} did not write on every door"


# --------------------------------------------------------------------------- field cases

FIELD_CASES = [
    Case("human_content too long", {"human_content": "h" * 100_001}, "CGV01", "human_content",
         "100000"),
    Case("assistant_content too long", {"assistant_content": "a" * 100_001}, "CGV01",
         "assistant_content", "100000"),
    Case("summary too long", {"summary": "s" * 10_001}, "CGV01", "summary", "10000"),
    Case("conversation_id too long", {"conversation_id": "c" * 256}, "CGV01",
         "conversation_id", "255"),
    Case("cluster_label too long", {"cluster_label": "l" * 256}, "CGV01", "cluster_label"),
    Case("65 tags", {"tags": [f"t{i}" for i in range(65)]}, "CGV01", "tags", "64"),
    Case("tag of 101 chars", {"tags": ["ok", "x" * 101]}, "CGV01", "tags", "100"),
    Case("empty tag", {"tags": ["ok", ""]}, "CGV01", "tags"),
    Case("null tag", {"tags": ["ok", None]}, "CGV01", "tags"),
    Case("technical_depth 11", {"technical_depth": 11}, "CGV01", "technical_depth"),
    Case("technical_depth -1", {"technical_depth": -1}, "CGV01", "technical_depth"),
    Case("cluster_confidence 1.5", {"cluster_confidence": 1.5}, "CGV01", "cluster_confidence"),
    Case("cluster_confidence -0.01", {"cluster_confidence": -0.01}, "CGV01",
         "cluster_confidence"),
    Case("cluster_confidence NaN", {"cluster_confidence": float("nan")}, "CGV01",
         "cluster_confidence"),
    Case("sequence_index -1", {"sequence_index": -1}, "CGV01", "sequence_index"),
    Case("access_count -1", {"access_count": -1}, "CGV01", "access_count"),
    Case("cluster_id -2", {"cluster_id": -2}, "CGV01", "cluster_id"),
    Case("expires_at == created_at", {"created_at": T0, "expires_at": T0}, "CGV01",
         "expires_at"),
    Case("expires_at < created_at", {"created_at": T0, "expires_at": T0 - timedelta(hours=1)},
         "CGV01", "expires_at"),
    Case("empty content", {"human_content": "", "assistant_content": ""}, "CGV01",
         "human_content"),
    Case("malformed id", {"id": "has space"}, "CGV01", "id"),
    Case("id too long", {"id": "m" * 129}, "CGV01", "id"),
    Case("private without user", {"visibility": "private"}, "CGV01", "visibility",
         with_user=False),
]

ENUM_FIELDS = ["visibility", "context_type", "source", "intent_type", "complexity",
               "emotional_valence", "urgency", "conversation_mode"]

# Boundary values that must be accepted (the positive controls of FIELD_CASES).
BOUNDARY_CASES = [
    Case("human_content 100000", {"human_content": "h" * 100_000}, "", ""),
    Case("summary 10000 / conversation_id 255",
         {"summary": "s" * 10_000, "conversation_id": "c" * 255, "cluster_label": "l" * 255},
         "", ""),
    Case("64 tags of 100 chars", {"tags": [f"{i:03d}" + "x" * 97 for i in range(64)]}, "", ""),
    Case("ranges at their ends", {"technical_depth": 10, "cluster_confidence": 1.0,
                                  "sequence_index": 0, "cluster_id": -1, "access_count": 0},
         "", ""),
    Case("ranges at their other ends", {"technical_depth": 0, "cluster_confidence": 0.0}, "", ""),
    Case("assistant only", {"human_content": "", "assistant_content": "a"}, "", ""),
    Case("expires after created", {"created_at": T0, "expires_at": T0 + timedelta(days=1)},
         "", ""),
    Case("private with user", {"visibility": "private"}, "", ""),
    Case("tenant memory without user", {"visibility": "tenant"}, "", "", with_user=False),
]


@pytest.mark.parametrize("case", FIELD_CASES, ids=lambda c: c.name)
def test_invalid_field_is_refused_on_every_door(case, client, app_conn, db, tenants):
    refuse_everywhere(case, client=client, app_conn=app_conn, db=db, tenants=tenants)


@pytest.mark.parametrize("case", BOUNDARY_CASES, ids=lambda c: c.name)
def test_boundary_values_are_accepted_on_every_door(case, client, app_conn, db, tenants):
    accepted_everywhere(case, client=client, app_conn=app_conn, db=db, tenants=tenants)


@pytest.mark.parametrize("name", ENUM_FIELDS)
def test_enum_out_of_set_lists_the_allowed_values(name, client, app_conn, db, tenants):
    allowed = db.super.execute("SELECT cogdb.allowed_values(%s)", (name,)).fetchone()[0]
    assert allowed, f"{name} has no allowed values"
    case = Case(f"{name} out of set", {name: "definitely-not-allowed"}, "CGV01", name,
                ", ".join(allowed))
    refuse_everywhere(case, client=client, app_conn=app_conn, db=db, tenants=tenants)
    # positive control: every allowed value is accepted (private needs the user: a1 is set).
    # Chat-export sources need features.chat_import, on by default in personal tenant B only.
    tenant, user = (tenants.b, tenants.b1) if name == "source" else (tenants.a, tenants.a1)
    with client.scope(tenant, user) as s:
        ids = s.remember_many([{"human": f"v {v}", name: v} for v in allowed],
                              [vec(i + 1) for i in range(len(allowed))])
    assert len(ids) == len(allowed)


# --------------------------------------------------------------------------- embeddings / model

EMBEDDING_CASES = [
    Case("383 dimensions", {}, "CGV01", "embedding", "383", embedding=vec(0, 383)),
    Case("385 dimensions", {}, "CGV01", "embedding", "385", embedding=vec(0, 385)),
    Case("1 dimension", {}, "CGV01", "embedding", embedding=vec(0, 1)),
    Case("zero vector", {}, "CGV01", "embedding", "zero",
         embedding=np.zeros(DIMS, dtype=np.float32)),
    Case("unknown model", {}, "CGV02", "model", "no-such-model", model="no-such-model"),
]


@pytest.mark.parametrize("case", EMBEDDING_CASES, ids=lambda c: c.name)
def test_bad_embedding_or_model_is_refused_on_every_door(case, client, app_conn, db, tenants):
    refuse_everywhere(case, client=client, app_conn=app_conn, db=db, tenants=tenants)


def test_explicit_default_model_is_accepted(client, app_conn, db, tenants):
    case = Case("explicit model", {}, "", "", model="cogdb-hash-384")
    accepted_everywhere(case, client=client, app_conn=app_conn, db=db, tenants=tenants)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_embedding_is_refused_by_the_client_before_sending(bad, client, tenants, db,
                                                                      sent):
    embedding = unit_vector()
    embedding[5] = bad
    with writes_nothing(db):
        with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a, tenants.a1) as s:
            s.remember("q", "a", embedding)
        assert info.value.field == "embedding"
        with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a, tenants.a1) as s:
            s.remember_many([{"human": "ok"}, {"human": "bad"}], [unit_vector(), embedding])
        assert info.value.field == "embedding"
        assert "#1" in info.value.message
        with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a, tenants.a1) as s:
            s.search(embedding)
        assert info.value.field == "query"
    assert sent == [], "the client sent a statement for a non-finite vector"
    # positive control: a finite vector goes through
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember("q", "a", unit_vector())
    assert len(sent) == 1


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_vector_literal_is_refused_by_the_vector_type(literal, app_conn, db, tenants):
    text = "[" + ",".join([literal] + ["0.5"] * (DIMS - 1)) + "]"
    with writes_nothing(db):
        for query in (
            "SELECT cogdb.remember('q', 'a', %s::vector)",
            "SELECT * FROM cogdb.remember_many('[{\"human_content\": \"q\"}]',"
            " ARRAY[%s::vector])",
            "INSERT INTO cogdb.memories (id, human_content, embedding) VALUES ('nan', 'q', %s)",
            "SELECT * FROM cogdb.search(%s::vector)",
        ):
            err = sql_error(app_conn, query, (text,), tenant=tenants.a, user=tenants.a1)
            assert err.sqlstate == "22000", (query, err.sqlstate, err.diag.message_primary)
            assert isinstance(translate(err), cogdb.InvalidInput)
            assert translate(err).sqlstate == "22000"
    # positive control: the same literal with a finite first component is stored
    finite = "[" + ",".join(["1"] + ["0.5"] * (DIMS - 1)) + "]"
    with in_context(app_conn, tenants.a, tenants.a1) as c:
        c.execute("SELECT cogdb.remember('q', 'a', %s::vector)", (finite,))
    assert count(db) == 1


def test_search_refuses_bad_query_vectors(client, app_conn, tenants):
    for query, field, cls in ((vec(0, 383), "query", cogdb.InvalidInput),
                              (np.zeros(DIMS, dtype=np.float32), "query", cogdb.InvalidInput)):
        with pytest.raises(cls) as info, client.scope(tenants.a, tenants.a1) as s:
            s.search(query)
        assert info.value.field == field and info.value.sqlstate == "CGV01"
    with pytest.raises(cogdb.UnknownModel) as info, client.scope(tenants.a) as s:
        s.search(vec(0), model="no-such-model")
    assert info.value.field == "model" and info.value.sqlstate == "CGV02"
    err = sql_error(app_conn, "SELECT * FROM cogdb.search(%s::vector)",
                    (vec(0, 10),), tenant=tenants.a)
    assert (err.sqlstate, err.diag.column_name) == ("CGV01", "query")
    # positive control
    with client.scope(tenants.a) as s:
        assert s.search(vec(0)) == []


# --------------------------------------------------------------------------- UUIDs


@pytest.mark.parametrize("bad", ["nope", "", "1234", "00000000-0000-0000-0000-00000000000g",
                                 "' OR true --"])
def test_set_context_refuses_a_malformed_tenant_uuid(bad, app_conn, tenants):
    app_conn.autocommit = True
    with pytest.raises(psycopg.Error) as info:
        app_conn.execute("SELECT cogdb.set_context(%s::text)", (bad,))
    err = info.value
    assert err.sqlstate == "CGV01"
    assert err.diag.column_name == "tenant_id"
    assert err.diag.message_hint
    assert isinstance(translate(err), cogdb.InvalidInput)
    assert translate(err).field == "tenant_id"


def test_set_context_refuses_a_malformed_user_uuid_and_null_tenant(app_conn, tenants):
    app_conn.autocommit = True
    with pytest.raises(psycopg.Error) as info:
        app_conn.execute("SELECT cogdb.set_context(%s::text, 'nope')", (str(tenants.a),))
    assert (info.value.sqlstate, info.value.diag.column_name) == ("CGV01", "user_id")
    with pytest.raises(psycopg.Error) as info:
        app_conn.execute("SELECT cogdb.set_context(NULL)")
    assert (info.value.sqlstate, info.value.diag.column_name) == ("CGV01", "tenant_id")
    # positive control: the same calls with real ids succeed
    app_conn.execute("SELECT cogdb.set_context(%s::text, %s::text)",
                     (str(tenants.a), str(tenants.a1)))
    app_conn.execute("SELECT cogdb.set_context(%s::text)",
                     (str(tenants.a).upper(),))


def test_client_scope_refuses_malformed_uuids_before_connecting(client, tenants):
    with pytest.raises(cogdb.InvalidInput) as info, client.scope("nope"):
        pass
    assert info.value.field == "tenant"
    with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a, "nope"):
        pass
    assert info.value.field == "user"
    with pytest.raises(cogdb.InvalidInput) as info, client.scope(None):  # type: ignore[arg-type]
        pass
    assert info.value.field == "tenant"
    with client.scope(str(tenants.a), str(tenants.a1)) as s:  # positive control
        assert s.tenant_id == tenants.a


# --------------------------------------------------------------------------- NUL bytes, surrogates

TEXT_FIELDS = ["human_content", "assistant_content", "summary", "conversation_id",
               "cluster_label"]


@pytest.mark.parametrize("bad", ["a\x00b", "lone \ud800 surrogate", "\udfff"],
                         ids=["nul", "high-surrogate", "low-surrogate"])
def test_client_refuses_unsendable_text_and_sends_nothing(bad, client, db, tenants, sent):
    with writes_nothing(db):
        for name in [*TEXT_FIELDS, "tags", "id"]:
            value = [bad] if name == "tags" else bad
            with (pytest.raises(cogdb.InvalidInput) as info,
                  client.scope(tenants.a, tenants.a1) as s):
                s.remember(embedding=vec(1), **{"human_content": "q", name: value})
            assert info.value.field == name
            with (pytest.raises(cogdb.InvalidInput) as info,
                  client.scope(tenants.a, tenants.a1) as s):
                s.remember_many([{"human": "fine"}, {"human": "q", name: value}],
                                [vec(1), vec(2)])
            assert info.value.field == name
            assert "#1" in info.value.message
    assert sent == []


@pytest.mark.parametrize("bad", ["a\x00b", "\ud800"], ids=["nul", "surrogate"])
def test_client_refuses_unsendable_text_in_reads(bad, client, tenants, sent):
    with client.scope(tenants.a, tenants.a1) as s:
        for call, field_name in ((lambda: s.get(bad), "id"),
                                 (lambda: s.forget(bad), "id"),
                                 (lambda: s.search(bad), "query"),
                                 (lambda: s.search(vec(0), conversation=bad), "conversation"),
                                 (lambda: s.search(vec(0), source=bad), "source"),
                                 (lambda: s.search(vec(0), context_type=bad), "context_type")):
            with pytest.raises(cogdb.InvalidInput) as info:
                call()
            assert info.value.field == field_name
    assert sent == []


def test_sql_nul_bytes_are_refused_by_postgresql(app_conn, db, tenants):
    with writes_nothing(db):
        # chr(0) cannot be built as text at all
        for query in (
            "SELECT cogdb.remember('q' || chr(0), 'a', %s::vector)",
            "INSERT INTO cogdb.memories (id, human_content, embedding)"
            " VALUES ('nul', 'q' || chr(0), %s)",
        ):
            err = sql_error(app_conn, query, (vec(1),), tenant=tenants.a, user=tenants.a1)
            assert err.sqlstate == "54000", (query, err.sqlstate)
        # \u0000 in the JSON of remember_many / remember(fields) cannot become text either
        err = sql_error(app_conn, "SELECT * FROM cogdb.remember_many(%s::jsonb, ARRAY[%s::vector])",
                        ('[{"human_content": "q\\u0000"}]', vec(1)),
                        tenant=tenants.a, user=tenants.a1)
        assert err.sqlstate == "22P05"
        assert isinstance(translate(err), cogdb.InvalidInput)
        err = sql_error(app_conn, "SELECT cogdb.remember('q', 'a', %s::vector, %s::jsonb)",
                        (vec(1), '{"summary": "s\\u0000"}'),
                        tenant=tenants.a, user=tenants.a1)
        assert err.sqlstate == "22P05"
    # positive control: an escaped non-NUL character is fine
    with in_context(app_conn, tenants.a, tenants.a1) as c:
        c.execute("SELECT * FROM cogdb.remember_many(%s::jsonb, ARRAY[%s::vector])",
                  ('[{"human_content": "q\\u00e9"}]', vec(1)))
    assert count(db) == 1


# --------------------------------------------------------------------------- unknown keys, counts


@pytest.mark.parametrize("key", ["tenant_id", "owner_user_id", "colour", "embedding", "model"])
def test_unknown_keys_in_memory_objects_are_refused(key, client, app_conn, db, tenants):
    value = {"tenant_id": str(tenants.b), "owner_user_id": str(tenants.a2)}.get(key, "red")
    with writes_nothing(db):
        with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a, tenants.a1) as s:
            s.remember_many([{"human": "ok"}, {"human": "q", key: value}], [vec(1), vec(2)])
        assert (info.value.sqlstate, info.value.field) == ("CGV01", key)
        assert key in info.value.message
        assert info.value.hint
        err = sql_error(app_conn, "SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                        (Jsonb([{"human_content": "ok"}, {"human_content": "q", key: value}]),
                         [vec(1), vec(2)]),
                        tenant=tenants.a, user=tenants.a1)
        assert (err.sqlstate, err.diag.column_name) == ("CGV01", key)
        err = sql_error(app_conn, "SELECT cogdb.remember('q', 'a', %s::vector, %s::jsonb)",
                        (vec(1), Jsonb({key: value})),
                        tenant=tenants.a, user=tenants.a1)
        assert (err.sqlstate, err.diag.column_name) == ("CGV01", key)


def test_several_unknown_keys_are_all_named(app_conn, db, tenants):
    with writes_nothing(db):
        err = sql_error(app_conn, "SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                        (Jsonb([{"human_content": "q", "tenant_id": str(tenants.b)},
                                {"human_content": "q", "colour": "red"}]), [vec(1), vec(2)]),
                        tenant=tenants.a, user=tenants.a1)
    assert err.sqlstate == "CGV01"
    assert "tenant_id" in err.diag.message_primary and "colour" in err.diag.message_primary
    assert err.diag.column_name in ("tenant_id", "colour")


def test_direct_insert_with_foreign_tenant_or_owner_is_refused(app_conn, db, tenants):
    with writes_nothing(db):
        err = sql_error(app_conn, insert_stmt(
            {"tenant_id": 0, "id": "x", "human_content": "q", "embedding": 0}),
            (tenants.b, "x", "q", vec(1)), tenant=tenants.a, user=tenants.a1)
        assert (err.sqlstate, err.diag.column_name) == ("CGA02", "tenant_id")
        assert isinstance(translate(err), cogdb.IsolationViolation)
        err = sql_error(app_conn, insert_stmt(
            {"owner_user_id": 0, "id": "x", "human_content": "q", "embedding": 0}),
            (tenants.a2, "x", "q", vec(1)), tenant=tenants.a, user=tenants.a1)
        assert (err.sqlstate, err.diag.column_name) == ("CGA02", "owner_user_id")
        err = sql_error(app_conn, insert_stmt(
            {"colour": 0, "id": "x", "human_content": "q", "embedding": 0}),
            ("red", "x", "q", vec(1)), tenant=tenants.a, user=tenants.a1)
        assert err.sqlstate == "42703"  # undefined_column: the table has no such column
    # positive control: naming the context's own tenant and user is accepted
    direct_insert(app_conn, tenants.a, tenants.a1,
                  {"tenant_id": tenants.a, "owner_user_id": tenants.a1, "id": "x",
                   "human_content": "q", "embedding": vec(1)})
    assert count(db) == 1


def test_memories_and_embeddings_must_pair_up(client, app_conn, db, tenants, sent):
    with writes_nothing(db):
        with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a, tenants.a1) as s:
            s.remember_many([{"human": "1"}, {"human": "2"}], [vec(1)])
        assert info.value.field == "embeddings"
        assert sent == []
        for memories, embeddings in (([{"human_content": "1"}, {"human_content": "2"}],
                                      [vec(1)]),
                                     ([{"human_content": "1"}], [vec(1), vec(2)]),
                                     ([{"human_content": "1"}], None)):
            err = sql_error(app_conn, "SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                            (Jsonb(memories), embeddings),
                            tenant=tenants.a, user=tenants.a1)
            assert (err.sqlstate, err.diag.column_name) == ("CGV01", "embeddings")
        for memories in ({"human_content": "1"}, [1, 2], "text"):
            err = sql_error(app_conn, "SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                            (Jsonb(memories), [vec(1), vec(2)]),
                            tenant=tenants.a, user=tenants.a1)
            assert (err.sqlstate, err.diag.column_name) == ("CGV01", "memories")
    with client.scope(tenants.a, tenants.a1) as s:  # positive control
        assert len(s.remember_many([{"human": "1"}, {"human": "2"}], [vec(1), vec(2)])) == 2


WRONGLY_TYPED = [
    ("technical_depth", 100_000),
    ("technical_depth", "deep"),
    ("sequence_index", "first"),
    ("cluster_id", 2**40),
    ("cluster_confidence", "high"),
    ("tags", "not-a-list"),
    ("has_code", "maybe"),
    ("created_at", "2024-13-45T99:00:00Z"),
]


def test_wrongly_typed_json_values_name_their_field(client, db, tenants):
    """A value of the wrong JSON type must still be InvalidInput naming its field (every
    refusal names the field), and write nothing. remember_many converts the JSON with
    jsonb_to_recordset, whose cast errors (22P02, 22003, 22007) carry no COLUMN."""
    problems = []
    for key, value in WRONGLY_TYPED:
        with (writes_nothing(db), pytest.raises(cogdb.CogdbError) as info,
              client.scope(tenants.a, tenants.a1) as s):
            s.remember_many([{"human": "q", key: value}], [vec(1)])
        exc = info.value
        if not isinstance(exc, cogdb.InvalidInput) or exc.field != key:
            problems.append(f"{key}={value!r}: {type(exc).__name__}({exc.sqlstate})"
                            f" field={exc.field!r}: {exc.message}")
    assert not problems, "wrongly typed values not named:\n  " + "\n  ".join(problems)


def test_malformed_timestamp_maps_to_invalid_input(client, db, tenants):
    """22007 (invalid_datetime_format) and 22008 (datetime_field_overflow) are bad input."""
    for value in ("yesterday-ish", "2024-13-45T99:00:00Z"):
        with (writes_nothing(db), pytest.raises(cogdb.CogdbError) as info,
              client.scope(tenants.a, tenants.a1) as s):
            s.remember("q", "a", vec(1), created_at=value)
        assert isinstance(info.value, cogdb.InvalidInput), \
            f"{value!r}: {type(info.value).__name__} ({info.value.sqlstate}): {info.value}"


# --------------------------------------------------------------------------- provisioning


def test_admin_refuses_bad_tenant_input_and_writes_nothing(admin, db):
    with writes_nothing(db, "tenants", "users", "embedding_models"):
        for kwargs, cls, field_name in (
            ({"name": "X", "mode": "team"}, cogdb.InvalidInput, "mode"),
            ({"name": "X", "mode": None}, cogdb.InvalidInput, "mode"),
            ({"name": "   "}, cogdb.InvalidInput, "name"),
            ({"name": "n" * 201}, cogdb.InvalidInput, "name"),
            ({"name": "X", "isolation_level": "open"}, cogdb.InvalidInput, "isolation_level"),
            ({"name": "X", "default_model": "no-such-model"}, cogdb.UnknownModel,
             "default_model"),
        ):
            with pytest.raises(cls) as info:
                admin.create_tenant(**kwargs)
            assert info.value.field == field_name, (kwargs, info.value)
            assert info.value.sqlstate == cls.sqlstate
    # positive control
    admin.create_tenant("X", mode="enterprise", default_model="cogdb-hash-384")
    assert count(db, table="tenants") >= 1


@pytest.mark.parametrize("email", ["not-an-email", "two@@at.example", "a b@c.example", "",
                                   "@example.com", "x" * 320 + "@e.example"])
def test_admin_refuses_bad_emails(email, admin, db, tenants):
    with writes_nothing(db, "users", "identities"), pytest.raises(cogdb.InvalidInput) as info:
        admin.create_user(tenants.a, email=email)
    assert (info.value.sqlstate, info.value.field) == ("CGV01", "email")
    admin.create_user(tenants.a, email="fine@a.example")  # positive control


def test_admin_refuses_bad_user_tenant_and_identity(admin, db, tenants):
    with writes_nothing(db, "users", "identities"):
        with pytest.raises(cogdb.InvalidInput) as info:
            admin.create_user("nope", email="x@a.example")
        assert info.value.field == "tenant"
        with pytest.raises(psycopg.Error) as raw:
            admin.connection.execute("SELECT cogdb.create_user('nope', 'x@a.example')")
        assert (raw.value.sqlstate, raw.value.diag.column_name) == ("CGV01", "tenant_id")
        with pytest.raises(cogdb.NotFound) as info:
            admin.create_user(uuid.uuid4(), email="x@a.example")
        assert info.value.field == "tenant_id"
        with pytest.raises(cogdb.InvalidInput) as info:
            admin.create_user(tenants.a, email="x@a.example", auth_provider="oidc")
        assert info.value.field == "external_id"
        with pytest.raises(cogdb.InvalidInput) as info:
            admin.create_user(tenants.a, email="x@a.example", auth_provider="p" * 65,
                              external_id="e")
        assert info.value.field == "external_id"


@pytest.mark.parametrize(("name", "dims", "metric", "field_name"), [
    ("m-zero", 0, "cosine", "dimensions"),
    ("m-neg", -1, "cosine", "dimensions"),
    ("m-huge", 20_000, "cosine", "dimensions"),
    ("m-2001", 2_001, "cosine", "dimensions"),
    ("m-l2", 8, "l2", "metric"),
    ("m-ip", 8, "inner_product", "metric"),
    ("Bad Name", 8, "cosine", "name"),
    ("", 8, "cosine", "name"),
])
def test_register_model_refuses_bad_definitions(name, dims, metric, field_name, admin, db):
    with writes_nothing(db, "embedding_models"), pytest.raises(cogdb.InvalidInput) as info:
        admin.register_model(name, dims, metric)
    assert (info.value.sqlstate, info.value.field) == ("CGV01", field_name)


def test_register_model_is_idempotent_and_conflicts_on_other_dimensions(admin, db):
    assert admin.register_model("test-768", 768) == "test-768"
    assert admin.register_model("test-768", 768) == "test-768"  # same definition: fine
    assert admin.register_model("test-2000", 2_000) == "test-2000"  # upper bound
    with writes_nothing(db, "embedding_models"):
        with pytest.raises(cogdb.Conflict) as info:
            admin.register_model("test-768", 1024)
        assert info.value.sqlstate == "CGC01" and info.value.hint
        with pytest.raises(cogdb.Conflict):
            admin.register_model("cogdb-hash-384", 512)
    dims = db.super.execute("SELECT dimensions FROM cogdb.embedding_models WHERE name ="
                            " 'test-768'").fetchone()[0]
    assert dims == 768


# --------------------------------------------------------------------------- several models


def test_384_and_1024_dimension_models_side_by_side(admin, client, app_conn, db, tenants):
    admin.register_model("test-1024", 1024)
    with client.scope(tenants.a, tenants.a1) as s:
        small = s.remember_many([{"human": f"small {i}"} for i in range(3)],
                                [vec(i) for i in range(3)])
        large = s.remember_many([{"human": f"large {i}"} for i in range(3)],
                                [vec(i, 1024) for i in range(3)], model="test-1024")
    with client.scope(tenants.b, tenants.b1) as s:  # same database, another tenant
        other_large = s.remember_many([{"human": "b large"}], [vec(0, 1024)], model="test-1024")
        other_small = s.remember_many([{"human": "b small"}], [vec(0)])

    with client.scope(tenants.a, tenants.a1) as s:
        assert {h.id for h in s.search(vec(0), k=100)} == set(small)
        assert {h.id for h in s.search(vec(0), k=100, model="cogdb-hash-384")} == set(small)
        assert {h.id for h in s.search(vec(0, 1024), k=100, model="test-1024")} == set(large)
        assert s.search(vec(2, 1024), k=1, model="test-1024")[0].id == large[2]
        got = s.get(large[0])
        assert got is not None and got.model == "test-1024" and got.embedding.shape == (1024,)
        assert s.get(small[0]).embedding.shape == (DIMS,)
    with client.scope(tenants.b, tenants.b1) as s:
        assert [h.id for h in s.search(vec(0, 1024), k=100, model="test-1024")] == other_large
        assert [h.id for h in s.search(vec(0), k=100)] == other_small
    assert db.super.execute("SELECT model, vector_dims(embedding), count(*) FROM cogdb.memories"
                            " GROUP BY 1, 2 ORDER BY 1").fetchall() == [
        ("cogdb-hash-384", DIMS, 4), ("test-1024", 1024, 4)]

    # a 1024-d vector under the 384 model (explicit or the default) is refused, and vice versa
    with writes_nothing(db):
        for model in ("cogdb-hash-384", None):
            with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a) as s:
                s.remember("q", "a", vec(0, 1024), model=model)
            assert info.value.field == "embedding" and "1024" in info.value.message
        with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a) as s:
            s.remember("q", "a", vec(0), model="test-1024")
        assert info.value.field == "embedding"
        err = sql_error(app_conn, "INSERT INTO cogdb.memories (id, human_content, model, embedding)"
                        " VALUES ('x', 'q', 'cogdb-hash-384', %s)", (vec(0, 1024),),
                        tenant=tenants.a)
        assert (err.sqlstate, err.diag.column_name) == ("CGV01", "embedding")
        with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a) as s:
            s.search(vec(0), model="test-1024")
        assert info.value.field == "query"


def test_tenant_default_model_decides_unnamed_writes_and_searches(admin, client, db):
    admin.register_model("test-1024", 1024)
    tenant = admin.create_tenant(f"Big {uuid.uuid4().hex[:6]}", default_model="test-1024")
    with client.scope(tenant.id) as s:
        mid = s.remember("q", "a", vec(3, 1024))  # no model: the tenant's default
        assert s.get(mid).model == "test-1024"
        assert [h.id for h in s.search(vec(3, 1024))] == [mid]
    with (writes_nothing(db), pytest.raises(cogdb.InvalidInput) as info,
          client.scope(tenant.id) as s):
        s.remember("q", "a", vec(3))
    assert info.value.field == "embedding"
