"""`cogdb import nodes` exit codes around the importer: 1 when the run aborted (nothing
written), 4 when it finished with records left out (rejected with --on-error skip, or
conflicts left), 0 otherwise; the same with --json. The importer is replaced by its report,
so this checks the command's exit paths only (tests/io covers the importer itself)."""
from __future__ import annotations

import json

import pytest
from helpers import cli

from cogdb.io.nodes import ImportReport


@pytest.mark.parametrize(("report", "code"), [
    (ImportReport(found=2, imported=2), 0),
    (ImportReport(found=2, rejected=1, aborted=True), 1),
    (ImportReport(found=2, imported=1, rejected=1), 4),
    (ImportReport(found=2, imported=1, conflicts=["mem_1"]), 4),
    (ImportReport(found=2, imported=1, conflicts=["mem_1"], updated=["mem_1"]), 0),
], ids=["ok", "aborted", "rejected-skipped", "conflict-left", "conflict-updated"])
def test_import_nodes_exit_codes(db, tenants, tmp_path, monkeypatch, report, code):
    monkeypatch.setattr("cogdb.cli.io.import_nodes", lambda *a, **k: report)
    args = ["import", "nodes", "--tenant", str(tenants.b), "--data-dir", str(tmp_path)]
    assert cli(db, *args).exit_code == code
    as_json = cli(db, *args, "--json")
    assert as_json.exit_code == code and json.loads(as_json.stdout)["found"] == 2
