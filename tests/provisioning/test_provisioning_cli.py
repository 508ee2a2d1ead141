"""`cogdb tenant create|list|show|set` and `cogdb user create|list`: ids printed, --sql for a
DBA, and one-line errors (never a traceback) for bad UUIDs, unknown tenants, a user of
another tenant, a missing database and an unreachable server."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid

import pytest
from helpers import cli

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
NOWHERE = "postgresql://postgres@/nodb?host=/nonexistent-cogdb-socket&port=1"


def one_line_error(result, text: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"a traceback instead of a clean error: {result.exception!r}")
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and text in errors[0], result.output
    assert "Traceback" not in result.output


def test_create_list_show_set_and_users(db):
    created = cli(db, "tenant", "create", "--name", "Acme", "--mode", "enterprise")
    assert created.exit_code == 0, created.output
    tenant = re.search(UUID_RE, created.output).group(0)
    user = cli(db, "user", "create", "--tenant", tenant, "--email", "Ann@Acme.example",
               "--provider", "oidc", "--external-id", "ann-1")
    assert user.exit_code == 0 and re.search(UUID_RE, user.output), user.output
    listed = cli(db, "tenant", "list")
    assert tenant in listed.output and "chat_import=off" in listed.output
    shown = cli(db, "tenant", "show", tenant, "--json")
    data = json.loads(shown.output)
    assert data["mode"] == "enterprise" and data["effective_settings"] == {
        "features": {"chat_import": False}}
    assert [u["email"] for u in data["users"]] == ["ann@acme.example"]
    assert data["users"][0]["identities"] == ["oidc/ann-1"]
    on = cli(db, "tenant", "set", tenant, "features.chat_import=true")
    assert on.exit_code == 0 and '"chat_import": true' in on.output
    assert "chat_import=on" in cli(db, "tenant", "list").output
    back = cli(db, "tenant", "set", tenant, "features.chat_import=default")
    assert back.exit_code == 0 and '"chat_import": false' in back.output
    users = cli(db, "user", "list", "--tenant", tenant)
    assert "ann@acme.example" in users.output and "oidc/ann-1" in users.output


def test_sql_prints_the_statement_without_connecting(db):
    for args, expected in [
        (("tenant", "create", "--name", "O'Neil & Co", "--mode", "enterprise", "--sql"),
         "SELECT cogdb.create_tenant(name => 'O''Neil & Co', mode => 'enterprise',"),
        (("user", "create", "--tenant", "6f1c2b3a-0000-4000-8000-000000000001", "--email",
          "a@b.example", "--sql"),
         "SELECT cogdb.create_user('6f1c2b3a-0000-4000-8000-000000000001', 'a@b.example',"),
        (("tenant", "set", "6f1c2b3a-0000-4000-8000-000000000001",
          "features.chat_import=false", "--sql"),
         "SELECT cogdb.set_tenant_setting('6f1c2b3a-0000-4000-8000-000000000001',"
         " 'features.chat_import', 'false'::jsonb);"),
    ]:
        r = cli(db, *args, admin_url=NOWHERE, app_url=NOWHERE)
        assert r.exit_code == 0 and r.output.startswith(expected), r.output
    for args, expected in [
        (("tenant", "list", "--sql"), "SELECT * FROM cogdb.list_tenants();"),
        (("tenant", "show", "6f1c2b3a-0000-4000-8000-000000000001", "--sql"),
         "SELECT * FROM cogdb.list_tenants() WHERE id = '6f1c2b3a-0000-4000-8000-000000000001';"),
        (("user", "list", "--tenant", "6f1c2b3a-0000-4000-8000-000000000001", "--sql"),
         "SELECT * FROM cogdb.list_users('6f1c2b3a-0000-4000-8000-000000000001');"),
    ]:
        r = cli(db, *args, admin_url=NOWHERE, app_url=NOWHERE)
        assert r.exit_code == 0 and r.output.startswith(expected), r.output
    # and the printed SQL works when a DBA runs it as the admin
    sql = cli(db, "tenant", "create", "--name", "From SQL", "--sql").output
    import psycopg

    with psycopg.connect(db.admin_url, autocommit=True) as conn:
        assert isinstance(conn.execute(sql).fetchone()[0], uuid.UUID)


@pytest.mark.parametrize(("args", "text"), [
    (("tenant", "show", "not-a-uuid"), "tenant must be a UUID"),
    (("tenant", "show", "00000000-0000-0000-0000-000000000000"), "no tenant with id"),
    (("tenant", "set", "not-a-uuid", "features.chat_import=true"), "tenant must be a UUID"),
    (("tenant", "set", "00000000-0000-0000-0000-000000000000", "features.chat_import=true"),
     "no tenant with id"),
    (("user", "create", "--tenant", "nope", "--email", "a@b.example"), "must be a UUID"),
    (("user", "create", "--tenant", "00000000-0000-0000-0000-000000000000", "--email",
      "a@b.example"), "no tenant with id"),
    (("user", "list", "--tenant", "00000000-0000-0000-0000-000000000000"), "no tenant with id"),
    (("user", "list", "--tenant", "x", "--sql"), "tenant must be a UUID"),
])
def test_bad_ids_give_one_line_errors(db, args, text):
    one_line_error(cli(db, *args), text)


def test_bad_settings_give_one_line_errors(db, tenants):
    t = str(tenants.a)
    one_line_error(cli(db, "tenant", "set", t, "features.nope=true"), "unknown tenant setting")
    one_line_error(cli(db, "tenant", "set", t, "features.chat_import=maybe"), "not a JSON value")
    one_line_error(cli(db, "tenant", "set", t, "features.chat_import=1"), "must be a boolean")
    one_line_error(cli(db, "tenant", "set", t, "chat_import"), "expected KEY=VALUE")


def test_user_of_another_tenant(db, tenants):
    one_line_error(cli(db, "remember", "--tenant", str(tenants.a), "--user", str(tenants.b1),
                       "--human", "q"), "does not belong to tenant")
    ok = cli(db, "remember", "--tenant", str(tenants.b), "--user", str(tenants.b1),
             "--human", "q")
    assert ok.exit_code == 0, ok.output


def test_the_app_login_cannot_provision(db, tenants):
    r = cli(db, "tenant", "set", str(tenants.a), "features.chat_import=true",
            admin_url=db.app_url)
    one_line_error(r, "permission denied")
    one_line_error(cli(db, "tenant", "list", admin_url=db.app_url), "permission denied")


def test_missing_database_and_unreachable_server(db, pg_server):
    missing = pg_server.url("cogdb_no_such_database")
    one_line_error(cli(db, "tenant", "list", admin_url=missing), "does not exist")
    one_line_error(cli(db, "tenant", "list", admin_url=NOWHERE), "No such file or directory")


@pytest.mark.slow
def test_a_real_process_prints_no_traceback(db):
    env = {"COGDB_DATABASE_URL": NOWHERE, "COGDB_ADMIN_URL": NOWHERE, "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "cogdb", "tenant", "list"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ")
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) <= 2
