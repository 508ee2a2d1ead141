"""The isolation guarantees a DBA can audit from the catalog, checked on the migrated schema.

Every check enumerates pg_class / pg_constraint / pg_policies rather than a fixed list of
tables, so a table that a later revision adds without its fence fails here. Each checker
returns a list of problems; a positive control beside each one builds a faulty object in a
rolled-back transaction and proves the checker reports it.
"""
from __future__ import annotations

import psycopg
import pytest

# The fence reads the context through an InitPlan (once per query): see sql/policies.
FENCE_EXPR = "(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))"
COGDB_ROLES = ("cogdb_owner", "cogdb_app", "cogdb_admin", "cogdb_auditor")

# Tables whose tenant fence is the tenant comparison widened on purpose: name -> its USING
# (WITH CHECK stays FENCE_EXPR). memories (revision 0015): own tenant, or a live read grant
# covering the row (docs/trust-model.md, "Sharing between tenants"), with the tenants it may
# read first, as an index condition (readable_tenants).
WIDENED_FENCES = {
    "memories": "((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)"
                "::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS "
                "current_tenant_id)) OR cogdb.grant_covers((( SELECT cogdb.live_grants() AS "
                "live_grants) -> (tenant_id)::text), visibility, id, context_type, tags, "
                "created_at, anonymised_at)))",
    # sharing traversal (revision 0020): other tenants' memory-to-memory relationships;
    # revision 0035: both memories in one primary-key lookup, counted (OFFSET 0, the tenant a
    # filter); revision 0038: the lookup's tenant at or above shared_tenant_floor() (NULL
    # unless the transaction asked: its partitions pruned when the statement starts)
    "relationships": (
        '((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenan'
        'ts)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS '
        "current_tenant_id)) OR ((visibility = 'tenant'::text) AND (from_entity"
        '_id IS NULL) AND (to_entity_id IS NULL) AND (( SELECT count(*) AS count\n'
        '   FROM cogdb.memories m\n'
        '  WHERE ((m.id = ANY (ARRAY[relationships.from_memory_id, relationships.t'
        'o_memory_id])) AND (m.tenant_id >= cogdb.shared_tenant_floor()) AND ((m.tenant_id'
        ' = relationships.tenant_id) IS TRUE))\n'
        ' OFFSET 0) =\n'
        'CASE\n'
        '    WHEN (from_memory_id = to_memory_id) THEN 1\n'
        '    ELSE 2\n'
        'END))))'
    ),
    # sharing entities (revision 0022): entities a grant's entity criteria cover, and the
    # observations of an entity the caller reads in the observation's tenant
    "entities": "((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)"
                "::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS "
                "current_tenant_id)) OR cogdb.entity_grant_covers((( SELECT cogdb.live_grants() "
                "AS live_grants) -> (tenant_id)::text), visibility, id, entity_type)))",
    "entity_observations": (
        "((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) "
        "AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR "
        "(EXISTS ( SELECT\n   FROM cogdb.entities e\n  WHERE ((e.tenant_id = "
        "entity_observations.tenant_id) AND (e.id = entity_observations.entity_id))\n OFFSET 0))))"
    ),
    # a settling source's side vectors of the memories a grant covers (revision 0030)
    "memory_embeddings": (
        "((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) "
        "AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR "
        "(EXISTS ( SELECT\n   FROM cogdb.memories m\n  WHERE ((m.tenant_id = "
        "memory_embeddings.tenant_id) AND (m.id = memory_embeddings.memory_id))\n OFFSET 0))))"
    ),
}

# Tables that have a tenant_id column but are not fenced by the tenant policy.
FENCE_EXEMPT = {
    "identities": "global directory keyed by (auth_provider, external_id), resolved before any "
                  "context exists; only cogdb_owner's definer functions (create_user, "
                  "resolve_identity) touch it, RLS is forced and no other role has any privilege "
                  "on it (test_owner_only_table_is_reachable_only_by_the_owner)",
    "model_migrations": "the state of each tenant's model migration (revision 0019), written "
                        "and read across tenants (list_model_migrations) by cogdb_admin's "
                        "definer functions outside any tenant context; RLS is forced and no "
                        "other role has any privilege on it; the app reads its own tenant's row "
                        "through the migration_target definer",
    "memory_counts": "append-only tenant sizes written by the count_memory_changes definer "
                     "trigger and read by `cogdb maintain` across tenants (FORCE RLS hides "
                     "other tenants' memories from the owner, so sizes cannot be counted later); "
                     "RLS is forced and no other role has any privilege on it",
    "text_index": "hybrid search's full-text index: a GIN index is usable only without an RLS "
                  "condition (@@ is not leakproof), so it is owner-only (policy USING (true) for "
                  "cogdb_owner, no grants), written by the index_text definer triggers and read "
                  "only by the text_candidates definer, which filters the context's tenant and "
                  "visibility itself; hybrid_search joins its ids back through the fenced "
                  "memories and entities",
    "tenant_stats": "append-only per-tenant counters written by the count_tenant_stats definer "
                    "trigger, read by stats()/tenant_stats() for one tenant and compacted by "
                    "`cogdb maintain`; RLS is forced and no other role has any privilege on it",
    "audit_heads": "the head (count, last hash) of each tenant's audit chain, locked FOR UPDATE "
                   "by the audit_append definer (which names the tenant) to serialise a "
                   "tenant's audited commits, and read by audit_verify/audit_seal across "
                   "tenants; RLS is forced and no other role has any privilege on it",
    "audit_pending": "audit records of transactions in flight, written by the "
                     "audit_rows/audit_note definers and moved into the fenced audit_records "
                     "at commit by the audit_flush definer; rows never outlive their "
                     "transaction; RLS is forced and no other role has any privilege on it",
    "text_queue": "ids of memories whose full-text indexing a bulk insert deferred (docs/"
                  "architecture.md, Deferred text indexing), written by the index_text definer "
                  "trigger and emptied across tenants by index_queued_text (`cogdb maintain`); "
                  "RLS is forced and no other role has any privilege on it",
    "memory_accesses": "append-only access log written by the record_access definer (only ids "
                       "the caller can see) and folded into memories by `cogdb maintain`; RLS is "
                       "forced and no other role has any privilege on it",
    "federated_participants": "which tenants take part in which federated session: the "
                              "aggregate definer functions enumerate a session's participants "
                              "across tenants, which a fence would hide from them; RLS is "
                              "forced and no other role has any privilege on it",
}
# Tables without tenant_id that may do without row-level security: global, not tenant data.
GLOBAL_TABLES = {
    "settings": "deployment-wide settings (search.max_k, default_model); no tenant data",
    "embedding_models": "admin-managed registry of embedding models, shared by all tenants",
    "vocabularies": "admin-managed allowed values of enumerated memory fields, shared by all "
                    "tenants",
    "alembic_version": "Alembic's bookkeeping (one revision id)",
}
# Keys of tenant tables that may not lead with tenant_id: constraint name -> reason.
KEY_EXEMPT = {
    "share_grants_grantee_id_fkey": "a grant names the other tenant, the one it shares with; "
                                    "the row stays in the granting tenant's fence",
    "share_receipts_source_tenant_id_fkey": "a grantee's copy names the tenant that granted "
                                            "it; the row stays in the grantee's fence",
    "federated_participants_session_id_fkey": "a federated session spans tenants (it is "
                                              "owner-only and has no tenant_id), so its "
                                              "participants reference it by id alone",
    "identities_pkey": "(auth_provider, external_id) is unique across the whole deployment: "
                       "an identity resolves to its tenant, so it cannot be scoped by one",
}
# Foreign keys to these global registries need no tenant_id (the registry has none).
GLOBAL_REGISTRIES = {"embedding_models"}

# Effective table privileges (including grants to PUBLIC and through role membership) that
# each cogdb role has in schema cogdb. Anything else is a finding.
EXPECTED_TABLE_PRIVILEGES = {
    "cogdb_app": {
        "SELECT": {"memories", "users", "tenants", "embedding_models", "settings",
                   "vocabularies", "sessions", "events", "working_context",
                   "offloaded_contexts", "store_items", "store_vectors", "entities",
                   "entity_observations", "relationships", "relationship_types",
                   # retention (revision 0013): read by memories__retained as the app; set by
                   # cogdb_admin's definer functions only
                   "retention_policies", "retention_holds",
                   # sharing (revision 0015): each side reads its own grants (share_receipts
                   # through live_grants, for the memories fence); cogdb_admin's definers write
                   "share_grants", "share_receipts",
                   # federated insights (revision 0016): the app reads its own budget;
                   # only the federated definer functions change it
                   "privacy_budgets",
                   # model migrations (revision 0019): a memory's second vector; an
                   # entity's (revision 0024)
                   "memory_embeddings", "entity_embeddings"},
        # events: appending is the only write (no UPDATE/DELETE for anyone); sessions and
        # working_context are written by definer functions only (start_session, end_session,
        # set_working_entry, delete_working_entry), which enforce compare-and-set
        # memory_embeddings: written only through remember_embeddings (definer), which
        # takes a second vector only for memories the context user may change
        "INSERT": {"memories", "events", "offloaded_contexts", "store_items", "store_vectors",
                   "entities", "entity_observations", "relationships", "relationship_types"},
        # relationships: UPDATE (superseded_at, superseded_by) only, a column grant
        "UPDATE": {"memories", "store_items", "store_vectors", "entities", "relationships"},
        # entity_observations: DELETE under the SELECT policies (forget_observations)
        "DELETE": {"memories", "store_items", "store_vectors", "entities",
                   "entity_observations"},
    },
    "cogdb_admin": {"SELECT": {"embedding_models", "settings", "vocabularies"}},
    "cogdb_auditor": {},
}
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES",
                    "TRIGGER", "MAINTAIN")
# Functions cogdb_app may execute: the API and the helpers the policies and defaults call.
APP_FUNCTIONS = {
    "allowed_values", "ann_index_name", "context_stamp", "current_tenant_id", "current_user_id",
    "chat_export_sources", "effective_settings", "int_setting", "require_tenant", "resolve_model",
    "forget", "get", "list_memories", "list_models", "list_vocabulary", "memory_filters_sql",
    "metadata_filter_sql", "new_memory_id", "parse_uuid", "remember", "remember_many",
    "resolve_identity", "search", "set_context", "tenant_gate",
    # sessions, events, working context, offloaded contexts (revision 0006)
    "start_session", "end_session", "get_session", "list_sessions", "session_memories",
    "search_sessions", "append_event", "list_events", "event_chain", "get_working_entry",
    "list_working_entries", "set_working_entry", "delete_working_entry", "offload_context",
    "get_offloaded", "search_offloaded",
    # the LangGraph store (sql/functions/store/); store_sweep_all and
    # plan_store_maintenance are the owner's
    "store_ann_index_name", "store_get", "store_list_namespaces", "store_namespace",
    "store_namespace_matches", "store_put", "store_search", "store_sweep",
    # the knowledge layer (revision 0008) and the helpers its invoker functions call
    "builtin_relationship_types", "entity_id_for", "fact_holds", "forget_entity", "get_entity",
    "hybrid_search", "jsonb_merge", "list_relationship_types", "list_relationships",
    "index_pending_text", "merge_entities", "neighbors", "record_access",
    "register_relationship_type", "relate",
    "resolve_node", "stats", "tenant_language", "text_candidates", "text_query",
    "upsert_entity",
    # the MCP knowledge-graph tools' reads and observation removal
    "entity_relations", "forget_observations", "list_entities",
    # the vector rule (revision 0011), called by the invoker functions and memories' trigger
    "check_vector", "vector_usable",
    # retention (revision 0013): the helper memories__retained reads once per query
    "retention_cutoffs", "retention_horizon",
    # sharing (revision 0015): the fence's helpers (live_grants once per query, grant_covers
    # per shared row), the per-tenant search that search() merges, the request flag search
    # and get set, and the shared-read note they leave in the source's audit chain
    "live_grants", "grant_covers", "readable_tenants", "search_tenant", "share_request",
    "note_shared_read",
    # a model migration settling (revision 0027): search_tenant finds the side index by name
    "settle_index_name",
    # sharing entities (revision 0022): the entities fence's per-row grant test, and the text
    # half of hybrid_search(include_shared) in the sharing tenants
    "entity_grant_covers", "shared_text_candidates", "get_shared_entity",
    # hybrid_search(include_shared)'s candidate memories in the tenants of its grants (0036)
    "memories_among_tenants",
    # the keys of relationships' ranked indexes, named by neighbors (revision 0039)
    "node_id", "node_ref",
    # the floor of relationships__tenant_fence's shared lookup, read by partition pruning (0038)
    "shared_tenant_floor",
    # federated insights (revision 0016): definer functions for the app, and the invoker
    # federated_top_topics and privacy_budget
    "open_federated_session", "join_federated_session", "withdraw_federated_session",
    "list_federated_sessions", "federated_counts", "federated_top_topics", "federated_average",
    "privacy_budget",
    # model migrations (revision 0019): the app's second vector while its tenant migrates
    "migration_target", "remember_embeddings", "remember_entity_embeddings",
}


def _one_column(conn: psycopg.Connection, query: str, params=None) -> list:
    return [r[0] for r in conn.execute(query, params).fetchall()]


def _tables(conn: psycopg.Connection) -> dict[str, tuple[bool, bool, bool]]:
    """Every table of schema cogdb but partitions: name -> (has tenant_id, RLS enabled, RLS
    forced)."""
    rows = conn.execute("""
        SELECT c.relname,
               EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid
                          AND a.attname = 'tenant_id' AND NOT a.attisdropped),
               c.relrowsecurity, c.relforcerowsecurity
          FROM pg_class c
         WHERE c.relnamespace = 'cogdb'::regnamespace AND c.relkind IN ('r', 'p')
           AND NOT c.relispartition""").fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def partition_problems(conn: psycopg.Connection) -> list[str]:
    """A partition is read through its parent, whose policies then apply; read directly, its
    own would. So every partition of a cogdb table has RLS enabled, no policy of its own (deny
    all) and no privileges for anyone but the owner. It is not forced: the owner (cogdb
    maintain) moves a tenant's rows between partitions. Its parent must be fenced (rls_problems
    checks the parent)."""
    problems = []
    for name, parent, enabled, grantees, policies in conn.execute("""
            SELECT c.relname, h.inhparent::regclass::text, c.relrowsecurity,
                   ARRAY(SELECT DISTINCT a.grantee::regrole::text
                           FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
                          WHERE a.grantee <> c.relowner ORDER BY 1),
                   ARRAY(SELECT p.polname::text FROM pg_policy p WHERE p.polrelid = c.oid)
              FROM pg_class c JOIN pg_inherits h ON h.inhrelid = c.oid
             WHERE c.relnamespace = 'cogdb'::regnamespace AND c.relispartition
               AND c.relkind IN ('r', 'p')
             ORDER BY 1"""):
        if not enabled:
            problems.append(f"partition cogdb.{name} of {parent} has RLS disabled: read directly, "
                            "it would show every tenant's rows to a role with privileges on it; "
                            f"ALTER TABLE cogdb.{name} ENABLE ROW LEVEL SECURITY")
        if grantees:
            problems.append(f"partition cogdb.{name} of {parent} grants privileges to {grantees}: "
                            "only the owner reads partitions; others go through the parent")
        if policies:
            problems.append(f"partition cogdb.{name} of {parent} has policies {policies}: the one "
                            "fence is the parent's; a partition's own policy would be a second "
                            "rule to audit")
    return problems


# --------------------------------------------------------------------------------------------
# row-level security


def rls_problems(conn: psycopg.Connection) -> list[str]:
    problems = []
    for name, (tenant_column, enabled, forced) in sorted(_tables(conn).items()):
        if not tenant_column and name in GLOBAL_TABLES:
            continue
        if not (enabled and forced):
            what = "a tenant table" if tenant_column else "not a listed global table"
            problems.append(
                f"cogdb.{name} ({what}) has RLS enabled={enabled} forced={forced}: add ALTER "
                f"TABLE cogdb.{name} ENABLE ROW LEVEL SECURITY and FORCE ROW LEVEL SECURITY in "
                f"its revision" + ("" if tenant_column else
                                   ", or list it in GLOBAL_TABLES with the reason it holds no "
                                   "tenant data"))
        if not tenant_column or name in FENCE_EXEMPT:
            continue
        fences = conn.execute("""
            SELECT policyname FROM pg_policies
             WHERE schemaname = 'cogdb' AND tablename = %s AND permissive = 'RESTRICTIVE'
               AND cmd = 'ALL' AND roles = '{public}' AND qual = %s AND with_check = %s""",
                              (name, WIDENED_FENCES.get(name, FENCE_EXPR),
                               FENCE_EXPR)).fetchall()
        if not fences:
            problems.append(
                f"cogdb.{name} has tenant_id but no tenant fence: add sql/policies/"
                f"{name}__tenant_fence.sql with CREATE POLICY {name}__tenant_fence ON "
                f"cogdb.{name} AS RESTRICTIVE FOR ALL TO PUBLIC USING {FENCE_EXPR} WITH CHECK "
                f"{FENCE_EXPR}, applied by a new revision")
    for name in GLOBAL_TABLES:
        if _tables(conn).get(name, (False,))[0]:
            problems.append(f"cogdb.{name} is listed in GLOBAL_TABLES but has a tenant_id "
                            "column: it holds tenant data, so fence it and unlist it")
    return problems


def view_problems(conn: psycopg.Connection) -> list[str]:
    """A view runs with its owner's rights unless security_invoker is set; the owner is
    fenced by FORCE RLS, but a materialized view stores rows outside any policy."""
    problems = []
    for name, kind, options in conn.execute("""
            SELECT relname, relkind, reloptions FROM pg_class
             WHERE relnamespace = 'cogdb'::regnamespace AND relkind IN ('v', 'm')"""):
        if kind == "m":
            problems.append(f"materialized view cogdb.{name} holds rows outside row-level "
                            "security; use a table with a tenant fence instead")
        elif "security_invoker=true" not in (options or []):
            problems.append(f"view cogdb.{name} lacks WITH (security_invoker = true): it would "
                            "read its tables with the owner's rights, not the caller's")
    return problems


def test_every_tenant_table_is_fenced(db):
    tables = _tables(db.super)
    tenant_tables = {n for n, (col, *_) in tables.items() if col}
    assert {"memories", "users", "store_items", "store_vectors"} <= tenant_tables, (
        f"expected memories and users among the tenant tables, found {sorted(tenant_tables)}: "
        "the check below would prove little")
    stale = sorted(set(FENCE_EXEMPT) - tenant_tables)
    assert not stale, f"FENCE_EXEMPT names tables that are gone or have no tenant_id: {stale}"
    problems = rls_problems(db.super) + view_problems(db.super) + partition_problems(db.super)
    assert not problems, "row-level security is incomplete:\n  " + "\n  ".join(problems)


def test_partitions_are_reachable_only_through_their_parent(db):
    partitions = _one_column(db.super, "SELECT relname FROM pg_class WHERE relispartition"
                                       " AND relkind = 'r'"
                                       " AND relnamespace = 'cogdb'::regnamespace")
    assert "memories_default" in partitions
    assert partition_problems(db.super) == []


def test_partition_checker_reports_an_open_partition(db):
    """Positive control for partition_problems()."""
    conn = db.super
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL ROLE cogdb_owner")
        conn.execute("ALTER TABLE cogdb.memories_default DISABLE ROW LEVEL SECURITY")
        conn.execute("GRANT SELECT ON cogdb.memories_default TO cogdb_app")
        conn.execute("CREATE POLICY rogue ON cogdb.memories_default USING (true)")
        problems = partition_problems(conn)
    text = "\n".join(problems)
    for expected in ("has RLS disabled", "grants privileges to ['cogdb_app']", "has policies"):
        assert expected in text, f"partition checker missed {expected!r}:\n{text}"


def test_tenants_registry_has_forced_rls(db):
    assert _tables(db.super)["tenants"][1:] == (True, True), (
        "cogdb.tenants must have ENABLE and FORCE ROW LEVEL SECURITY: a context reads its own "
        "tenant row only (tenants__own_row)")


@pytest.mark.parametrize("table", sorted(FENCE_EXEMPT))
def test_owner_only_table_is_reachable_only_by_the_owner(db, table):
    conn = db.super
    rel = f"cogdb.{table}"
    assert _tables(conn)[table][1:] == (True, True), (
        f"{rel} must have ENABLE and FORCE ROW LEVEL SECURITY")
    grantees = _one_column(conn, f"""
        SELECT DISTINCT a.grantee::regrole::text
          FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
         WHERE c.oid = '{rel}'::regclass AND a.grantee <> c.relowner""")
    columns = _one_column(conn, f"""
        SELECT attname FROM pg_attribute
         WHERE attrelid = '{rel}'::regclass AND attacl IS NOT NULL""")
    assert grantees == [] and columns == [], (
        f"{rel} grants privileges to {grantees} (column grants on {columns}); it is the "
        f"owner's table: REVOKE ALL ON {rel} FROM those roles and reach it through definer "
        "functions only")
    owner = conn.execute("SELECT relowner::regrole::text FROM pg_class"
                         " WHERE oid = %s::regclass", (rel,)).fetchone()[0]
    assert owner == "cogdb_owner"
    roles = ["cogdb_app", "cogdb_admin", "cogdb_auditor", "cogdb_test_app", "cogdb_test_admin"]
    reachable = [(r, p) for r in roles for p in TABLE_PRIVILEGES
                 if conn.execute("SELECT has_table_privilege(%s, %s, %s)",
                                 (r, rel, p)).fetchone()[0]]
    assert not reachable, (
        f"roles with privileges on {rel} (directly, via PUBLIC or membership): "
        f"{reachable}; revoke them")
    policies = conn.execute("SELECT policyname, roles::text[] FROM pg_policies"
                            " WHERE schemaname = 'cogdb' AND tablename = %s", (table,)).fetchall()
    assert policies == [(f"{table}__registry_owner", ["cogdb_owner"])], (
        f"{rel} should have only the owner's policy, found {policies}")


def test_new_table_without_rls_is_reported(db):
    """Positive control: the checker enumerates pg_class, so unknown tables are caught."""
    conn = db.super
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL ROLE cogdb_owner")
        conn.execute("CREATE TABLE cogdb.rogue_tenant_data (tenant_id uuid, x int)")
        conn.execute("CREATE TABLE cogdb.rogue_global (x int)")
        conn.execute("CREATE TABLE cogdb.rogue_half (tenant_id uuid, x int)")
        conn.execute("ALTER TABLE cogdb.rogue_half ENABLE ROW LEVEL SECURITY")
        conn.execute("ALTER TABLE cogdb.rogue_half FORCE ROW LEVEL SECURITY")
        conn.execute("CREATE POLICY rogue_half__loose ON cogdb.rogue_half AS PERMISSIVE"
                     f" FOR ALL TO PUBLIC USING {FENCE_EXPR} WITH CHECK {FENCE_EXPR}")
        conn.execute("CREATE VIEW cogdb.rogue_view AS SELECT id FROM cogdb.memories")
        problems = rls_problems(conn) + view_problems(conn)
    text = "\n".join(problems)
    for name in ("rogue_tenant_data", "rogue_global", "rogue_half", "rogue_view"):
        assert f"cogdb.{name} " in text, f"the RLS checker missed cogdb.{name}:\n{text}"
    assert sum(p.startswith("cogdb.rogue_tenant_data ") for p in problems) == 2, (
        f"cogdb.rogue_tenant_data lacks both RLS and a fence; expected two problems:\n{text}")
    assert "cogdb.memories " not in text and "cogdb.users " not in text


# --------------------------------------------------------------------------------------------
# keys lead with tenant_id


def key_problems(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute("""
        SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid),
               (SELECT attname FROM pg_attribute WHERE attrelid = k.conrelid
                                                   AND attnum = k.conkey[1]),
               f.relname,
               (SELECT attname FROM pg_attribute WHERE attrelid = k.confrelid
                                                   AND attnum = k.confkey[1])
          FROM pg_constraint k
          JOIN pg_class c ON c.oid = k.conrelid
          LEFT JOIN pg_class f ON f.oid = k.confrelid
         WHERE c.relnamespace = 'cogdb'::regnamespace AND k.contype IN ('p', 'u', 'f', 'x')
           AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid
                          AND a.attname = 'tenant_id' AND NOT a.attisdropped)
         ORDER BY 1, 2""").fetchall()
    problems = []
    for table, name, kind, definition, first, target, target_first in rows:
        if name in KEY_EXEMPT:
            continue
        if kind == "f" and target in GLOBAL_REGISTRIES:
            continue
        if first != "tenant_id":
            problems.append(
                f"cogdb.{table}: {name} {definition} does not lead with tenant_id; make it "
                "(tenant_id, …) so keys are unique per tenant and references cannot cross "
                "tenants (or list it in KEY_EXEMPT with a reason)")
        elif kind == "f" and target_first != ("id" if target == "tenants" else "tenant_id"):
            problems.append(
                f"cogdb.{table}: {name} {definition} pairs tenant_id with {target}."
                f"{target_first}; it must reference the target's tenant_id (tenants.id)")
    for table, index in conn.execute("""
            SELECT c.relname, pg_get_indexdef(i.indexrelid)
              FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
             WHERE c.relnamespace = 'cogdb'::regnamespace AND i.indisunique
               AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid)
               AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid
                              AND a.attname = 'tenant_id' AND NOT a.attisdropped)
               AND (i.indkey[0] = 0 OR (SELECT attname FROM pg_attribute WHERE attrelid = c.oid
                                          AND attnum = i.indkey[0]) <> 'tenant_id')"""):
        problems.append(f"cogdb.{table}: unique index does not lead with tenant_id: {index}")
    return problems


def test_keys_of_tenant_tables_lead_with_tenant_id(db):
    names = set(_one_column(db.super, "SELECT conname FROM pg_constraint"
                                      " WHERE connamespace = 'cogdb'::regnamespace"))
    stale = sorted(set(KEY_EXEMPT) - names)
    assert not stale, f"KEY_EXEMPT names constraints that no longer exist: {stale}"
    assert {"memories_pkey", "users_pkey"} <= names
    problems = key_problems(db.super)
    assert not problems, "keys that do not lead with tenant_id:\n  " + "\n  ".join(problems)


def test_key_checker_reports_keys_without_tenant_id(db):
    """Positive control for key_problems()."""
    conn = db.super
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL ROLE cogdb_owner")
        conn.execute("""
            CREATE TABLE cogdb.rogue_keys (
                tenant_id uuid NOT NULL, id uuid NOT NULL, code text, memory text,
                CONSTRAINT rogue_keys_pkey PRIMARY KEY (id),
                CONSTRAINT rogue_keys_code_key UNIQUE (code, tenant_id),
                CONSTRAINT rogue_keys_memory_fkey FOREIGN KEY (memory, tenant_id)
                    REFERENCES cogdb.memories (id, tenant_id),
                CONSTRAINT rogue_keys_good_fkey FOREIGN KEY (tenant_id)
                    REFERENCES cogdb.tenants (id))""")
        conn.execute("CREATE UNIQUE INDEX rogue_keys_code_idx ON cogdb.rogue_keys (code)")
        conn.execute("ALTER TABLE cogdb.rogue_keys ADD CONSTRAINT rogue_keys_swapped_fkey"
                     " FOREIGN KEY (tenant_id, id) REFERENCES cogdb.users (id, tenant_id)")
        problems = key_problems(conn)
    text = "\n".join(problems)
    for bad in ("rogue_keys_pkey", "rogue_keys_code_key", "rogue_keys_memory_fkey",
                "rogue_keys_code_idx", "rogue_keys_swapped_fkey"):
        assert bad in text, f"key checker missed {bad}:\n{text}"
    assert "rogue_keys_good_fkey" not in text and "memories_pkey" not in text


# --------------------------------------------------------------------------------------------
# privileges and roles


def privilege_problems(conn: psycopg.Connection) -> list[str]:
    problems = []
    tables = _one_column(conn, "SELECT relname FROM pg_class WHERE relnamespace ="
                               " 'cogdb'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'f')")
    for role, expected in EXPECTED_TABLE_PRIVILEGES.items():
        for privilege in TABLE_PRIVILEGES:
            have = {t for t in tables if conn.execute(
                "SELECT has_table_privilege(%s, format('cogdb.%%I', %s::text), %s)",
                (role, t, privilege)).fetchone()[0]}
            if privilege in ("SELECT", "INSERT", "UPDATE", "REFERENCES"):
                # column-level grants count too
                have |= {t for t in tables if conn.execute(
                    "SELECT has_any_column_privilege(%s, format('cogdb.%%I', %s::text), %s)",
                    (role, t, privilege)).fetchone()[0]}
            allowed = expected.get(privilege, set())
            if have - allowed:
                problems.append(
                    f"{role} has {privilege} on {sorted(have - allowed)} (not in the expected "
                    f"list {sorted(allowed)}): REVOKE {privilege} ON … FROM {role} in a new "
                    "revision, or extend EXPECTED_TABLE_PRIVILEGES if it is intended")
            if allowed - have:
                problems.append(f"{role} lacks {privilege} on {sorted(allowed - have)} that the "
                                "API needs (or update EXPECTED_TABLE_PRIVILEGES)")
    # Anywhere in the database, not only in cogdb: the app never truncates, references or
    # triggers.
    anywhere = conn.execute("""
        SELECT c.oid::regclass::text, p
          FROM pg_class c, unnest(ARRAY['TRUNCATE', 'REFERENCES', 'TRIGGER', 'MAINTAIN']) p
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
           AND c.relnamespace NOT IN ('pg_catalog'::regnamespace,
                                      'information_schema'::regnamespace)
           AND has_table_privilege('cogdb_app', c.oid, p)""").fetchall()
    if anywhere:
        problems.append(f"cogdb_app has {anywhere}: revoke them")
    for schema in ("cogdb", "public"):
        for role in COGDB_ROLES[1:]:
            if conn.execute("SELECT has_schema_privilege(%s, %s, 'CREATE')",
                            (role, schema)).fetchone()[0]:
                problems.append(f"{role} may CREATE in schema {schema}: REVOKE CREATE ON SCHEMA "
                                f"{schema} FROM {role} (and from PUBLIC)")
    app_functions = set(_one_column(conn, """
        SELECT DISTINCT proname FROM pg_proc
         WHERE pronamespace = 'cogdb'::regnamespace
           AND has_function_privilege('cogdb_app', oid, 'EXECUTE')"""))
    if app_functions - APP_FUNCTIONS:
        problems.append(f"cogdb_app may execute {sorted(app_functions - APP_FUNCTIONS)}, which "
                        "are not API functions: REVOKE EXECUTE … FROM PUBLIC/cogdb_app in the "
                        "function's file (or add them to APP_FUNCTIONS if they are API)")
    if APP_FUNCTIONS - app_functions:
        problems.append(f"cogdb_app cannot execute {sorted(APP_FUNCTIONS - app_functions)}")
    return problems


def test_role_privileges_match_the_explicit_lists(db):
    problems = privilege_problems(db.super)
    assert not problems, "privileges differ from the design:\n  " + "\n  ".join(problems)


def test_privilege_checker_reports_extra_grants(db):
    """Positive control for privilege_problems()."""
    conn = db.super
    with conn.transaction(force_rollback=True):
        conn.execute("GRANT TRUNCATE, REFERENCES ON cogdb.memories TO cogdb_app")
        conn.execute("GRANT UPDATE (settings) ON cogdb.tenants TO cogdb_app")
        conn.execute("GRANT SELECT ON cogdb.memories TO PUBLIC")
        conn.execute("GRANT CREATE ON SCHEMA cogdb TO cogdb_app")
        conn.execute("GRANT EXECUTE ON FUNCTION cogdb.create_tenant(text, text, text, text, text)"
                     " TO PUBLIC")
        problems = privilege_problems(conn)
    text = "\n".join(problems)
    for expected in ("cogdb_app has TRUNCATE on ['memories']",
                     "cogdb_app has REFERENCES on ['memories']",
                     "cogdb_app has UPDATE on ['tenants']",
                     "cogdb_auditor has SELECT on ['memories']",
                     "cogdb_app may CREATE in schema cogdb",
                     "cogdb_app may execute ['create_tenant']"):
        assert expected in text, f"privilege checker missed: {expected}\n{text}"


def test_cogdb_roles_cannot_log_in_or_bypass_rls(db):
    rows = db.super.execute("""
        SELECT rolname, rolcanlogin, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb
          FROM pg_roles WHERE rolname = ANY(%s) ORDER BY 1""", (list(COGDB_ROLES),)).fetchall()
    assert sorted(r[0] for r in rows) == sorted(COGDB_ROLES), f"roles missing: {rows}"
    bad = [r for r in rows if any(r[1:])]
    assert not bad, (
        f"cogdb roles must be NOLOGIN, NOSUPERUSER, NOBYPASSRLS, NOCREATEROLE, NOCREATEDB "
        f"(logins are granted membership instead); found (name, login, super, bypassrls, "
        f"createrole, createdb) = {bad}: ALTER ROLE … NOLOGIN NOSUPERUSER NOBYPASSRLS …")


def test_app_role_is_not_a_member_of_privileged_roles(db):
    rows = db.super.execute("""
        SELECT r.rolname FROM pg_roles r
         WHERE pg_has_role('cogdb_app', r.oid, 'MEMBER') AND r.rolname <> 'cogdb_app'""")
    granted = [r[0] for r in rows]
    assert granted == [], (
        f"cogdb_app is a member of {granted}; it must hold only its own privileges (membership "
        "in cogdb_owner would pass the owner-only policies): REVOKE … FROM cogdb_app")


def test_app_role_owns_nothing(db):
    owned = db.super.execute("""
        SELECT classid::regclass::text, objid, objsubid FROM pg_shdepend
         WHERE refclassid = 'pg_authid'::regclass AND refobjid = 'cogdb_app'::regrole
           AND deptype = 'o'""").fetchall()
    assert owned == [], (
        f"cogdb_app owns objects {owned}: an owner may disable RLS, alter policies and grant "
        "at will; ALTER … OWNER TO cogdb_owner")


def test_every_object_in_schema_cogdb_is_owned_by_cogdb_owner(db):
    """docs/trust-model.md (Roles): cogdb_owner owns every object in schema cogdb."""
    conn = db.super
    owned = conn.execute("""
        SELECT 'schema cogdb', nspowner::regrole::text FROM pg_namespace WHERE nspname = 'cogdb'
        UNION ALL
        SELECT 'relation ' || relname, relowner::regrole::text FROM pg_class
         WHERE relnamespace = 'cogdb'::regnamespace
        UNION ALL
        SELECT 'function ' || oid::regprocedure::text, proowner::regrole::text FROM pg_proc
         WHERE pronamespace = 'cogdb'::regnamespace
        UNION ALL
        SELECT 'type ' || typname, typowner::regrole::text FROM pg_type
         WHERE typnamespace = 'cogdb'::regnamespace""").fetchall()
    others = sorted((what, owner) for what, owner in owned if owner != "cogdb_owner")
    assert not others, (
        f"objects in schema cogdb not owned by cogdb_owner: {others}. Objects owned by the "
        "migrating login depend on that login (DROP ROLE fails, a different admin cannot "
        "migrate, the owner-only policies do not cover it); create them after SET LOCAL ROLE "
        "cogdb_owner, or ALTER … OWNER TO cogdb_owner in a new revision / alembic/env.py")


def test_functions_created_later_are_not_executable_by_public(db):
    """The prelude revokes EXECUTE from PUBLIC in cogdb's default privileges, so a function a
    later revision adds without its own REVOKE is not executable by every role."""
    conn = db.super
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL ROLE cogdb_owner")
        conn.execute("CREATE FUNCTION cogdb.probe_default_acl() RETURNS int"
                     " LANGUAGE sql AS 'SELECT 1'")
        public_exec = conn.execute("""
            SELECT EXISTS (SELECT FROM pg_proc p,
                           aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                            WHERE p.oid = 'cogdb.probe_default_acl()'::regprocedure
                              AND a.grantee = 0 AND a.privilege_type = 'EXECUTE')""").fetchone()[0]
        app_exec = conn.execute("SELECT has_function_privilege('cogdb_app',"
                                " 'cogdb.probe_default_acl()', 'EXECUTE')").fetchone()[0]
    assert not public_exec and not app_exec, (
        "a new function in schema cogdb is executable by PUBLIC (so by cogdb_app) by default. "
        "00_prelude.sql's `ALTER DEFAULT PRIVILEGES FOR ROLE cogdb_owner IN SCHEMA cogdb REVOKE "
        "EXECUTE ON FUNCTIONS FROM PUBLIC` is a no-op: per-schema default privileges are added "
        "to the global ones and cannot revoke what the global default grants. In a new "
        "revision use the global form `ALTER DEFAULT PRIVILEGES FOR ROLE cogdb_owner REVOKE "
        "EXECUTE ON FUNCTIONS FROM PUBLIC` (no IN SCHEMA); until then every function file "
        "must keep its own REVOKE ALL … FROM PUBLIC.")


@pytest.mark.parametrize("policy", ["memories__tenant_fence", "users__tenant_fence"])
def test_fence_checker_reports_a_loosened_fence(db, policy):
    """Positive control: a fence swapped for USING (true), as the policy-mutation run does."""
    conn = db.super
    table = policy.split("__")[0]
    with conn.transaction(force_rollback=True):
        conn.execute(f"ALTER POLICY {policy} ON cogdb.{table} USING (true) WITH CHECK (true)")
        problems = rls_problems(conn)
    assert any(f"cogdb.{table} has tenant_id but no tenant fence" in p for p in problems), (
        f"loosening {policy} went unnoticed: {problems}")
