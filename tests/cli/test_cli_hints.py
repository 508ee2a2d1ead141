"""Every `error:` line comes with one `hint:` line in the CLI's words: server hints that name
SQL functions name the command instead, errors without a hint get a useful one, and file
errors are one line too."""
from __future__ import annotations

from helpers import cli, one_error


def test_hints_name_commands_not_sql_functions(db):
    # the server's hint names cogdb.list_tenants(); the CLI names its own command
    _, hint = one_error(cli(db, "user", "list", "--tenant", "00000000-0000-0000-0000-0000000000"
                            "00"), "no tenant with id")
    assert "`cogdb tenant list`" in hint and "cogdb.list_tenants()" not in hint


def test_an_error_without_a_hint_gets_one(db, tenants):
    # the server says "permission denied" without a HINT: the CLI adds what to check
    _, hint = one_error(cli(db, "tenant", "list", admin_url=db.app_url), "permission denied")
    assert "COGDB_ADMIN_URL" in hint


def test_file_errors_are_one_line(db, tenants, tmp_path):
    bad = tmp_path / "c.json"
    bad.write_bytes(b"[\xff]")
    one_error(cli(db, "import", "chat", "--tenant", str(tenants.b), "--user", str(tenants.b1),
                  "--provider", "claude", str(bad)), "not valid UTF-8")
    # an OSError (a regular file where a folder must be made) is one line too
    (tmp_path / "file").write_text("x")
    _, hint = one_error(cli(db, "export", "nodes", "--tenant", str(tenants.b), "--data-dir",
                            str(tmp_path / "file" / "out")), "Not a directory")
    assert "path" in hint
