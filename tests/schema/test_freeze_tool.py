"""The revision tool, `python -m tools.freeze NNNN`: it refuses released revisions, writes a
new one from its list (carries.txt), takes each object's previous definition for the
downgrade from the revision that last froze it, and adds only the new revision's lines to
the manifest. Run as a developer would, in a subprocess, on copies of the repository."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VERSIONS = REPO / "alembic" / "versions"


def _freeze(*args: str, root: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.freeze", *args, "--root", str(root)],
                          cwd=REPO, capture_output=True, text=True, timeout=60)


def _tree_hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def _released() -> list[str]:
    lines = (VERSIONS / "FROZEN.sha256").read_text(encoding="utf-8").splitlines()
    return sorted({line.split("  ")[1].split("/")[0].split("_")[0] for line in lines if line})


def test_freezing_a_released_revision_changes_nothing():
    released = _released()
    assert {"0001", "0002", "0003"} <= set(released), released
    before = _tree_hashes(VERSIONS)
    for number in released:
        run = _freeze(number)
        assert run.returncode == 2, (number, run.stdout, run.stderr)
        assert f"revision {number} is released" in run.stderr, run.stderr
        assert run.stderr.count("\n") == 1, f"the refusal should be one line: {run.stderr!r}"
    assert _tree_hashes(VERSIONS) == before, "the tool touched a released revision"


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """alembic/versions of 0001-0003 and today's sql/, as a scratch repository."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "sql", root / "sql")
    versions = root / "alembic" / "versions"
    versions.mkdir(parents=True)
    manifest = []
    for line in (VERSIONS / "FROZEN.sha256").read_text(encoding="utf-8").splitlines():
        path = line.split("  ")[1]
        if path[:4] <= "0003":
            manifest.append(line)
            (versions / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(VERSIONS / path, versions / path)
    (versions / "FROZEN.sha256").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    return root


def _new_revision(root: Path, number: str, carries: str, files: dict[str, str] | None = None
                  ) -> Path:
    folder = root / "alembic" / "versions" / f"{number}_trial"
    folder.mkdir()
    (folder / "carries.txt").write_text(carries, encoding="utf-8")
    for name, text in (files or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_new_revision_gets_previous_definitions_drops_and_manifest_lines(repo_copy):
    root = repo_copy
    forget = root / "sql" / "functions" / "memories" / "forget.sql"
    forget.write_text(forget.read_text().replace("RETURN FOUND;", "RETURN FOUND; -- trial"))
    new_fn = root / "sql" / "functions" / "internal" / "trial_fn.sql"
    new_fn.write_text("CREATE OR REPLACE FUNCTION cogdb.trial_fn(a integer) RETURNS integer\n"
                      "    LANGUAGE sql IMMUTABLE AS $$ SELECT a $$;\n\n"
                      "REVOKE ALL ON FUNCTION cogdb.trial_fn(integer) FROM PUBLIC;\n")
    folder = _new_revision(root, "0004", (
        "# trial: one changed function, one new, a replaced policy and a step\n"
        "step 10_table.sql\n"
        "sql/functions/internal/trial_fn.sql\n"
        "sql/functions/memories/forget.sql\n"
        "sql/policies/tenants__own_row.sql\n"), {
        "10_table.sql": "CREATE TABLE cogdb.trial (a integer);\n",
        "10_table.down.sql": "DROP TABLE cogdb.trial;\n"})
    manifest = root / "alembic" / "versions" / "FROZEN.sha256"
    before = manifest.read_text().splitlines()

    run = _freeze("0004", root=root)
    assert run.returncode == 0, run.stderr

    upgrade = (folder / "upgrade.sql").read_text()
    assert "RETURN FOUND; -- trial" in upgrade and "cogdb.trial_fn(a integer)" in upgrade
    assert upgrade.index("CREATE TABLE cogdb.trial") < upgrade.index("cogdb.trial_fn(a")
    downgrade = (folder / "downgrade.sql").read_text()
    # forget as 0001 froze it (its last change), the policy as 0003 froze it, the new
    # function dropped, the step undone last (the list in reverse).
    old_forget = (VERSIONS / "0001_foundation" / "10_functions.sql").read_text()
    start = old_forget.index("-- Deletes the memory with this id")
    end = old_forget.index("TO cogdb_app;", start) + len("TO cogdb_app;")
    assert old_forget[start:end] in downgrade
    assert "as frozen in revision 0001" in downgrade
    assert "sql/policies/tenants__own_row.sql as frozen in revision 0003" in downgrade
    assert "DROP FUNCTION cogdb.trial_fn(integer);" in downgrade
    order = [downgrade.index(s) for s in ("tenants__own_row", "RETURN FOUND;",
                                          "DROP FUNCTION cogdb.trial_fn", "DROP TABLE cogdb.trial")]
    assert order == sorted(order), "the downgrade must undo the list in reverse order"

    after = manifest.read_text().splitlines()
    assert after[:len(before)] == before, "lines of released revisions changed"
    added = [line.split("  ")[1] for line in after[len(before):]]
    assert added == ["0004_trial.py", "0004_trial/10_table.down.sql", "0004_trial/10_table.sql",
                     "0004_trial/carries.txt", "0004_trial/downgrade.sql",
                     "0004_trial/upgrade.sql"]
    py = (root / "alembic" / "versions" / "0004_trial.py").read_text()
    assert 'down_revision = "0003"' in py and "frozen_revision(__file__)" in py

    again = _freeze("0004", root=root)
    assert again.returncode == 2 and "revision 0004 is released" in again.stderr


def test_a_changed_signature_drops_the_old_one_both_ways(repo_copy):
    root = repo_copy
    get = root / "sql" / "functions" / "memories" / "get.sql"
    text = get.read_text().replace("include_shared boolean DEFAULT false)",
                                   "include_shared boolean DEFAULT false, x integer DEFAULT 0)")
    get.write_text(text.replace("cogdb.get(text, boolean)", "cogdb.get(text, boolean, integer)"))
    folder = _new_revision(root, "0004", "sql/functions/memories/get.sql\n")
    assert _freeze("0004", "--draft", root=root).returncode == 0
    upgrade = (folder / "upgrade.sql").read_text()
    assert upgrade.index("DROP FUNCTION cogdb.get(text);") < upgrade.index("CREATE OR REPLACE")
    downgrade = (folder / "downgrade.sql").read_text()
    assert downgrade.index("DROP FUNCTION cogdb.get(text, boolean, integer);") < downgrade.index(
        "CREATE OR REPLACE FUNCTION cogdb.get(id text)")
    manifest = (root / "alembic" / "versions" / "FROZEN.sha256").read_text()
    assert "0004_" not in manifest, "--draft must not list the revision"


@pytest.mark.parametrize(("carries", "files", "message"), [
    ("step 10_x.sql\n", {"10_x.sql": "SELECT 1;\n"}, "has no undo"),
    ("sql/functions/nope.sql\n", {}, "expected sql/functions/<area>/<name>.sql"),
    ("sql/functions/memories/missing.sql\n", {}, "no such file"),
    ("sql/tables/memories.sql\n", {}, "change a table with a step"),
    ("# only a comment\n", {}, "lists nothing to apply"),
])
def test_mistakes_in_the_list_are_refused_in_one_line(repo_copy, carries, files, message):
    _new_revision(repo_copy, "0004", carries, files)
    run = _freeze("0004", root=repo_copy)
    assert run.returncode == 2 and message in run.stderr, run.stderr
    assert run.stderr.startswith("error: ") and run.stderr.count("\n") == 1, run.stderr
