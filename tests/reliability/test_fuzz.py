"""Every SQL function the app and admin roles may call, with hostile arguments, as those
logins: each call succeeds or fails with cogdb's own SQLSTATE or a documented PostgreSQL input
error (never XX000), and a refusal changes no row (tests/reliability/fuzz_harness.py says
what is drawn and what is allowed). A few examples per run keep the suite fast; ``python -m
bench fuzz`` runs many more and counts outcomes per function. COGDB_FUZZ_EXAMPLES overrides
the number of examples here (each example calls every function once)."""
from __future__ import annotations

import os

import psycopg
import pytest
from fuzz_harness import Tally, allowed, arguments, call, known_ids, load_functions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pgvector.psycopg import register_vector

EXAMPLES = int(os.environ.get("COGDB_FUZZ_EXAMPLES", "3"))


@pytest.fixture
def fuzz_env(db, tenants):
    conns = {}
    for role, url in (("app", db.app_url), ("admin", db.admin_url)):
        conn = psycopg.connect(url, autocommit=True)
        register_vector(conn)
        conns[role] = conn
    functions = load_functions(db.super)
    yield functions, conns, known_ids(tenants), (str(tenants.a), str(tenants.a1))
    for conn in conns.values():
        conn.close()


@settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(data=st.data())
def test_every_callable_function_refuses_hostile_input_cleanly(data, fuzz_env, db):
    functions, conns, pools, context = fuzz_env
    tally = Tally()
    for fn in functions:
        args = data.draw(arguments(fn, pools, huge=1_000_000), label=fn.name)
        call(fn, args, conns, context, db.super, tally)
    assert len(tally.calls) == len(functions)


def test_the_harness_sees_every_role_and_flags_an_internal_error(fuzz_env, db):
    """Positive controls: the catalog lists functions of both roles (set_context, create_tenant)
    and the checker rejects XX000 and a bare RAISE."""
    functions, *_ = fuzz_env
    names = {f.name: f.role for f in functions}
    assert names["set_context"] == "app" and names["create_tenant"] == "admin"
    assert len(functions) >= 70
    fn = functions[0]
    assert not allowed(fn, "XX000") and not allowed(fn, "P0001") and not allowed(fn, "42703")
    assert allowed(fn, "CGV01") and allowed(fn, "22P02")
