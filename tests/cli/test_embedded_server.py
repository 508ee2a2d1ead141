"""The embedded server starts only with `cogdb db start` or `cogdb quickstart`: every other
command refuses a stopped (or never set up) server with what to do.

The tests fake a stopped server (a data folder with PG_VERSION and no postmaster.pid); the
suite's own server is separate.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import one_error

import cogdb
from cogdb.cli import main
from cogdb.db.embedded import EmbeddedNotSetUp

T = "6f1c2b3a-0000-4000-8000-000000000001"
COMMANDS = [
    ("tenant", "list"),
    ("tenant", "create", "--name", "x"),
    ("tenant", "set", T, "features.chat_import=true"),
    ("user", "list", "--tenant", T),
    ("migrate",),
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
