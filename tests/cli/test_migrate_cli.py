"""`cogdb migrate` down to a revision that drops data says what it undoes and drops (with row
counts) and asks first; --yes skips the question, and with --json it is required."""
from __future__ import annotations

import json

from helpers import cli, one_error

from cogdb.cli.migrate import _describe
from cogdb.ops import migrate

NO_SOCKET = "postgresql://postgres@/nodb?host=/nonexistent-cogdb-socket&port=1"
HEAD = migrate.head_revision()
#: The newest revision whose downgrade drops data, and the revision below it.
DROPPING = [r for r in migrate.revisions() if r.drops][-1]
BELOW = migrate.revisions()[migrate.revisions().index(DROPPING) - 1].id


def _revision(db) -> str | None:
    return migrate.current_revision(db.url())


def test_unknown_revision_lists_the_known_ones(db):
    # before any connection: the URLs lead nowhere
    r = cli(db, "migrate", "--to", "9999", admin_url=NO_SOCKET, app_url=NO_SOCKET)
    error, hint = one_error(r, "unknown revision '9999'")
    assert error == "error: unknown revision '9999'"
    assert hint.startswith("hint: Known revisions: base, 0001, 0002") and "(head)" in hint

    as_json = cli(db, "migrate", "--to", "9999", "--json", admin_url=NO_SOCKET)
    assert as_json.exit_code == 1 and as_json.stderr == ""
    assert json.loads(as_json.stdout)["error"] == {
        "message": "unknown revision '9999'", "hint": hint.removeprefix("hint: "),
        "sqlstate": "CGV01", "field": "revision"}


def test_dropped_by_reads_the_frozen_downgrades():
    drops = {r.id: r.drops for r in migrate.revisions()}
    assert ("table", "cogdb.memory_counts", None) in drops["0003"]
    assert {("table", f"cogdb.{t}", None) for t in (
        "tenants", "users", "identities", "memories", "embedding_models", "settings",
    )} <= set(drops["0001"])
    assert drops["0002"] == () and drops["0004"] == ()  # functions and settings only


def test_a_downgrade_that_drops_data_asks_first(db, tenants):
    head = DROPPING
    r = cli(db, "migrate", "--to", BELOW, admin_url=db.url(), input="n\n")
    one_error(r, "downgrade not confirmed: nothing was changed")
    assert f"migrating down from {HEAD} to {BELOW} undoes:" in r.stderr
    assert f"  {head.id}  {head.title}" in r.stderr
    _, table, column = head.drops[0]
    assert f"{table}.{column}" in r.stderr if column else table in r.stderr
    assert "rows" in r.stderr and "about" not in r.stderr  # the superuser counts exactly
    assert "Drop this data? [y/N]" in r.output
    assert _revision(db) == HEAD
    refused = cli(db, "migrate", "--to", BELOW, "--json", admin_url=db.url())
    assert refused.exit_code == 1 and refused.stderr == ""
    error = json.loads(refused.stdout)["error"]
    assert f"undoes {HEAD}" in error["message"] and "--yes" in error["hint"]
    assert _revision(db) == HEAD
    yes = cli(db, "migrate", "--to", BELOW, admin_url=db.url(), input="y\n")
    assert yes.exit_code == 0, yes.output
    assert f"migrated: {HEAD} -> {BELOW}" in yes.output and _revision(db) == BELOW
    up = cli(db, "migrate", "--json", admin_url=db.url())  # upgrades never ask
    assert json.loads(up.stdout) == {"before": BELOW, "after": HEAD, "undone": []}


def test_an_upgrade_in_json(db):
    r = cli(db, "migrate", "--json", admin_url=db.url())
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"before": HEAD, "after": HEAD, "undone": []}


def test_a_downgrade_that_drops_nothing_does_not_ask(db):
    assert cli(db, "migrate", "--to", "0004", "--yes", admin_url=db.url()).exit_code == 0
    r = cli(db, "migrate", "--to", "0003", "--json", admin_url=db.url())  # undoes 0004 only
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["undone"] == [
        {"id": "0004", "title": migrate.revisions()[3].title}]


def test_down_to_base_says_every_table_is_dropped(db, tenants):
    r = cli(db, "migrate", "--to", "base", "--json", admin_url=db.url())
    message = json.loads(r.stdout)["error"]["message"]
    assert "drops every cogdb table" in message and "undoes " + HEAD in message
    memories = db.super.execute("SELECT count(*) FROM cogdb.tenants").fetchone()[0]
    assert f"table cogdb.tenants ({memories} rows)" in message
    r = cli(db, "migrate", "--to", "base", admin_url=db.url(), input="")
    one_error(r, "not confirmed")  # no answer (end of input) is no
    assert "and drops every cogdb table" in r.stderr and _revision(db) == HEAD
    gone = cli(db, "migrate", "--to", "base", "--yes", admin_url=db.url())
    assert gone.exit_code == 0 and _revision(db) is None


def test_estimates_are_labelled_about_without_bypassrls(db, tenants):
    db.super.execute("ANALYZE cogdb.tenants")
    rows, exact = migrate.table_rows(db.admin_url)  # cogdb_admin: RLS applies
    assert exact is False and rows["cogdb.tenants"] is not None
    plan = migrate.Downgrade(HEAD, None, migrate.revisions()[::-1], rows, exact)
    text = "\n".join(_describe(plan))
    assert "table cogdb.tenants (about " in text and "estimates" in text
