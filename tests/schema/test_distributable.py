"""The schema is distributable by tenant (docs/scale-out.md), proved from the catalog and from
cogdb.distribution_plan(): the plan places every table once; the reference tables are exactly
the global registries listed here; every key of a distributed table includes tenant_id; every
foreign key between distributed tables pairs tenant_id with tenant_id (co-located); a
reference table references a distributed one only where the plan drops the key; every policy
of a distributed table calls only the context helpers and reads another distributed table
only for one tenant (the row's, or the context's). A rogue table breaking each rule is
reported (positive control), so a new table that breaks one fails here."""
from __future__ import annotations

import json
import re

import psycopg
from helpers import cli

#: The global registries, which the plan makes reference tables, and why each is global.
REFERENCE_TABLES = {
    "embedding_models": "models are shared by every tenant",
    "settings": "deployment-wide defaults",
    "vocabularies": "the allowed values of enumerated fields, for every tenant",
    "tenants": "the registry of tenants itself (its key is the tenant id)",
    "identities": "an identity resolves to its tenant, so its key cannot include one",
    "federated_sessions": "a federated session spans tenants (docs/federated.md); its "
                          "participants, distributed by tenant, reference it",
    # Tenant tables that a policy of a distributed table reads through the functions it
    # calls: a shard's policy runs on a worker, which cannot query other shards from there.
    "retention_policies": "memories__retained reads them (retention_cutoffs, "
                          "retention_horizon), also for a source tenant through live_grants",
    "share_receipts": "the memories fence reads the grantee's receipts (live_grants)",
}
#: Reference tables that have a tenant_id: they are policy inputs (above), not registries.
POLICY_INPUTS = {"retention_policies", "share_receipts"}
#: What a policy of a distributed table may call: the context helpers (docs/trust-model.md).
POLICY_FUNCTIONS = {"current_tenant_id", "current_user_id", "context_stamp", "fact_holds",
                    # read the context tenant's retention policies and holds: on a cluster
                    # those two small tables must be reference tables (docs/scale-out.md)
                    "retention_cutoffs", "retention_horizon",
                    # sharing (revision 0015): grant_covers reads only its arguments;
                    # live_grants reads the grantee's share_receipts and each source tenant's
                    # retention horizon, once per query: on a cluster it must run on the
                    # coordinator or read reference copies (docs/scale-out.md, work left);
                    # readable_tenants is the context tenant plus live_grants' keys
                    "grant_covers", "live_grants", "readable_tenants",
                    # sharing entities (revision 0022): reads only its arguments too
                    "entity_grant_covers",
                    # the floor of the relationships fence's shared lookup (revision 0038):
                    # reads only the transaction's settings
                    "shared_tenant_floor"}


def _plan(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute("SELECT step, table_name, placement, statement"
                        " FROM cogdb.distribution_plan() ORDER BY step").fetchall()


def distribution_problems(conn: psycopg.Connection) -> list[str]:
    plan = _plan(conn)
    placement = {t.removeprefix("cogdb."): p for _, t, p, s in plan
                 if t and s and not s.startswith("ALTER")}
    dropped = {re.search(r"DROP CONSTRAINT (\S+)", s).group(1)
               for _, _, _, s in plan if s and s.startswith("ALTER")}
    distributed = {t for t, p in placement.items() if p == "distributed"}
    problems = [f"cogdb.{t} would be a reference table but is not a known global registry "
                "(give it tenant_id, or list it in REFERENCE_TABLES with why it is global; a "
                "tenant table becomes one when a policy reads it through a function)"
                for t, p in placement.items() if p == "reference" and t not in REFERENCE_TABLES]
    # Every table of the schema is placed once by the plan (a cycle of foreign keys is not).
    placed = [t.removeprefix("cogdb.") for _, t, p, s in plan
              if t and (p == "coordinator" or (s and not s.startswith("ALTER")))]
    for (table,) in conn.execute(
            "SELECT relname::text FROM pg_class WHERE relnamespace = 'cogdb'::regnamespace"
            " AND relkind IN ('r', 'p') AND NOT relispartition ORDER BY 1"):
        if placed.count(table) != 1:
            problems.append(f"cogdb.{table} is outside the plan (placed {placed.count(table)} "
                            "times): break its cycle of foreign keys")
    for table, name, kind, cols, target, target_cols in conn.execute("""
            SELECT c.relname, k.conname, k.contype::text,
                   ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
                           JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n
                          ORDER BY u.i),
                   t.relname::text,
                   ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
                           JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n
                          ORDER BY u.i)
              FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
              LEFT JOIN pg_class t ON t.oid = k.confrelid
             WHERE c.relnamespace = 'cogdb'::regnamespace AND NOT c.relispartition
               AND k.contype IN ('p', 'u', 'x', 'f') AND k.conparentid = 0"""):
        if kind != "f" and table in distributed and "tenant_id" not in cols:
            problems.append(f"cogdb.{table}: key {name} ({', '.join(cols)}) lacks tenant_id")
        elif kind == "f" and table in distributed and target in distributed:
            if ("tenant_id", "tenant_id") not in zip(cols, target_cols, strict=True):
                problems.append(f"cogdb.{table}: foreign key {name} to {target} does not pair "
                                "tenant_id with tenant_id (not co-located)")
        elif (kind == "f" and placement.get(table) == "reference" and target in distributed
              and name not in dropped):
            problems.append(f"cogdb.{table}: reference table's key {name} to {target}")
    for table, index in conn.execute("""
            SELECT c.relname, i.indexrelid::regclass::text FROM pg_index i
              JOIN pg_class c ON c.oid = i.indrelid
             WHERE c.relnamespace = 'cogdb'::regnamespace AND i.indisunique
               AND NOT c.relispartition
               AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid)
               AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid
                                  AND a.attname = 'tenant_id' AND a.attnum = ANY (i.indkey))"""):
        if table in distributed:
            problems.append(f"cogdb.{table}: unique index {index} lacks tenant_id")
    for table, policy, expr, functions, reads in conn.execute("""
            SELECT c.relname, p.polname,
                   coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' '
                   || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''),
                   ARRAY(SELECT DISTINCT f.proname::text FROM pg_depend d
                           JOIN pg_proc f ON f.oid = d.refobjid
                          WHERE d.classid = 'pg_policy'::regclass AND d.objid = p.oid
                            AND d.refclassid = 'pg_proc'::regclass),
                   ARRAY(SELECT DISTINCT r.relname::text FROM pg_depend d
                           JOIN pg_class r ON r.oid = d.refobjid
                          WHERE d.classid = 'pg_policy'::regclass AND d.objid = p.oid
                            AND d.refclassid = 'pg_class'::regclass AND r.oid <> p.polrelid)
              FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
             WHERE c.relnamespace = 'cogdb'::regnamespace"""):
        if table not in distributed:
            continue
        for f in sorted(set(functions) - POLICY_FUNCTIONS):
            problems.append(f"policy {policy} on cogdb.{table} calls cogdb.{f}, not a context "
                            "helper: on a cluster it may read another shard")
        if set(reads) & distributed:
            correlated = len(re.findall(
                rf"\b\w+\.tenant_id = ({table}\.tenant_id\b"
                r"|\( SELECT cogdb\.current_tenant_id\(\)|cogdb\.current_tenant_id\(\))", expr))
            if correlated < len(re.findall(r"\bFROM cogdb\.", expr)):  # each sub-select
                problems.append(f"policy {policy} on cogdb.{table} reads "
                                f"{', '.join(sorted(set(reads) & distributed))} without naming "
                                f"the row's tenant_id in every sub-select")
    return problems


def test_the_plan_places_every_table_once(db):
    plan = _plan(db.super)
    tables = {r[0] for r in db.super.execute(
        "SELECT oid::regclass::text FROM pg_class WHERE relnamespace = 'cogdb'::regnamespace"
        " AND relkind IN ('r', 'p') AND NOT relispartition")}
    placed = [t for _, t, p, s in plan if t and (p == "coordinator" or
                                                 (s and not s.startswith("ALTER")))]
    assert sorted(placed) == sorted(tables)
    assert [s for *_, s in plan if s and "cycle" in s] == []
    steps = {t: i for i, (_, t, _, s) in enumerate(plan) if s and "create_" in s}
    # a table comes after every table it references
    dropped = {s.rsplit(" ", 1)[1] for *_, s in plan if s and s.startswith("ALTER")}
    for name, table, target in db.super.execute("""
            SELECT conname, conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint
             WHERE contype = 'f' AND connamespace = 'cogdb'::regnamespace AND conparentid = 0
               AND conrelid <> confrelid"""):
        if table in steps and target in steps and name not in dropped:
            assert steps[target] < steps[table], f"{target} must be placed before {table}"
    first = next(s for *_, s in plan if s and "create_distributed_table" in s)
    assert first == "SELECT create_distributed_table('cogdb.users', 'tenant_id')"
    assert all("colocate_with => 'cogdb.users'" in s for *_, s in plan
               if s and "create_distributed_table" in s and s != first)


def test_the_schema_is_distributable_by_tenant(db):
    placement = {t: p for _, t, p, s in _plan(db.super) if t}
    assert {t.removeprefix("cogdb.") for t, p in placement.items() if p == "reference"} \
        == set(REFERENCE_TABLES)
    notes = {t.removeprefix("cogdb."): n for t, n in db.super.execute(
        "SELECT table_name, note FROM cogdb.distribution_plan()"
        " WHERE statement LIKE 'SELECT create_reference_table%'")}
    assert {t for t, n in notes.items() if n.startswith("Read by the policies")} \
        == POLICY_INPUTS
    assert placement["cogdb.memories"] == placement["cogdb.relationships"] == "distributed"
    problems = distribution_problems(db.super)
    assert not problems, "the schema is not distributable by tenant:\n  " + "\n  ".join(problems)


def test_a_table_breaking_each_rule_is_reported(db):
    """Positive control for distribution_problems()."""
    conn = db.super
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL ROLE cogdb_owner")
        conn.execute("CREATE TABLE cogdb.rogue_global (code text PRIMARY KEY)")
        conn.execute("""
            CREATE TABLE cogdb.rogue_items (
                tenant_id uuid NOT NULL, id text NOT NULL, owner uuid, memory_id text,
                CONSTRAINT rogue_items_pkey PRIMARY KEY (tenant_id, id),
                CONSTRAINT rogue_items_owner_fkey FOREIGN KEY (owner, tenant_id)
                    REFERENCES cogdb.users (tenant_id, id))""")
        conn.execute("CREATE UNIQUE INDEX rogue_items_memory_idx ON cogdb.rogue_items (memory_id)")
        conn.execute("ALTER TABLE cogdb.rogue_items ENABLE ROW LEVEL SECURITY")
        conn.execute("""CREATE POLICY rogue_items__reads_by_id ON cogdb.rogue_items
            USING (EXISTS (SELECT FROM cogdb.memories m WHERE m.id = rogue_items.memory_id))""")
        conn.execute("""CREATE POLICY rogue_items__calls ON cogdb.rogue_items
            USING (cogdb.partition_name(tenant_id) IS NOT NULL)""")
        conn.execute("""CREATE POLICY rogue_items__good ON cogdb.rogue_items
            USING (EXISTS (SELECT FROM cogdb.memories m WHERE m.tenant_id = rogue_items.tenant_id
                                                          AND m.id = rogue_items.memory_id))""")
        problems = "\n".join(distribution_problems(conn))
    for bad in ("cogdb.rogue_global would be a reference table", "rogue_items_owner_fkey",
                "rogue_items_memory_idx", "rogue_items__reads_by_id", "rogue_items__calls"):
        assert bad in problems, f"missed {bad}:\n{problems}"
    assert "rogue_items_pkey" not in problems and "rogue_items__good" not in problems


def test_a_table_a_policy_reads_or_outside_the_plan_is_reported(db):
    """Positive control: a tenant table that a policy reads through a function becomes a
    reference table in the plan, and is reported until it is listed with its reason; two
    tables in a cycle of foreign keys are left outside the plan, and reported."""
    conn = db.super
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL ROLE cogdb_owner")
        conn.execute("CREATE TABLE cogdb.rogue_limits (tenant_id uuid NOT NULL, n int,"
                     " PRIMARY KEY (tenant_id))")
        conn.execute("""CREATE FUNCTION cogdb.rogue_limit() RETURNS int LANGUAGE sql STABLE
            AS $$ SELECT n FROM cogdb.rogue_limits
                   WHERE tenant_id = cogdb.current_tenant_id() $$""")
        conn.execute("""CREATE POLICY rogue_limit ON cogdb.memories AS RESTRICTIVE
            USING (cogdb.rogue_limit() IS NULL)""")
        conn.execute("CREATE TABLE cogdb.rogue_a (tenant_id uuid NOT NULL, id int,"
                     " b int, PRIMARY KEY (tenant_id, id))")
        conn.execute("CREATE TABLE cogdb.rogue_b (tenant_id uuid NOT NULL, id int,"
                     " a int, PRIMARY KEY (tenant_id, id),"
                     " FOREIGN KEY (tenant_id, a) REFERENCES cogdb.rogue_a)")
        conn.execute("ALTER TABLE cogdb.rogue_a ADD FOREIGN KEY (tenant_id, b)"
                     " REFERENCES cogdb.rogue_b")
        placement = {t: p for _, t, p, s in _plan(conn) if t}
        problems = "\n".join(distribution_problems(conn))
    assert placement["cogdb.rogue_limits"] == "reference"
    for bad in ("cogdb.rogue_limits would be a reference table", "calls cogdb.rogue_limit",
                "cogdb.rogue_a is outside the plan", "cogdb.rogue_b is outside the plan"):
        assert bad in problems, f"missed {bad}:\n{problems}"


def test_scale_out_plan_cli(db):
    as_sql = cli(db, "scale-out", "plan", "--sql")
    assert as_sql.exit_code == 0, as_sql.output
    assert "SELECT create_distributed_table('cogdb.memories', 'tenant_id', colocate_with =>" \
        " 'cogdb.users');" in as_sql.stdout
    assert "SELECT create_reference_table('cogdb.tenants');" in as_sql.stdout
    as_json = cli(db, "scale-out", "plan", "--json")
    steps = json.loads(as_json.stdout)
    assert steps[0]["statement"] == "CREATE EXTENSION IF NOT EXISTS citus"
    assert {s["placement"] for s in steps[1:]} == {"reference", "distributed", "coordinator"}
    # the app login reads no plan: the function is the admin's and the auditor's
    refused = cli(db, "scale-out", "plan", admin_url=db.app_url)
    assert refused.exit_code == 1 and "permission denied" in refused.stderr
