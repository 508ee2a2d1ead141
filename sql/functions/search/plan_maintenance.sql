-- What `cogdb maintain` should do, in order: each row is one statement to run on an owner
-- connection in autocommit (CREATE/DROP INDEX CONCURRENTLY cannot run inside a function).
--   drop_invalid  an ANN index left invalid by an interrupted build: dropped first, since its
--                 name blocks the rebuild
--   create        a tenant/model with at least search.ann_min_rows memories and no index
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
    ), indexes AS (
        SELECT ic.relname::text AS name, i.indisvalid AS valid
          FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
         WHERE i.indrelid = 'cogdb.memories'::regclass AND ic.relname LIKE 'memories\_ann\_%'
    ), wanted AS (
        SELECT s.tenant_id, s.model, s.n, cogdb.ann_index_name(s.tenant_id, s.model) AS name,
               m.dimensions
          FROM sizes s JOIN cogdb.embedding_models m ON m.name = s.model
    ), actions AS (
        SELECT 1 AS rank, 'drop_invalid' AS action, x.name, w.tenant_id, w.model, w.n
          FROM indexes x LEFT JOIN wanted w ON w.name = x.name
         WHERE NOT x.valid
        UNION ALL
        SELECT 2, 'create', w.name, w.tenant_id, w.model, w.n
          FROM wanted w
         WHERE w.n >= cogdb.int_setting('search.ann_min_rows')
           AND NOT EXISTS (SELECT FROM indexes x WHERE x.name = w.name AND x.valid)
        UNION ALL
        SELECT 3, 'drop_unneeded', x.name, w.tenant_id, w.model, coalesce(w.n, 0)
          FROM indexes x LEFT JOIN wanted w ON w.name = x.name
         WHERE x.valid AND coalesce(w.n, 0) < cogdb.int_setting('search.ann_min_rows') / 2
    )
    SELECT (row_number() OVER (ORDER BY a.rank, a.n DESC NULLS LAST, a.name))::integer,
           a.action, a.name, a.tenant_id, a.model, a.n,
           CASE WHEN a.action = 'create' THEN
               format('CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON cogdb.memories'
                      ' USING hnsw ((embedding::public.vector(%s)) public.vector_cosine_ops)'
                      ' WITH (m = %s, ef_construction = %s)'
                      ' WHERE tenant_id = %L::uuid AND model = %L',
                      a.name, w.dimensions, cogdb.int_setting('search.hnsw_m'),
                      cogdb.int_setting('search.hnsw_ef_construction'), a.tenant_id, a.model)
           ELSE format('DROP INDEX CONCURRENTLY IF EXISTS cogdb.%I', a.name) END
      FROM actions a LEFT JOIN wanted w ON w.name = a.name
$$;

REVOKE ALL ON FUNCTION cogdb.plan_maintenance() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.plan_maintenance() IS
    'The steps cogdb maintain runs, in order: drop invalid ANN indexes, create those large tenants need, drop those no longer needed.';
