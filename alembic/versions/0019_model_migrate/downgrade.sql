-- cogdb revision 0019 (model_migrate): downgrade, written by `python -m tools.freeze 0019` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

REVOKE ALL ON FUNCTION cogdb.policy_report_allowlist() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.policy_report_allowlist() IS NULL;
-- sql/functions/governance/policy_report_allowlist.sql as frozen in revision 0016
-- The tables of schema cogdb that the DBA report (policy_report) exempts, with the reason.
-- exempt = 'rls': a global registry without tenant data and without row-level security;
-- exempt = 'fence': row security enabled and forced, but no tenant fence (the table is not
-- per-tenant, or it is owner-only: RLS forced, one policy for cogdb_owner, no grants, read
-- only through definer functions that filter the tenant themselves; see docs/trust-model.md).
-- A table added later is on neither list, so the report flags it until it is fenced.
CREATE OR REPLACE FUNCTION cogdb.policy_report_allowlist()
    RETURNS TABLE (table_name text, exempt text, reason text)
    LANGUAGE sql IMMUTABLE SECURITY INVOKER
AS $$
    VALUES
      ('settings', 'rls', 'deployment-wide settings (search.max_k, default_model); no tenant data'),
      ('embedding_models', 'rls', 'admin-managed registry of embedding models, shared by all tenants'),
      ('vocabularies', 'rls', 'admin-managed allowed values of enumerated memory fields, shared by all tenants'),
      ('alembic_version', 'rls', 'Alembic''s bookkeeping (one revision id)'),
      ('tenants', 'fence', 'the tenant registry: each row is a tenant, the app reads its own row only (tenants__own_row); provisioning is definer'),
      ('identities', 'fence', 'owner-only: the global directory of logins (auth_provider, external_id), resolved before any context exists'),
      ('memory_counts', 'fence', 'owner-only: append-only tenant sizes that cogdb maintain reads across tenants'),
      ('text_index', 'fence', 'owner-only: the full-text index (a GIN index is unusable under an RLS condition); text_candidates filters the tenant itself'),
      ('tenant_stats', 'fence', 'owner-only: append-only per-tenant counters, read for one tenant by stats()/tenant_stats()'),
      ('memory_accesses', 'fence', 'owner-only: append-only access log folded into memories by cogdb maintain'),
      ('audit_heads', 'fence', 'owner-only: each tenant''s audit chain head, locked and advanced by audit_append, which names the tenant'),
      ('audit_pending', 'fence', 'owner-only: audit records of transactions in flight, chained at their commit by audit_flush'),
      ('federated_sessions', 'fence', 'owner-only: a federated session spans tenants; read and written by the federated definer functions, which never return the opening tenant''s id to another'),
      ('federated_participants', 'fence', 'owner-only: which tenants take part in which federated session, enumerated across tenants by the aggregate definer functions; a tenant reads its own participation through list_federated_sessions')
$$;

REVOKE ALL ON FUNCTION cogdb.policy_report_allowlist() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.policy_report_allowlist() TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.policy_report_allowlist() IS
    'The tables of schema cogdb that the DBA report exempts from row security (rls) or from the tenant fence (fence), with the reason.';

REVOKE ALL ON FUNCTION cogdb.plan_maintenance() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.plan_maintenance() IS NULL;
-- sql/functions/search/plan_maintenance.sql as frozen in revision 0009
-- What `cogdb maintain` should do, in order. Each row is one step; `statement` is the
-- statement it runs on an owner connection in autocommit (CREATE/DROP INDEX CONCURRENTLY
-- cannot run inside a function), or, for a promotion, the function that does the move.
--   drop_invalid  an ANN index left invalid by an interrupted build: dropped first, since its
--                 name blocks the rebuild
--   promote       a tenant with a model of at least search.ann_min_rows memories and no
--                 partition of its own: its rows move from memories_default into
--                 memories_p_<hash> (prepare_partition, fence_default_partition,
--                 move_to_partition; see cogdb/ops/maintain.py). A promotion that was
--                 interrupted (its fence is still on memories_default) is finished. Tenants
--                 are never demoted: a partition costs only its relations.
--   drop_legacy   an ANN index of revision 0005 on memories_default (a partial index over
--                 the whole table) whose tenant has, or gets, a partition
--   create        a tenant/model with at least search.ann_min_rows memories and no index:
--                 an HNSW index on the tenant's partition, over full-precision vectors
--                 (halfvec is 43% smaller, but on a 165k-row tenant it missed some queries
--                 entirely where full precision did not: bench/RESULTS.md)
--   drop_unneeded an index whose tenant/model fell below half of search.ann_min_rows (the
--                 hysteresis keeps a tenant near the threshold from flapping)
-- Sizes come from cogdb.memory_counts (compact it first with compact_memory_counts()).
CREATE OR REPLACE FUNCTION cogdb.plan_maintenance()
    RETURNS TABLE (step integer, action text, index_name text, tenant_id uuid, model text,
                   memories bigint, statement text)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH sizes AS (
        SELECT c.tenant_id, c.model, sum(c.delta)::bigint AS n
          FROM cogdb.memory_counts c GROUP BY 1, 2
    ), partitions AS (
        SELECT c.relname::text AS name FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
         WHERE h.inhparent = 'cogdb.memories'::regclass
    ), fences AS (      -- promotions left unfinished
        SELECT k.conname::text AS name FROM pg_constraint k
         WHERE k.conrelid = 'cogdb.memories_default'::regclass
           AND k.conname LIKE 'memories\_default\_not\_%'
    ), indexes AS (
        SELECT ic.relname::text AS name, i.indisvalid AS valid,
               i.indrelid = 'cogdb.memories_default'::regclass AS legacy
          FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
          JOIN pg_inherits h ON h.inhrelid = i.indrelid
         WHERE h.inhparent = 'cogdb.memories'::regclass AND ic.relname LIKE 'memories\_ann\_%'
    ), wanted AS (
        SELECT s.tenant_id, s.model, s.n, cogdb.ann_index_name(s.tenant_id, s.model) AS name,
               cogdb.partition_name(s.tenant_id) AS part, m.dimensions,
               s.n >= cogdb.int_setting('search.ann_min_rows') AS large
          FROM sizes s JOIN cogdb.embedding_models m ON m.name = s.model
    ), tenants AS (
        SELECT w.tenant_id, w.part, sum(w.n)::bigint AS n, bool_or(w.large) AS large,
               EXISTS (SELECT FROM partitions p WHERE p.name = w.part) AS promoted,
               EXISTS (SELECT FROM fences f WHERE f.name = 'memories_default_not_'
                                                    || left(md5(w.tenant_id::text), 16)) AS fenced
          FROM wanted w GROUP BY 1, 2
    ), actions AS (
        SELECT 1 AS rank, 'drop_invalid' AS action, x.name, w.tenant_id, w.model, w.n
          FROM indexes x LEFT JOIN wanted w ON w.name = x.name
         WHERE NOT x.valid
        UNION ALL
        SELECT 2, 'promote', t.part, t.tenant_id, NULL, t.n
          FROM tenants t WHERE NOT t.promoted AND (t.large OR t.fenced)
        UNION ALL
        SELECT 3, 'drop_legacy', x.name, w.tenant_id, w.model, coalesce(w.n, 0)
          FROM indexes x LEFT JOIN wanted w ON w.name = x.name
          LEFT JOIN tenants t ON t.tenant_id = w.tenant_id
         WHERE x.valid AND x.legacy
           AND (t.promoted OR t.large OR t.fenced OR coalesce(w.n, 0) < cogdb.int_setting('search.ann_min_rows') / 2)
        UNION ALL
        SELECT 4, 'create', w.name, w.tenant_id, w.model, w.n
          FROM wanted w
         WHERE w.large
           AND NOT EXISTS (SELECT FROM indexes x WHERE x.name = w.name AND x.valid AND NOT x.legacy)
        UNION ALL
        SELECT 5, 'drop_unneeded', x.name, w.tenant_id, w.model, coalesce(w.n, 0)
          FROM indexes x LEFT JOIN wanted w ON w.name = x.name
         WHERE x.valid AND NOT x.legacy
           AND coalesce(w.n, 0) < cogdb.int_setting('search.ann_min_rows') / 2
    )
    SELECT (row_number() OVER (ORDER BY a.rank, a.n DESC NULLS LAST, a.name))::integer,
           a.action, a.name, a.tenant_id, a.model, a.n,
           CASE a.action
           WHEN 'create' THEN
               format('CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON cogdb.%I'
                      ' USING hnsw ((embedding::public.vector(%s)) public.vector_cosine_ops)'
                      ' WITH (m = %s, ef_construction = %s) WHERE model = %L',
                      a.name, w.part, w.dimensions, cogdb.int_setting('search.hnsw_m'),
                      cogdb.int_setting('search.hnsw_ef_construction'), a.model)
           WHEN 'promote' THEN
               format('SELECT cogdb.move_to_partition(%L::uuid)', a.tenant_id)
           ELSE format('DROP INDEX CONCURRENTLY IF EXISTS cogdb.%I', a.name) END
      FROM actions a LEFT JOIN wanted w ON w.name = a.name
$$;

REVOKE ALL ON FUNCTION cogdb.plan_maintenance() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.plan_maintenance() IS
    'The steps cogdb maintain runs, in order: drop invalid ANN indexes, promote large tenants into partitions of their own, build the indexes they need, drop those no longer needed.';

REVOKE ALL ON FUNCTION cogdb.anonymise_memories(uuid, text[]) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.anonymise_memories(uuid, text[]) IS NULL;
-- sql/functions/gdpr/anonymise_memories.sql as frozen in revision 0017
-- Anonymises memories of a tenant by id and returns how many: keeps the row (id, owner,
-- visibility, type, source, times, session, counts) and sets human_content '',
-- assistant_content '[anonymised]', summary, conversation_id and cluster_label NULL, tags [],
-- metadata {}, the embedding a fixed unit vector (the text could be approximated from it)
-- and anonymised_at now(); an offloaded context's full text becomes '[anonymised]' too. The
-- one definition of "anonymise a memory" (docs/conventions.md rule 3): retention's anonymise
-- action (cogdb.purge_retention), cogdb.anonymise_user and cogdb.erase_user call it. Runs
-- in the caller's context, whose user must own the memories (memories__owner_updates) or
-- they must be ownerless; names the tenant as a constant (planned per call).
CREATE OR REPLACE FUNCTION cogdb.anonymise_memories(tenant uuid, ids text[]) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_n integer;
BEGIN
    UPDATE cogdb.memories m
       SET human_content = '', assistant_content = '[anonymised]', summary = NULL,
           conversation_id = NULL, cluster_label = NULL, tags = '[]', metadata = '{}',
           embedding = ('[1' || repeat(',0', public.vector_dims(m.embedding) - 1)
                        || ']')::public.vector,
           anonymised_at = now()
     WHERE m.tenant_id = tenant AND m.id = ANY (ids);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    UPDATE cogdb.offloaded_contexts o
       SET content = '[anonymised]'
     WHERE o.tenant_id = tenant AND o.memory_id = ANY (ids) AND o.content <> '[anonymised]';
    RETURN v_n;
END
$$;

REVOKE ALL ON FUNCTION cogdb.anonymise_memories(uuid, text[]) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.anonymise_memories(uuid, text[]) IS
    'Anonymises memories by id (content, summary, tags, metadata and embedding removed, anonymised_at set; offloaded text too): the one rule retention and the GDPR functions share.';

-- sql/functions/models/list_model_migrations.sql: new in this revision
DROP FUNCTION cogdb.list_model_migrations(text);

-- sql/functions/models/cleanup_model_embeddings.sql: new in this revision
DROP FUNCTION cogdb.cleanup_model_embeddings(text, text, integer);

-- sql/functions/models/cut_over_model_migration.sql: new in this revision
DROP FUNCTION cogdb.cut_over_model_migration(text, text);

-- sql/functions/models/model_migration_indexed.sql: new in this revision
DROP FUNCTION cogdb.model_migration_indexed(text, text);

-- sql/functions/models/store_model_vectors.sql: new in this revision
DROP FUNCTION cogdb.store_model_vectors(text, text, text[], public.vector[], text);

-- sql/functions/models/model_migration_batch.sql: new in this revision
DROP FUNCTION cogdb.model_migration_batch(text, text, text, integer);

-- sql/functions/models/start_model_migration.sql: new in this revision
DROP FUNCTION cogdb.start_model_migration(text, text);

-- sql/functions/models/remember_embeddings.sql: new in this revision
DROP FUNCTION cogdb.remember_embeddings(text[], text, public.vector[]);

-- sql/functions/models/check_model_vectors.sql: new in this revision
DROP FUNCTION cogdb.check_model_vectors(text[], text, public.vector[], text);

-- sql/functions/models/migration_index_missing.sql: new in this revision
DROP FUNCTION cogdb.migration_index_missing(uuid, text, text);

-- sql/functions/models/migration_target.sql: new in this revision
DROP FUNCTION cogdb.migration_target();

-- sql/functions/models/migration_in_progress.sql: new in this revision
DROP FUNCTION cogdb.migration_in_progress(uuid, text);

-- sql/functions/models/memories_partition.sql: new in this revision
DROP FUNCTION cogdb.memories_partition(uuid);

-- sql/functions/search/ann_index_statement.sql: new in this revision
DROP FUNCTION cogdb.ann_index_statement(uuid, text, boolean);

-- sql/policies/memory_embeddings__migration.sql: new in this revision
DROP POLICY memory_embeddings__migration ON cogdb.memory_embeddings;

-- sql/policies/memory_embeddings__visible_memory.sql: new in this revision
DROP POLICY memory_embeddings__visible_memory ON cogdb.memory_embeddings;

-- sql/policies/memory_embeddings__tenant_fence.sql: new in this revision
DROP POLICY memory_embeddings__tenant_fence ON cogdb.memory_embeddings;

-- sql/policies/model_migrations__registry_owner.sql: new in this revision
DROP POLICY model_migrations__registry_owner ON cogdb.model_migrations;

-- sql/tables/memory_embeddings.sql: new in this revision
DROP TABLE cogdb.memory_embeddings;

-- sql/tables/model_migrations.sql: new in this revision
DROP TABLE cogdb.model_migrations;

RESET ROLE;
