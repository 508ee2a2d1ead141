"""Freeze a revision: ``python -m tools.freeze NNNN [--draft]``.

Writing a revision is: create ``alembic/versions/NNNN_<slug>/carries.txt`` listing what it
applies, run this tool, commit. ``carries.txt`` has one entry per line, applied in order
(``#`` starts a comment; the first comment line becomes the revision's title):

    sql/functions/<area>/<name>.sql   the current definition of a function, frozen into
    sql/policies/<table>__<rule>.sql  upgrade.sql; the downgrade puts back the definition
    sql/tables/<table>.sql            the last earlier revision froze (or drops a new object;
                                      a table file may be carried only by the revision that
                                      creates the table: later changes are steps)
    step <file>.sql                   a run-once step written by hand in the revision's
                                      folder (ALTER TABLE, data); its undo is
                                      <file>.down.sql beside it, which the downgrade runs

The tool writes ``upgrade.sql`` and ``downgrade.sql`` into the folder, the revision file
``NNNN_<slug>.py`` if it is missing (the generic body, :func:`cogdb.migrations.frozen_revision`),
and appends the revision's files to ``alembic/versions/FROZEN.sha256`` (not with
``--draft``, which is for iterating before release: the manifest test fails on a draft).
It refuses a revision that the manifest already lists: released revisions never change.

Previous definitions come from the newest earlier revision that froze the same object
(functions and policies are named by their file's stem, unique across sql/). Revisions
written by this tool mark each frozen file with ``-- >>> path`` / ``-- <<< path``; the
hand-written revisions 0001-0003 mark them with ``-- sql/<kind>/<name>.sql`` only, and the
copy there ends with the function's last GRANT/REVOKE line or the policy's CREATE statement.
See docs/conventions.md (Migrations).
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

KINDS = ("functions", "policies", "tables")
CARRIES = "carries.txt"
MANIFEST = "FROZEN.sha256"
OWNER_ROLES = "PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor"
BEGIN, END = "-- >>> ", "-- <<< "
LEGACY_MARKER = re.compile(r"^-- sql/(functions|policies)/(\w+)\.sql\s*$")
REVOKE_PUBLIC = re.compile(r"REVOKE\s+ALL\s+ON\s+FUNCTION\s+(cogdb\.\w+\s*\()", re.I)
CREATE_POLICY = re.compile(r"CREATE\s+POLICY\s+(\w+)\s+ON\s+(cogdb\.\w+)", re.I)
CREATE_TABLE = re.compile(r"CREATE\s+TABLE\s+(cogdb\.\w+)", re.I)


class FreezeError(Exception):
    """A refusal: printed as one line, exit code 2."""


@dataclass(frozen=True)
class Entry:
    """One line of carries.txt: a sql/ file (kind, stem) or a hand-written step."""

    text: str

    @property
    def is_step(self) -> bool:
        return self.text.startswith("step ")

    @property
    def path(self) -> str:
        return self.text[5:].strip() if self.is_step else self.text

    @property
    def kind(self) -> str:
        return Path(self.path).parts[1]

    @property
    def stem(self) -> str:
        return Path(self.path).stem


@dataclass(frozen=True)
class Previous:
    revision: str
    text: str


# ------------------------------------------------------------------------------ reading

def revision_number(path: Path) -> str | None:
    match = re.match(r"(\d{4})_", path.name)
    return match.group(1) if match else None


def revision_folders(versions: Path) -> dict[str, Path]:
    folders = {revision_number(p): p for p in versions.iterdir() if p.is_dir()}
    return {n: p for n, p in sorted(folders.items()) if n is not None}


def read_carries(folder: Path) -> tuple[str, list[Entry]]:
    path = folder / CARRIES
    if not path.is_file():
        raise FreezeError(f"{path} is missing: list the sql/ files and steps the revision "
                          "applies, one per line")
    title, entries = "", []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if line.startswith("#"):
            title = title or line.lstrip("# ").strip()
            continue
        if not line:
            continue
        entry = Entry(line)
        if entry.is_step:
            if not re.fullmatch(r"[\w.-]+\.sql", entry.path) or entry.path.endswith(".down.sql"):
                raise FreezeError(f"{path}:{number}: a step names a file of this folder, "
                                  f"e.g. `step 10_tables.sql`, got {line!r}")
        elif not re.fullmatch(r"sql/(functions/\w+|policies|tables)/\w+\.sql", line):
            raise FreezeError(f"{path}:{number}: expected sql/functions/<area>/<name>.sql, "
                              f"sql/policies/<name>.sql, sql/tables/<name>.sql or "
                              f"`step <file>.sql`, got {line!r}")
        if entry in entries:
            raise FreezeError(f"{path}:{number}: {line} is listed twice")
        entries.append(entry)
    if not entries:
        raise FreezeError(f"{path} lists nothing to apply")
    return title, entries


def frozen_copies(folder: Path) -> dict[tuple[str, str], str]:
    """(kind, stem) -> the frozen text of every sql/ file a revision carries."""
    if (folder / CARRIES).is_file():
        return _marked_copies((folder / "upgrade.sql").read_text(encoding="utf-8"))
    found: dict[tuple[str, str], str] = {}
    for path in sorted(folder.glob("*.sql")):
        if path.name != "downgrade.sql":
            found.update(_legacy_copies(path.read_text(encoding="utf-8")))
    return found


def _marked_copies(text: str) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for match in re.finditer(rf"^{re.escape(BEGIN)}(sql/\S+)\n(.*?)^{re.escape(END)}\1$",
                             text, re.M | re.S):
        entry = Entry(match.group(1))
        found[(entry.kind, entry.stem)] = match.group(2)
    return found


def _legacy_copies(text: str) -> dict[tuple[str, str], str]:
    """Copies in 0001-0003: a marker line, then the file, up to the next marker; trailing
    statements of the revision itself are cut off after the object's last own line."""
    found: dict[tuple[str, str], str] = {}
    lines = text.splitlines(keepends=True)
    marks = [(i, m) for i, line in enumerate(lines) if (m := LEGACY_MARKER.match(line))]
    for n, (i, match) in enumerate(marks):
        end = marks[n + 1][0] if n + 1 < len(marks) else len(lines)
        kind, stem = match.groups()
        chunk = lines[i + 1:end]
        if kind == "functions":
            own = re.compile(rf"^(REVOKE|GRANT)\b.*\bFUNCTION\s+cogdb\.{stem}\s*\(")
            last = max(k for k, line in enumerate(chunk) if own.match(line))
        else:
            start = next(k for k, line in enumerate(chunk) if line.startswith("CREATE POLICY"))
            last = next(k for k in range(start, len(chunk)) if chunk[k].rstrip().endswith(";"))
        found[(kind, stem)] = "".join(chunk[:last + 1])
    return found


def previous_definition(versions: Path, number: str, entry: Entry) -> Previous | None:
    for rev, folder in reversed(revision_folders(versions).items()):
        if rev >= number:
            continue
        if entry.kind == "tables":  # created by any earlier SQL, a step or a frozen copy
            created = re.compile(rf"CREATE\s+TABLE\s+cogdb\.{entry.stem}\b", re.I)
            for path in folder.glob("*.sql"):
                if not path.name.endswith("downgrade.sql") and not path.name.endswith(
                        ".down.sql") and created.search(path.read_text(encoding="utf-8")):
                    return Previous(rev, "")
            continue
        text = frozen_copies(folder).get((entry.kind, entry.stem))
        if text is not None:
            return Previous(rev, text)
    return None


def function_signature(text: str, where: str) -> str:
    """cogdb.f(arg types), from the file's `REVOKE ALL ON FUNCTION … FROM PUBLIC` line."""
    match = REVOKE_PUBLIC.search(text)
    if not match:
        raise FreezeError(f"{where}: a function file must say REVOKE ALL ON FUNCTION "
                          "cogdb.<name>(<argument types>) FROM PUBLIC (the tool reads the "
                          "signature from it)")
    depth, i = 1, match.end()
    while depth:
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        i += 1
    return re.sub(r"\s+", " ", match.group(1) + text[match.end():i]).replace("( ", "(")


def returns_clause(text: str) -> str:
    """What a function file's CREATE says after RETURNS, up to LANGUAGE, normalised."""
    match = re.search(r"CREATE\s+OR\s+REPLACE\s+FUNCTION.*?\)\s*(?:RETURNS\s+(.*?))?"
                      r"\s*LANGUAGE\b", text, re.I | re.S)
    clause = (match.group(1) or "") if match else ""
    return re.sub(r"\s+", " ", re.sub(r"\bpublic\.", "", clause)).strip().lower()


def _same_signature(a: str, b: str) -> bool:
    def norm(sig: str) -> str:
        return re.sub(r"\bpublic\.", "", sig.replace(" ", "")).lower()
    return norm(a) == norm(b)


# ------------------------------------------------------------------------------ writing

def _block(label: str, text: str) -> str:
    return f"{BEGIN}{label}\n{text.rstrip()}\n{END}{label}\n"


def build(root: Path, number: str) -> tuple[Path, str, str, str]:
    """(folder, title, upgrade.sql, downgrade.sql) of revision ``number``."""
    versions = root / "alembic" / "versions"
    folder = revision_folders(versions).get(number)
    if folder is None:
        raise FreezeError(f"no folder alembic/versions/{number}_<slug>/ (with {CARRIES})")
    title, entries = read_carries(folder)
    head = (f"-- cogdb revision {number} ({folder.name[5:]}): written by `python -m "
            f"tools.freeze {number}` from {CARRIES}.\n-- FROZEN: never edit; a later "
            "revision carries its own copy of what it changes.\n")
    up = [head, "SET LOCAL ROLE cogdb_owner;\n"]
    down = [head.replace("written by", "downgrade, written by"),
            "SET LOCAL ROLE cogdb_owner;\n"]
    undo: list[str] = []
    for entry in entries:
        source = (folder / entry.path) if entry.is_step else (root / entry.path)
        if not source.is_file():
            raise FreezeError(f"{entry.path}: no such file ({CARRIES} of {folder.name})")
        text = source.read_text(encoding="utf-8")
        if entry.is_step:
            down_file = folder / entry.path.replace(".sql", ".down.sql")
            if not down_file.is_file():
                raise FreezeError(f"step {entry.path} has no undo: write {down_file.name} "
                                  "beside it (a comment is enough if nothing is to undo)")
            up.append("\n" + _block(f"step {entry.path}", text))
            undo.append(_block(f"step {down_file.name}", down_file.read_text("utf-8")))
            continue
        prev = previous_definition(versions, number, entry)
        up_part, down_part = _object_change(entry, text, prev)
        up.append("\n" + up_part + _block(entry.path, text))
        undo.append(down_part)
    up.append("\nRESET ROLE;\n")
    down.extend("\n" + part for part in reversed(undo))
    down.append("\nRESET ROLE;\n")
    return folder, title, "".join(up), "".join(down)


def _object_change(entry: Entry, text: str, prev: Previous | None) -> tuple[str, str]:
    """What runs before the frozen copy on upgrade, and the whole undo on downgrade."""
    if entry.kind == "functions":
        sig = function_signature(text, entry.path)
        if prev is None:
            return "", f"-- {entry.path}: new in this revision\nDROP FUNCTION {sig};\n"
        old_sig = function_signature(prev.text, f"{entry.path} as frozen in {prev.revision}")
        restore = f"-- {entry.path} as frozen in revision {prev.revision}\n{prev.text.rstrip()}\n"
        if not _same_signature(sig, old_sig) or returns_clause(text) != returns_clause(
                prev.text):
            return (f"-- the signature or result changed since revision {prev.revision}\n"
                    f"DROP FUNCTION {old_sig};\n",
                    f"DROP FUNCTION {sig};\n{restore}")
        return "", (f"REVOKE ALL ON FUNCTION {sig} FROM {OWNER_ROLES};\n"
                    f"COMMENT ON FUNCTION {sig} IS NULL;\n{restore}")
    if entry.kind == "policies":
        match = CREATE_POLICY.search(text)
        if not match:
            raise FreezeError(f"{entry.path}: no CREATE POLICY <name> ON cogdb.<table>")
        if prev is None:
            return "", (f"-- {entry.path}: new in this revision\n"
                        f"DROP POLICY {match.group(1)} ON {match.group(2)};\n")
        return "", f"-- {entry.path} as frozen in revision {prev.revision}\n{prev.text.rstrip()}\n"
    match = CREATE_TABLE.search(text)
    if not match:
        raise FreezeError(f"{entry.path}: no CREATE TABLE cogdb.<name>")
    if prev is not None:
        raise FreezeError(f"{entry.path} was created by revision {prev.revision}: change a "
                          "table with a step (ALTER TABLE …) and keep sql/tables/ current")
    return "", f"-- {entry.path}: new in this revision\nDROP TABLE {match.group(1)};\n"


def revision_file_text(number: str, down: str, slug: str, title: str) -> str:
    return (f'"""{title or slug.replace("_", " ")}\n\n'
            f"Revision ID: {number}\nRevises: {down}\n"
            f"Create Date: {dt.date.today().isoformat()}\n\n"
            f"The generic body: upgrade.sql and downgrade.sql in {number}_{slug}/ were written "
            f"by\n`python -m tools.freeze {number}` from the list in {number}_{slug}/{CARRIES}.\n"
            '"""\nfrom cogdb.migrations import frozen_revision\n\n'
            f'revision = "{number}"\ndown_revision = "{down}"\n'
            "branch_labels = None\ndepends_on = None\n\n"
            "upgrade, downgrade = frozen_revision(__file__)\n")


def manifest_lines(versions: Path, paths: list[Path]) -> list[str]:
    return [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(versions).as_posix()}"
            for p in sorted(paths, key=lambda p: p.relative_to(versions).as_posix())]


def freeze(root: Path, number: str, *, draft: bool = False) -> list[str]:
    """Write revision ``number``; returns the paths written (relative to alembic/versions)."""
    versions = root / "alembic" / "versions"
    manifest = versions / MANIFEST
    listed = manifest.read_text(encoding="utf-8").splitlines() if manifest.exists() else []
    if any(re.search(rf"\s{number}_", line) for line in listed):
        raise FreezeError(f"revision {number} is released (listed in {MANIFEST}); released "
                          "revisions never change: put the change in a new revision")
    folder, title, upgrade, downgrade = build(root, number)
    earlier = [n for n in revision_folders(versions) if n < number]
    if not earlier:
        raise FreezeError(f"revision {number} has no predecessor folder")
    slug = folder.name[5:]
    py = versions / f"{folder.name}.py"
    if py.exists():
        down = re.search(r'^down_revision = "(\d{4})"', py.read_text("utf-8"), re.M)
        if not down or down.group(1) != earlier[-1]:
            raise FreezeError(f"{py.name} must say down_revision = \"{earlier[-1]}\"")
    else:
        py.write_text(revision_file_text(number, earlier[-1], slug, title), encoding="utf-8")
    (folder / "upgrade.sql").write_text(upgrade, encoding="utf-8")
    (folder / "downgrade.sql").write_text(downgrade, encoding="utf-8")
    files = [py, *(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)]
    written = sorted(p.relative_to(versions).as_posix() for p in files)
    if not draft:
        lines = sorted(listed + manifest_lines(versions, files), key=lambda s: s.split("  ")[1])
        manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.freeze", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("revision", help="the revision number, e.g. 0004")
    parser.add_argument("--draft", action="store_true",
                        help="write the frozen files but do not list them in the manifest")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the repository (default: this checkout)")
    args = parser.parse_args(argv)
    try:
        written = freeze(args.root, args.revision.zfill(4), draft=args.draft)
    except FreezeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    state = "draft (not in the manifest)" if args.draft else f"released: listed in {MANIFEST}"
    print(f"revision {args.revision.zfill(4)} frozen, {state}:")
    for path in written:
        print(f"  alembic/versions/{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
