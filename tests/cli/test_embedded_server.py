"""The embedded server starts only with `cogdb db start` or `cogdb quickstart`: every other
command refuses a stopped (or never set up) server with what to do, and `cogdb db status`
exits 3 when it does not run, with or without --json.

Most tests fake a stopped server (a data folder with PG_VERSION and no postmaster.pid);
one slow test runs the real thing in a folder of its own (the suite's server is separate).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import one_error

import cogdb
from cogdb.cli import main
from cogdb.cli.common import EXIT_NOT_RUNNING
from cogdb.db import embedded
from cogdb.db.embedded import EmbeddedNotSetUp

T = "6f1c2b3a-0000-4000-8000-000000000001"
COMMANDS = [
    ("tenant", "list"),
    ("tenant", "create", "--name", "x"),
    ("tenant", "set", T, "features.chat_import=true"),
    ("user", "list", "--tenant", T),
    ("migrate",),
    ("migrate", "--to", "0004", "--yes"),
    ("remember", "--tenant", T, "--human", "q"),
    ("search", "--tenant", T, "q"),
    ("forget", "--tenant", T, "mem_x"),
    ("import", "chat", "--tenant", T, "--user", T, "--provider", "claude", "{file}"),
    ("import", "nodes", "--tenant", T, "--data-dir", "{dir}"),
    ("export", "nodes", "--tenant", T, "--data-dir", "{dir}"),
    ("maintain", "--dry-run"),
    ("db", "url"),
    ("db", "url", "--admin"),
]


def run(home: Path, *args: str) -> Result:
    """The CLI with no COGDB_*_URL, on the embedded server of ``home``."""
    env = {"COGDB_HOME": str(home), "COGDB_DATABASE_URL": None, "COGDB_ADMIN_URL": None}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def _args(command: tuple[str, ...], tmp_path: Path) -> list[str]:
    file = tmp_path / "conversations.json"
    file.write_text("[]")
    return [a.format(file=file, dir=tmp_path) for a in command]


@pytest.fixture
def stopped(tmp_path) -> Path:
    """A COGDB_HOME whose server was set up and is stopped."""
    home = tmp_path / "home"
    (home / "pgdata").mkdir(parents=True)
    (home / "pgdata" / "PG_VERSION").write_text("18\n")
    return home


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_stopped_server_stays_stopped(stopped, tmp_path, command):
    r = run(stopped, *_args(command, tmp_path))
    _, hint = one_error(r, "the embedded server is stopped")
    assert hint == "hint: Start it with `cogdb db start` (or `cogdb quickstart`)."
    assert not (stopped / "pgdata" / "postmaster.pid").exists(), "it was started"


@pytest.mark.parametrize("command", COMMANDS[:6], ids=" ".join)
def test_a_stopped_server_in_json(stopped, tmp_path, command):
    r = run(stopped, *_args(command, tmp_path), "--json")
    assert r.exit_code == 1 and r.stderr == "", r.output
    error = json.loads(r.stdout)["error"]
    assert error["message"].startswith("the embedded server is stopped")
    assert "cogdb db start" in error["hint"]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_home_never_set_up_says_quickstart(tmp_path, command):
    home = tmp_path / "never"
    _, hint = one_error(run(home, *_args(command, tmp_path)), "no embedded server in")
    assert "`cogdb quickstart`" in hint
    assert not home.exists()


def test_connect_on_a_home_never_set_up_says_quickstart(monkeypatch, tmp_path):
    monkeypatch.delenv("COGDB_DATABASE_URL", raising=False)
    monkeypatch.delenv("COGDB_ADMIN_URL", raising=False)
    monkeypatch.setenv("COGDB_HOME", str(tmp_path / "home"))
    for connect in (cogdb.connect, cogdb.connect_admin):
        with pytest.raises(EmbeddedNotSetUp) as info:
            connect()
        assert "cogdb quickstart" in info.value.hint
    assert not (tmp_path / "home").exists(), "nothing is created (or started)"


def test_db_status_exits_3_with_and_without_json(stopped, tmp_path):
    plain, as_json = run(stopped, "db", "status"), run(stopped, "db", "status", "--json")
    assert plain.exit_code == as_json.exit_code == EXIT_NOT_RUNNING == 3
    assert "not running" in plain.output and "cogdb db start" in plain.output
    data = json.loads(as_json.stdout)
    assert (data["running"], data["initialised"]) == (False, True)
    never = tmp_path / "never"
    plain, as_json = run(never, "db", "status"), run(never, "db", "status", "--json")
    assert plain.exit_code == as_json.exit_code == 3
    assert "not set up" in plain.output and "cogdb quickstart" in plain.output
    assert json.loads(as_json.stdout)["initialised"] is False


def test_db_commands_refuse_an_external_server(tmp_path):
    env = {"COGDB_HOME": str(tmp_path), "COGDB_DATABASE_URL": "postgresql://x@/y",
           "COGDB_ADMIN_URL": "postgresql://x@/y"}
    for args in (["db", "start"], ["db", "stop"], ["db", "status", "--json"]):
        r = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
        assert r.exit_code == 1, r.output
    assert "manages the embedded server only" in json.loads(r.stdout)["error"]["message"]


@pytest.mark.slow
def test_quickstart_then_stop_stays_stopped_until_start(tmp_path):
    home = tmp_path / "home"
    try:
        qs = run(home, "quickstart", "--json")
        assert qs.exit_code == 0, qs.output
        summary = json.loads(qs.stdout)
        assert summary["migrated"]["after"] and len(summary["tenants"]) == 2
        assert summary["isolation_checks"] == "passed"
        assert run(home, "db", "status", "--json").exit_code == 0
        stop = run(home, "db", "stop", "--json")
        assert json.loads(stop.stdout)["state"] == "stopped"
        for args in (("tenant", "list"), ("migrate",), ("search", "--tenant",
                                                        summary["tenants"][0]["tenant_id"], "x")):
            one_error(run(home, *args), "the embedded server is stopped")
        assert embedded.status(home) is None, "a command restarted the server"
        assert run(home, "db", "status").exit_code == 3
        start = run(home, "db", "start", "--json")
        assert json.loads(start.stdout)["state"] == "started"
        listed = run(home, "tenant", "list", "--json")
        assert listed.exit_code == 0 and len(json.loads(listed.stdout)) == 2
        # A memory of the tenant's own beside the samples: quickstart runs again, unchanged.
        acme = summary["tenants"][0]["tenant_id"]
        assert run(home, "remember", "--tenant", acme,
                   "How do we deploy to production?").exit_code == 0
        again = run(home, "quickstart", "--json")
        assert again.exit_code == 0, again.output
        assert json.loads(again.stdout)["isolation_checks"] == "passed"
    finally:
        embedded.stop(home)
