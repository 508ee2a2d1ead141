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
--                 hysteresis keeps a tenant near the threshold from flapping), except the
--                 new model's index of a model migration in progress (revision 0027)
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
           -- the new model's index of a migration in progress, built before its rows arrive
           -- (settle_index_steps): search reads it while the migration settles
           AND x.name NOT IN (SELECT cogdb.ann_index_name(g.tenant_id, g.to_model)
                                FROM cogdb.model_migrations g
                               WHERE g.phase IN ('embedding', 'indexed', 'settling'))
    )
    SELECT (row_number() OVER (ORDER BY a.rank, a.n DESC NULLS LAST, a.name))::integer,
           a.action, a.name, a.tenant_id, a.model, a.n,
           CASE a.action
           WHEN 'create' THEN cogdb.ann_index_statement(a.tenant_id, a.model, true)
           WHEN 'promote' THEN
               format('SELECT cogdb.move_to_partition(%L::uuid)', a.tenant_id)
           ELSE format('DROP INDEX CONCURRENTLY IF EXISTS cogdb.%I', a.name) END
      FROM actions a LEFT JOIN wanted w ON w.name = a.name
$$;

REVOKE ALL ON FUNCTION cogdb.plan_maintenance() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.plan_maintenance() IS
    'The steps cogdb maintain runs, in order: drop invalid ANN indexes, promote large tenants into partitions of their own, build the indexes they need, drop those no longer needed.';
