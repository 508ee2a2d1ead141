"""--json on every command, errors included: an error is one JSON object on stdout
({"error": {message, hint, sqlstate, field}}), nothing on stderr, and the same exit code as
without --json. The exit codes are named once and documented in the README."""
from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from helpers import cli, one_error

from cogdb.cli import common, main

ROOT = Path(__file__).resolve().parents[2]
NO_SOCKET = "postgresql://postgres@/nodb?host=/nonexistent-cogdb-socket&port=1"
ZERO = "00000000-0000-0000-0000-000000000000"


def _commands(group: click.Group, prefix: str = "cogdb") -> list[tuple[str, click.Command]]:
    out = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            out += _commands(command, f"{prefix} {name}")
        else:
            out.append((f"{prefix} {name}", command))
    return out


#: Commands without --json of their own, and why.
WITHOUT_JSON = {
    "cogdb bench": "passes its arguments to python -m bench",
    "cogdb mcp": "a stdio server: its stdout carries MCP's JSON-RPC messages",
}


def test_every_command_has_json():
    missing = [path for path, command in _commands(main)
               if path not in WITHOUT_JSON
               and not any(p.name == "as_json" and "--json" in p.opts for p in command.params)]
    assert missing == []


@pytest.mark.parametrize(("args", "urls", "code", "text", "sqlstate", "field"), [
    (("tenant", "show", "not-a-uuid"), {}, 1, "tenant must be a UUID", "CGV01", "tenant"),
    (("tenant", "show", ZERO), {}, 1, "no tenant with id", "CGN01", "tenant_id"),
    (("user", "list", "--tenant", ZERO), {}, 1, "no tenant with id", "CGN01", "tenant_id"),
    (("tenant", "set", "{a}", "features.chat_import=maybe"), {}, 1, "not a JSON value",
     "CGV01", "setting"),
    (("search", "--tenant", ZERO, "x"), {"app_url": NO_SOCKET}, 1, "cannot connect", None,
     None),
    (("tenant", "list"), {"admin_url": NO_SOCKET}, 1, "cannot connect", None, None),
    (("remember", "--tenant", "{a}", "--user", "{b1}", "--human", "q"), {}, 1,
     "does not belong to tenant", "CGA02", "user_id"),
    (("maintain", "--dry-run"), {"admin_url": NO_SOCKET}, 1, "cannot connect", None, None),
])
def test_errors_in_json(db, tenants, args, urls, code, text, sqlstate, field):
    args = tuple(a.format(a=tenants.a, b1=tenants.b1) for a in args)
    plain = cli(db, *args, **urls)
    one_error(plain, text, code)
    r = cli(db, *args, "--json", **urls)
    assert r.exit_code == plain.exit_code == code
    assert r.stderr == "", r.stderr
    data = json.loads(r.stdout)
    assert list(data) == ["error"]
    error = data["error"]
    assert set(error) == {"message", "hint", "sqlstate", "field"}
    assert text in error["message"] and error["hint"]
    assert (error["sqlstate"], error["field"]) == (sqlstate, field)
    plain_error = plain.stderr.splitlines()
    assert f"error: {error['message']}" in plain_error and f"hint: {error['hint']}" in plain_error


def test_provisioning_in_json(db, tenants):
    r = cli(db, "tenant", "set", str(tenants.a), "features.chat_import=true", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert (data["key"], data["value"]) == ("features.chat_import", True)
    assert data["effective_settings"]["features"]["chat_import"] is True
    for args in (("tenant", "list", "--sql"), ("tenant", "show", ZERO, "--sql"),
                 ("user", "list", "--tenant", ZERO, "--sql"),
                 ("tenant", "create", "--name", "A", "--sql"),
                 ("user", "create", "--tenant", ZERO, "--email", "a@b.example", "--sql"),
                 ("tenant", "set", ZERO, "features.chat_import=false", "--sql")):
        plain, as_json = cli(db, *args), cli(db, *args, "--json")
        assert json.loads(as_json.stdout) == {"sql": plain.stdout.rstrip("\n")}


def test_db_url_in_json(db):
    url = json.loads(cli(db, "db", "url", "--json").stdout)
    assert url == {"url": db.app_url, "login": "app"}


def test_exit_codes_are_named_and_documented():
    codes = {name: getattr(common, name) for name in dir(common) if name.startswith("EXIT_")}
    assert codes == {"EXIT_OK": 0, "EXIT_ERROR": 1, "EXIT_USAGE": 2, "EXIT_NOT_RUNNING": 3,
                     "EXIT_LEFT_OUT": 4, "EXIT_FINDINGS": 5,
                     "EXIT_AUDIT_BROKEN": 5}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Exit codes"):]
    for code in codes.values():
        assert re.search(rf"^\| {code} \|", section, flags=re.M), f"exit code {code}"


def test_usage_errors_stay_clicks_own(db):
    r = cli(db, "tenant", "show")
    assert r.exit_code == common.EXIT_USAGE and "Missing argument" in r.output
