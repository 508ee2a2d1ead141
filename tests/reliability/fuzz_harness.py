"""Hostile arguments for every SQL function the app and admin roles may call, and the checks
on each call. Shared by tests/reliability/test_fuzz.py (a few examples, in the suite) and
``python -m bench fuzz`` (many, with counts per function).

The functions come from the catalog (schema cogdb, EXECUTE granted to cogdb_app or
cogdb_admin, not triggers), so a new function is fuzzed without editing this file. Each
argument is drawn for its type and sent as a bound parameter with an explicit cast
(``name => %s::type``); arguments with defaults are sometimes left out. Values: text with odd
Unicode (RTL marks, combining, astral, titlecase), empty, huge; NUL bytes and lone surrogates
travel inside JSON (\\u0000, \\ud800), the only way they reach the server as text; vectors
with NaN, Inf, 0, 1e-45, 1e20, of 0, 1, the model's, 16,001 and 100,000 dimensions, in binary
and as text; JSON of odd shapes and depth; malformed UUIDs; extreme integers, floats and
timestamps.

A call as the app login runs in a transaction whose context is tenant A and user a1 (except
set_context itself); an admin-only function runs as the admin login. Every call must succeed
or fail with an ALLOWED SQLSTATE — cogdb's own (CGxxx) or a documented PostgreSQL input
error — never an internal error (XX000), a bare RAISE (P0001), an error in SQL cogdb built
(42601/42703/42883 outside the tsquery parser), or a dropped connection; and a refusal leaves
every cogdb table's row count as it was.
"""
from __future__ import annotations

import json
import math
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import psycopg
from hypothesis import strategies as st
from psycopg import sql

MODEL_DIMS = 384

#: SQLSTATE classes and codes a call may fail with, and why each is an input error.
ALLOWED_CLASSES = {
    "CG": "cogdb's own refusals (README's error table)",
    "22": "data exception: a value the type's input function refuses (uuid, timestamptz, "
          "vector, jsonb escapes, numeric range)",
}
ALLOWED_CODES = {
    "42501": "privilege or row security (documented: the store tables' cross-tenant writes)",
    "54000": "program limit exceeded: a vector of more than 16,000 dimensions",
    "54001": "statement too complex: JSON nested deeper than the server's stack allows",
    "57014": "statement timeout (the harness bounds each call to 5 s)",
}
#: Codes allowed for one function only: the tsquery parser's own syntax errors (the
#: argument's cast, before the function runs).
ALLOWED_FOR = {"text_candidates": {"42601"}, "shared_text_candidates": {"42601"}}


@dataclass(frozen=True)
class Function:
    name: str
    args: tuple[str, ...]
    types: tuple[str, ...]
    required: int
    role: str  # "app" or "admin"


@dataclass
class Tally:
    """Outcomes per function: ok, or the SQLSTATE of the refusal."""

    calls: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    #: Forbidden outcomes, when the caller records instead of failing (the bench).
    forbidden: list[str] = field(default_factory=list)
    strict: bool = True

    def add(self, fn: str, outcome: str) -> None:
        self.calls[fn][outcome] += 1


def load_functions(conn: psycopg.Connection) -> list[Function]:
    rows = conn.execute("""
        SELECT p.proname, p.proargnames, p.proargmodes,
               ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) t),
               p.pronargs - p.pronargdefaults,
               has_function_privilege('cogdb_app', p.oid, 'EXECUTE')
          FROM pg_proc p
         WHERE p.pronamespace = 'cogdb'::regnamespace AND p.prokind = 'f'
           AND p.prorettype <> 'trigger'::regtype
           AND (has_function_privilege('cogdb_app', p.oid, 'EXECUTE')
                OR has_function_privilege('cogdb_admin', p.oid, 'EXECUTE'))
         ORDER BY p.proname, p.oid""").fetchall()
    out = []
    for name, names, modes, types, required, app in rows:
        names = names or []
        modes = modes or ["i"] * len(names)
        inputs = tuple(n for n, m in zip(names, modes, strict=True) if m in ("i", "b", "v"))
        out.append(Function(name, inputs, tuple(types), required, "app" if app else "admin"))
    return out


# --------------------------------------------------------------------------- strategies

ODD_TEXT = ["", " ", "\t\n", "private", "tenant", "conversation", "api", "x" * 129,
            "\u202eevil", "e\u0301\u0301\u0301", "\U0001f4a5" * 40, "\u01c5", "İı", "\ufeff",
            "' OR true --", "%s %(x)s :name $1", "..", "a.b.c", "[1,2,3]", "{\"a\": 1}",
            "\uff46\uff55\uff4c\uff4c", "\u00a0\u2028\u2029"]
#: Malformed and edge UUIDs (the known ids of the fixtures are added per run).
ODD_UUIDS = ["", "nope", "00000000-0000-0000-0000-000000000000", " 6f1c0f4e-1f4c-4d0e-9f4c-"
             "1c0f4e1f4c4d ", "{6f1c0f4e-1f4c-4d0e-9f4c-1c0f4e1f4c4d",
             "6f1c0f4e1f4c4d0e9f4c1c0f4e1f4c4d", "6F1C0F4E-1F4C-4D0E-9F4C-1C0F4E1F4C4D",
             "6f1c0f4e-1f4c-4d0e-9f4c-1c0f4e1f4c4dd", "g" * 36, "-" * 36]
ODD_TIMES = ["infinity", "-infinity", "epoch", "now", "today", "294276-12-31 23:59:59+00",
             "294277-01-01", "4713-01-01 BC", "4714-11-23 BC", "2024-02-30", "24:00:00",
             "1970-01-01T00:00:00Z", "garbage", "", "2024-01-01 25:61"]
ODD_JSON_TEXT = ['{"a": "\\u0000"}', '["\\ud800"]', '{"\\udfff": 1}', '"\\u0000"', "null",
                 "1e400", "-0", "[]", "{}", '""', "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]",
                 '{"a": 1, "a": 2}', '{"$eq": {"$in": [1, {"$gt": null}]}}', "not json", "",
                 '{"human_content": "\\ud83d"}']


def _vector_text(values: list[float]) -> str:
    return "[" + ",".join("NaN" if math.isnan(v) else repr(float(v)) for v in values) + "]"


def text_values(huge: int, none: bool = True) -> st.SearchStrategy[Any]:
    plain = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                    max_size=40)
    return st.one_of(*([st.none()] if none else []), plain, st.sampled_from(ODD_TEXT),
                     st.sampled_from([100_001, huge]).map(lambda n: "y" * n))


def vectors() -> st.SearchStrategy[Any]:
    dims = st.sampled_from([MODEL_DIMS, MODEL_DIMS, MODEL_DIMS, 1, 2, 383, 385, 16_001])
    fill = st.sampled_from([1.0, 0.0, 1e-45, 1e-20, 1e-10, 1e20, -1.0, float("nan"),
                            float("inf"), float("-inf")])

    @st.composite
    def binary(draw):
        n = draw(dims)
        v = np.full(n, draw(fill), dtype=np.float32)
        if draw(st.booleans()):
            v[0] = 1.0  # one sane component among odd ones
        return ("vector", v)

    texts = st.one_of(
        st.sampled_from(["[]", "[1,2", "abc", "[1e400]", "[NaN]", "[Infinity]", "[-0]",
                         "[1,,2]", " [1] ", "[" + ",".join(["1"] * 100_000) + "]"]),
        dims.map(lambda n: _vector_text([0.5] * n)))
    return st.one_of(st.none(), binary(), texts.map(lambda t: ("text", t)))


def json_values(huge: int) -> st.SearchStrategy[Any]:
    leaf = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                     st.floats(allow_nan=False, allow_infinity=False),
                     st.text(max_size=12))
    tree = st.recursive(leaf, lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=8), kids, max_size=4)),
        max_leaves=12)
    odd = st.one_of(
        st.sampled_from(ODD_JSON_TEXT),
        st.integers(1, 3).map(lambda k: "[" * 10**k + "]" * 10**k),
        st.just("[" * 100_000 + "]" * 100_000),
        st.just(json.dumps({"human_content": "z" * huge})),
        st.sampled_from([[{"human_content": "ok"}], [{"id": "x" * 200}],
                         [{"namespace": ["a"], "key": "k", "value": {"v": 1}}],
                         [{"item": 1, "field": "$"}], {"$in": []}, {"k": {"$gt": [1]}},
                         {"features.chat_import": True}]).map(json.dumps))
    return st.one_of(st.none(), tree.map(lambda v: json.dumps(v)), odd)


def value_for(type_name: str, pools: dict[str, list[str]], huge: int) -> st.SearchStrategy[Any]:
    ints = st.one_of(st.none(), st.integers(-5, 300),
                     st.sampled_from([0, -1, 2**31 - 1, -2**31, 2**31, 2**63 - 1, -2**63, 2**63,
                                      10**30]))
    if type_name in ("text",):
        return st.one_of(text_values(huge), st.sampled_from(pools["uuid"]))
    if type_name == "uuid":
        return st.one_of(st.none(), st.uuids().map(str), st.sampled_from(pools["uuid"]),
                         st.sampled_from(ODD_UUIDS))
    if type_name in ("integer", "bigint"):
        return ints
    if type_name in ("double precision", "real"):
        return st.one_of(st.none(), st.floats(), st.sampled_from([1e308, -1e308, 1e-320, 3.5e38]))
    if type_name == "boolean":
        return st.one_of(st.none(), st.booleans())
    if type_name == "timestamp with time zone":
        return st.one_of(st.none(), st.sampled_from(ODD_TIMES),
                         st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
                         st.just((datetime.now(UTC) + timedelta(days=1)).isoformat()))
    if type_name == "jsonb":
        return json_values(huge)
    if type_name == "text[]":
        # Elements drawn without None rather than filtered: a function with several text[]
        # arguments (grant_share has three) made hypothesis reject whole examples.
        return st.one_of(st.none(), st.lists(text_values(1000, none=False), max_size=5),
                         st.just(["a"] * 2000))
    if type_name == "vector":
        return vectors()
    if type_name == "vector[]":
        return st.one_of(st.none(), st.lists(vectors().filter(
            lambda v: v is not None and v[0] == "vector"), max_size=3).map(
            lambda vs: ("vector[]", [v for _, v in vs])))
    if type_name == "tsquery":
        return st.one_of(st.none(), st.sampled_from(["a & b", "!", "a <-> (b | c)", "'",
                                                     "&&&", "x:*", ""]),
                         st.text(max_size=20).filter(lambda t: "\x00" not in t))
    return st.none()


@st.composite
def arguments(draw, fn: Function, pools: dict[str, list[str]], huge: int) -> list[tuple]:
    """(name, type, value) for the arguments passed: the required ones, and some optional.
    Admin functions draw known ids from tenant B only, so that a successful delete_user never
    removes the context's user (which every later app call needs)."""
    if fn.role == "admin":
        pools = {**pools, "uuid": pools["admin_uuid"]}
    out = []
    for i, (name, type_name) in enumerate(zip(fn.args, fn.types, strict=True)):
        if i >= fn.required and not draw(st.booleans()):
            continue
        out.append((name, type_name, draw(value_for(type_name, pools, huge))))
    return out


# --------------------------------------------------------------------------- calling


def _param(type_name: str, value: Any) -> tuple[sql.Composable, Any]:
    """The placeholder with its cast, and the value to bind."""
    if isinstance(value, tuple) and value and value[0] in ("vector", "vector[]", "text"):
        kind, payload = value
        if kind == "text":  # text-format vector: the server's vector input parses it
            return sql.SQL("%s::text::public.vector"), payload
        return sql.SQL("%s::{}").format(sql.SQL(
            "public.vector" if kind == "vector" else "public.vector[]")), payload
    cast = {"vector": "public.vector", "vector[]": "public.vector[]"}.get(type_name, type_name)
    if isinstance(value, str) and type_name not in ("text", "text[]"):
        return sql.SQL("%s::text::{}").format(sql.SQL(cast)), value
    return sql.SQL("%s::{}").format(sql.SQL(cast)), value


def statement(fn: Function, args: list[tuple]) -> tuple[sql.Composable, list[Any]]:
    parts, params = [], []
    for name, type_name, value in args:
        placeholder, bound = _param(type_name, value)
        parts.append(sql.SQL("{} => ").format(sql.Identifier(name)) + placeholder)
        params.append(bound)
    query = sql.SQL("SELECT * FROM cogdb.{}({})").format(sql.Identifier(fn.name),
                                                         sql.SQL(", ").join(parts))
    return query, params


def fingerprint(super_conn: psycopg.Connection) -> tuple:
    """Row counts of every cogdb table (the superuser's ground truth)."""
    tables = [r[0] for r in super_conn.execute(
        "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'cogdb'::regnamespace"
        " AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1")]
    query = sql.SQL("SELECT ") + sql.SQL(", ").join(
        sql.SQL("(SELECT count(*) FROM {})").format(sql.Identifier("cogdb", t)) for t in tables)
    return tuple(super_conn.execute(query).fetchone())


def allowed(fn: Function, sqlstate: str | None) -> bool:
    if sqlstate is None:
        return False
    return (sqlstate[:2] in ALLOWED_CLASSES or sqlstate in ALLOWED_CODES
            or sqlstate in ALLOWED_FOR.get(fn.name, ()))


def call(fn: Function, args: list[tuple], conns: dict[str, psycopg.Connection],
         context: tuple[str, str], super_conn: psycopg.Connection, tally: Tally) -> str:
    """Run one call; returns "ok" or the SQLSTATE. Raises AssertionError on a forbidden
    outcome (an SQLSTATE outside ALLOWED, a lost connection, a refusal that changed rows)."""
    query, params = statement(fn, args)
    conn = conns[fn.role]
    before = fingerprint(super_conn)
    try:
        with conn.transaction():
            conn.execute("SET LOCAL statement_timeout = '5s'")
            if fn.role == "app" and fn.name != "set_context":
                conn.execute("SELECT cogdb.set_context(%s, %s)", context)
            cur = conn.execute(query, params)
            if cur.description:
                cur.fetchall()
        outcome = "ok"
    except (psycopg.DataError, psycopg.ProgrammingError, UnicodeEncodeError) as exc:
        state = getattr(exc, "sqlstate", None)
        # None: refused by the driver before sending (not a server outcome)
        outcome = "driver:" + type(exc).__name__ if state is None else state
    except psycopg.Error as exc:
        outcome = exc.sqlstate or "no-sqlstate:" + type(exc).__name__
    tally.add(fn.name, outcome)
    if outcome == "ok" or outcome.startswith("driver:"):
        return outcome
    detail = f"cogdb.{fn.name}({', '.join(f'{n}: {t}' for n, t, _ in args)}) -> {outcome}"
    problems = []
    if conn.closed or conn.broken:
        problems.append(f"connection lost: {detail}")
    elif not allowed(fn, outcome):
        problems.append(f"forbidden outcome {detail}: {_short(args)}")
    after = fingerprint(super_conn)
    if after != before:
        problems.append(f"a refusal changed row counts {before} -> {after}: {detail}")
    if problems and tally.strict:
        raise AssertionError("; ".join(problems))
    tally.forbidden.extend(problems)
    return outcome


def _short(args: list[tuple]) -> str:
    def show(v: Any) -> str:
        text = repr(v)
        return text if len(text) < 80 else text[:77] + "..."
    return ", ".join(f"{n}={show(v)}" for n, _, v in args)


def known_ids(tenants: Any) -> dict[str, list[str]]:
    return {"uuid": [str(tenants.a), str(tenants.a1), str(tenants.b), str(tenants.b1),
                     str(uuid.UUID(int=0))],
            "admin_uuid": [str(tenants.b), str(tenants.b1), str(uuid.UUID(int=0))]}
