"""sql/tables/ holds today's definition of every table, one file each, so that a DBA reads
cogdb.memories in one place instead of across revisions. This checks the files against what
`upgrade head` built: each file is run into a scratch schema (in a rolled-back transaction)
and the catalog facts of both tables are compared: columns, constraints, indexes, triggers,
options, row security, owner, grants and comment (docs/conventions.md rule 7)."""
from __future__ import annotations

import re
from graphlib import TopologicalSorter
from pathlib import Path

import psycopg
import pytest

REPO = Path(__file__).resolve().parents[2]
TABLE_FILES = {p.stem: p for p in sorted((REPO / "sql" / "tables").glob("*.sql"))}
SCRATCH = "cogdb_drift"
# Indexes that `cogdb maintain` creates per tenant at run time, not the schema's own.
RUNTIME_INDEXES = r"memories\_ann\_%%"
# Partitions that `cogdb maintain` creates per promoted tenant (memories_p_<hash>).
RUNTIME_PARTITIONS = r"memories\_p\_%%"
# Partitions a table file defines (CREATE TABLE cogdb.x PARTITION OF cogdb.<table> …): they
# are part of their parent's facts, not tables with files of their own.
PARTITION_OF = re.compile(r"CREATE\s+TABLE\s+cogdb\.(\w+)\s+PARTITION\s+OF\s+cogdb\.(\w+)", re.I)

FACTS = {
    "table": """
        SELECT c.relkind::text, c.reloptions::text, c.relrowsecurity, c.relforcerowsecurity,
               c.relowner::regrole::text,
               ARRAY(SELECT a::text FROM unnest(c.relacl) a ORDER BY 1)::text,
               obj_description(c.oid, 'pg_class')
          FROM pg_class c WHERE c.oid = %(table)s::regclass""",
    "columns": """
        SELECT a.attnum, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attstorage::text, a.attstattarget,
               a.attcollation::regcollation::text
          FROM pg_attribute a
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = %(table)s::regclass AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY 1""",
    "constraints": """
        SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint
         WHERE conrelid = %(table)s::regclass ORDER BY 1""",
    "indexes": f"""
        SELECT c.relname::text, pg_get_indexdef(i.indexrelid)
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE i.indrelid = %(table)s::regclass AND c.relname NOT LIKE '{RUNTIME_INDEXES}'
         ORDER BY 1""",
    "triggers": """
        SELECT tgname::text, pg_get_triggerdef(oid) FROM pg_trigger
         WHERE tgrelid = %(table)s::regclass AND NOT tgisinternal ORDER BY 1""",
    "partitions": f"""
        SELECT c.relname::text, pg_get_expr(c.relpartbound, c.oid), c.reloptions::text,
               c.relrowsecurity, c.relforcerowsecurity, c.relowner::regrole::text,
               ARRAY(SELECT a::text FROM unnest(c.relacl) a ORDER BY 1)::text,
               obj_description(c.oid, 'pg_class'),
               ARRAY(SELECT p.polname::text FROM pg_policy p WHERE p.polrelid = c.oid)::text
          FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
         WHERE h.inhparent = %(table)s::regclass AND c.relname NOT LIKE '{RUNTIME_PARTITIONS}'
         ORDER BY 1""",
}


def _facts(conn: psycopg.Connection, schema: str, table: str) -> dict[str, list[tuple]]:
    def norm(value: object) -> object:
        return value.replace(f"{SCRATCH}.", "cogdb.") if isinstance(value, str) else value

    return {key: [tuple(norm(v) for v in row)
                  for row in conn.execute(query, {"table": f"{schema}.{table}"})]
            for key, query in FACTS.items()}


def _ordered(files: dict[str, str]) -> list[str]:
    """Table names in an order that creates referenced tables first."""
    graph = {name: set(re.findall(r"REFERENCES\s+cogdb\.(\w+)", text)) & set(files) - {name}
             for name, text in files.items()}
    return list(TopologicalSorter(graph).static_order())


def _scratch_facts(conn: psycopg.Connection, files: dict[str, str]) -> dict[str, dict]:
    """Run the table files into schema cogdb_drift (rolled back) and read their facts."""
    partitions = [m.group(1) for text in files.values() for m in PARTITION_OF.finditer(text)]
    names = "|".join([*files, *partitions])
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL search_path = pg_catalog")
        conn.execute(f"CREATE SCHEMA {SCRATCH} AUTHORIZATION cogdb_owner")
        conn.execute("SET LOCAL ROLE cogdb_owner")
        for name in _ordered(files):
            text = re.sub(rf"\bcogdb\.({names})\b", rf"{SCRATCH}.\1", files[name])
            conn.execute(text.encode())
        conn.execute("RESET ROLE")
        return {name: _facts(conn, SCRATCH, name) for name in files}


def _explain(name: str, head: dict, scratch: dict) -> str:
    lines = []
    for key in head:
        for row in sorted(set(head[key]) - set(scratch[key]), key=repr):
            lines.append(f"  {name} {key}: upgrade head has {row!r}")
        for row in sorted(set(scratch[key]) - set(head[key]), key=repr):
            lines.append(f"  {name} {key}: sql/tables/{name}.sql has {row!r}")
    return "\n".join(lines)


def test_every_table_has_its_file(db):
    tables = {r[0] for r in db.super.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = 'cogdb'::regnamespace"
        " AND relkind IN ('r', 'p') AND relname <> 'alembic_version' AND NOT relispartition")}
    assert tables, "no tables in schema cogdb: nothing checked"
    assert sorted(tables - set(TABLE_FILES)) == [], (
        "tables without a file sql/tables/<table>.sql holding today's definition")
    assert sorted(set(TABLE_FILES) - tables) == [], (
        "sql/tables/ has files for tables that upgrade head does not create")


def test_table_files_match_upgrade_head(db):
    files = {name: path.read_text(encoding="utf-8") for name, path in TABLE_FILES.items()}
    scratch = _scratch_facts(db.super, files)
    with db.super.transaction():
        db.super.execute("SET LOCAL search_path = pg_catalog")
        head = {name: _facts(db.super, "cogdb", name) for name in files}
    drift = "\n".join(text for name in files
                      if (text := _explain(name, head[name], scratch[name])))
    assert not drift, (
        "sql/tables/ drifted from what `alembic upgrade head` builds. When a revision changes "
        "a table (a step with ALTER TABLE …), change its file in sql/tables/ to match:\n"
        + drift)


@pytest.mark.parametrize(("table", "old", "new", "expected"), [
    ("memories", "CHECK (sequence_index >= 0)", "CHECK (sequence_index >= 1)",
     "memories constraints"),
    ("users", "ALTER TABLE cogdb.users FORCE ROW LEVEL SECURITY;", "",
     "users table"),
    ("memory_counts", "CREATE INDEX memory_counts_tenant_model_idx ON cogdb.memory_counts"
     " (tenant_id, model);", "", "memory_counts indexes"),
    ("tenants", "GRANT SELECT ON cogdb.tenants TO cogdb_app;", "", "tenants table"),
])
def test_drift_check_catches_an_edited_table_file(db, table, old, new, expected):
    """Positive control: an edit of a table file is reported."""
    files = {name: path.read_text(encoding="utf-8") for name, path in TABLE_FILES.items()}
    assert old in files[table], f"sql/tables/{table}.sql no longer contains {old!r}"
    files[table] = files[table].replace(old, new)
    scratch = _scratch_facts(db.super, files)
    with db.super.transaction():
        db.super.execute("SET LOCAL search_path = pg_catalog")
        head = _facts(db.super, "cogdb", table)
    assert expected in _explain(table, head, scratch[table])
