"""The DBA report (cogdb.policy_report, `cogdb audit policies`): none on the migrated test
database, once the database is secured as `cogdb migrate` does for the embedded server; and
each kind of gap, made in a rolled-back transaction (a positive control), is reported, then
gone once the gap is closed."""
from __future__ import annotations

import json
import uuid

import psycopg
import pytest
from helpers import cli

REPORT = "SELECT finding, object FROM cogdb.policy_report()"


def _secure(conn: psycopg.Connection, dbname: str) -> None:
    """What AdminClient.secure_database() does (database grants are not copied to clones)."""
    conn.execute(f'REVOKE CONNECT, TEMPORARY ON DATABASE "{dbname}" FROM PUBLIC')
    conn.execute(f'GRANT CONNECT ON DATABASE "{dbname}" TO cogdb_app, cogdb_admin, cogdb_auditor')
    conn.execute(f'GRANT TEMPORARY ON DATABASE "{dbname}" TO cogdb_app, cogdb_owner')


def _report(conn: psycopg.Connection) -> set[tuple[str, str]]:
    """The findings, read as the auditor role (it can run the report)."""
    conn.execute("SET ROLE cogdb_auditor")
    try:
        return set(conn.execute(REPORT).fetchall())
    finally:
        conn.execute("RESET ROLE")


@pytest.fixture
def tx(db):
    """A superuser transaction on the secured clone, rolled back at the end."""
    _secure(db.super, db.name)
    with db.super.transaction(force_rollback=True):
        yield db.super


def test_migrated_database_has_no_findings_once_secured(db):
    fresh = _report(db.super)
    # PostgreSQL grants CONNECT and TEMPORARY to PUBLIC on a new database; cogdb migrate
    # secures the embedded server's database only (it may share a host application's).
    assert fresh == {("public_database_access", f"database {db.name}")}
    _secure(db.super, db.name)
    assert _report(db.super) == set()


def test_table_without_rls_or_fence_is_reported(tx):
    tx.execute("CREATE TABLE cogdb.report_gap (tenant_id uuid NOT NULL, x int)")
    assert _report(tx) == {("no_tenant_fence", "cogdb.report_gap"),
                           ("rls_not_forced", "cogdb.report_gap")}
    tx.execute("ALTER TABLE cogdb.report_gap ENABLE ROW LEVEL SECURITY")
    assert ("rls_not_forced", "cogdb.report_gap") in _report(tx)  # enabled, not forced
    tx.execute("ALTER TABLE cogdb.report_gap FORCE ROW LEVEL SECURITY")
    assert _report(tx) == {("no_tenant_fence", "cogdb.report_gap")}
    # a permissive "fence" is no fence: a later permissive policy would widen it
    tx.execute("CREATE POLICY p ON cogdb.report_gap"
               " USING (tenant_id = (SELECT cogdb.current_tenant_id()))")
    assert _report(tx) == {("no_tenant_fence", "cogdb.report_gap")}
    tx.execute("CREATE POLICY report_gap__tenant_fence ON cogdb.report_gap AS RESTRICTIVE"
               " USING (tenant_id = (SELECT cogdb.current_tenant_id()))")
    assert _report(tx) == set()


def test_a_loosened_fence_is_reported(tx):
    tx.execute("ALTER POLICY users__tenant_fence ON cogdb.users USING (true) WITH CHECK (true)")
    assert _report(tx) == {("no_tenant_fence", "cogdb.users")}


def test_a_global_registry_on_the_allowlist_is_not_reported(tx):
    """settings has no RLS on purpose (policy_report_allowlist says why); control: a table of
    the same shape under another name is reported."""
    reason = tx.execute("SELECT reason FROM cogdb.policy_report_allowlist()"
                        " WHERE table_name = 'settings' AND exempt = 'rls'").fetchone()
    assert reason and "no tenant data" in reason[0]
    tx.execute("CREATE TABLE cogdb.settings_copy (LIKE cogdb.settings)")
    assert _report(tx) == {("no_tenant_fence", "cogdb.settings_copy"),
                           ("rls_not_forced", "cogdb.settings_copy")}


def test_definer_function_gaps_are_reported(tx):
    tx.execute("CREATE FUNCTION cogdb.report_gap() RETURNS int LANGUAGE sql SECURITY DEFINER"
               " AS 'SELECT 1'")
    sig = "cogdb.report_gap()"
    assert _report(tx) == {("definer_public_execute", sig), ("definer_search_path", sig)}
    tx.execute("REVOKE ALL ON FUNCTION cogdb.report_gap() FROM PUBLIC")
    assert _report(tx) == {("definer_search_path", sig)}
    tx.execute("ALTER FUNCTION cogdb.report_gap() SET search_path = pg_temp, pg_catalog")
    assert _report(tx) == {("definer_search_path", sig)}  # pg_temp must come last
    tx.execute("ALTER FUNCTION cogdb.report_gap() SET search_path = pg_catalog, pg_temp")
    assert _report(tx) == set()
    tx.execute("GRANT EXECUTE ON FUNCTION cogdb.report_gap() TO PUBLIC")
    assert _report(tx) == {("definer_public_execute", sig)}


@pytest.mark.parametrize("privilege", ["BYPASSRLS", "SUPERUSER", "owner", "owner_indirect"])
def test_privileged_app_login_is_reported(tx, privilege):
    name = f"report_login_{uuid.uuid4().hex[:8]}"
    tx.execute(f"CREATE ROLE {name} LOGIN")
    tx.execute(f"ALTER ROLE {name} SET lock_timeout = '5s'")
    tx.execute(f"ALTER ROLE {name} SET idle_in_transaction_session_timeout = '60s'")
    tx.execute(f"GRANT cogdb_app TO {name}")
    assert _report(tx) == set()  # control: a plain app login with its timeouts
    if privilege == "owner":
        tx.execute(f"GRANT cogdb_owner TO {name}")
    elif privilege == "owner_indirect":
        tx.execute(f"CREATE ROLE {name}_via NOLOGIN")
        tx.execute(f"GRANT cogdb_owner TO {name}_via")
        tx.execute(f"GRANT {name}_via TO {name}")
    else:
        tx.execute(f"ALTER ROLE {name} {privilege}")
    assert _report(tx) == {("app_login_privileged", name)}


def test_app_login_without_timeouts_is_reported(tx):
    name = f"report_login_{uuid.uuid4().hex[:8]}"
    tx.execute(f"CREATE ROLE {name} LOGIN")
    assert _report(tx) == set()  # not an app login yet
    tx.execute(f"CREATE ROLE {name}_group NOLOGIN")
    tx.execute(f"GRANT cogdb_app TO {name}_group")
    tx.execute(f"GRANT {name}_group TO {name}")  # a member through another role counts
    assert _report(tx) == {("app_login_timeouts", name)}
    tx.execute(f"ALTER ROLE {name} SET lock_timeout = '5s'")
    detail = tx.execute("SELECT detail FROM cogdb.policy_report()").fetchall()
    assert detail == [("member of cogdb_app without idle_in_transaction_session_timeout",)]
    tx.execute(f"ALTER ROLE {name} SET idle_in_transaction_session_timeout = '0'")  # off
    assert _report(tx) == {("app_login_timeouts", name)}
    tx.execute(f"ALTER ROLE {name} SET idle_in_transaction_session_timeout = '60s'")
    assert _report(tx) == set()


def test_public_temporary_alone_is_reported(tx, db):
    tx.execute(f'GRANT TEMPORARY ON DATABASE "{db.name}" TO PUBLIC')
    assert _report(tx) == {("public_database_access", f"database {db.name}")}
    detail = tx.execute("SELECT detail FROM cogdb.policy_report()").fetchone()[0]
    assert detail == "PUBLIC has TEMPORARY on the database"


def test_policy_reading_the_context_per_row_is_reported(tx):
    tx.execute("CREATE POLICY report_gap ON cogdb.memories AS RESTRICTIVE FOR SELECT"
               " USING (owner_user_id IS NULL OR owner_user_id = cogdb.current_user_id())")
    assert _report(tx) == {("policy_per_row_helper", "policy memories.report_gap")}
    tx.execute("ALTER POLICY report_gap ON cogdb.memories"
               " USING (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id()))")
    assert _report(tx) == set()
    tx.execute("ALTER POLICY report_gap ON cogdb.memories"
               " USING (current_setting('app.user_id', true) <> '')")
    assert _report(tx) == {("policy_per_row_helper", "policy memories.report_gap")}



_PROBE = ("EXISTS (SELECT FROM cogdb.memories m WHERE m.id = relationships.from_memory_id"
          " AND m.tenant_id = cogdb.current_tenant_id() OFFSET 0)")


def test_the_per_probe_tenant_is_accepted_in_its_one_policy_and_form_only(tx):
    """Rule 3's exception (revision 0035): relationships__endpoints_visible names the tenant
    per probe, as the index condition of a memory's primary-key probe. The migrated
    database has it and no finding (positive control: test above); the same probe in any
    other policy, or the helper anywhere else in that policy, is reported."""
    qual = tx.execute("SELECT qual FROM pg_policies WHERE policyname ="
                      " 'relationships__endpoints_visible'").fetchone()[0]
    assert "(m.tenant_id = cogdb.current_tenant_id())" in qual
    assert _report(tx) == set()
    tx.execute(f"CREATE POLICY report_gap ON cogdb.relationships AS RESTRICTIVE FOR SELECT"
               f" USING (from_memory_id IS NULL OR {_PROBE})")
    assert _report(tx) == {("policy_per_row_helper", "policy relationships.report_gap")}
    tx.execute("DROP POLICY report_gap ON cogdb.relationships")
    assert _report(tx) == set()
    # the helper per row in the excepted policy itself, beside its accepted probes
    tx.execute("ALTER POLICY relationships__endpoints_visible ON cogdb.relationships"
               f" USING (owner_user_id = cogdb.current_user_id() OR {_PROBE})")
    assert _report(tx) == {("policy_per_row_helper",
                            "policy relationships.relationships__endpoints_visible")}
    # the probe's shape changed (a memory read by something else than its id)
    tx.execute("ALTER POLICY relationships__endpoints_visible ON cogdb.relationships"
               " USING (EXISTS (SELECT FROM cogdb.memories m WHERE m.owner_user_id ="
               " relationships.owner_user_id AND m.tenant_id = cogdb.current_tenant_id()"
               " OFFSET 0))")
    assert _report(tx) == {("policy_per_row_helper",
                            "policy relationships.relationships__endpoints_visible")}


def test_the_shared_lookup_floor_is_accepted_in_the_relationships_fence_only(tx):
    """Rule 3's second exception (revision 0038): relationships__tenant_fence's lookup of
    another tenant's memories compares their tenant with shared_tenant_floor() per probe.
    The migrated database has it and no finding; the same comparison in another policy, or
    the floor anywhere else in that fence, is reported (and the changed fence is no longer
    the one the report knows)."""
    qual = tx.execute("SELECT qual FROM pg_policies WHERE policyname ="
                      " 'relationships__tenant_fence'").fetchone()[0]
    assert "(m.tenant_id >= cogdb.shared_tenant_floor())" in qual
    assert _report(tx) == set()
    tx.execute("CREATE POLICY report_gap ON cogdb.memories AS RESTRICTIVE FOR SELECT"
               " USING (tenant_id >= cogdb.shared_tenant_floor())")
    assert _report(tx) == {("policy_per_row_helper", "policy memories.report_gap")}
    tx.execute("DROP POLICY report_gap ON cogdb.memories")
    assert _report(tx) == set()
    tx.execute("ALTER POLICY relationships__tenant_fence ON cogdb.relationships"
               f" USING (tenant_id >= cogdb.shared_tenant_floor() AND {qual})")
    assert _report(tx) == {
        ("policy_per_row_helper", "policy relationships.relationships__tenant_fence"),
        ("no_tenant_fence", "cogdb.relationships")}


def test_cli_exits_non_zero_on_findings(db):
    found = cli(db, "audit", "policies", "--json")
    assert found.exit_code == 5, found.output
    assert [r["finding"] for r in json.loads(found.stdout)] == ["public_database_access"]
    text = cli(db, "audit", "policies")
    assert text.exit_code == 5 and "public_database_access" in text.stdout
    assert "fix: REVOKE CONNECT, TEMPORARY ON DATABASE" in text.stdout
    _secure(db.super, db.name)
    clean = cli(db, "audit", "policies", "--json")
    assert clean.exit_code == 0 and json.loads(clean.stdout) == []
    assert cli(db, "audit", "policies").stdout.strip() == "no findings"


def test_app_role_cannot_run_the_report(db, app_conn):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute(REPORT)
