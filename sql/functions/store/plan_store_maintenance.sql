-- What `cogdb maintain` should do for the LangGraph store's vectors, in the shape of
-- plan_maintenance (model reads 'store:<dims>', memories is the tenant's vector count):
--   drop_invalid  an index left invalid by an interrupted build, dropped first
--   create        a tenant/dimension with at least search.ann_min_rows vectors and no index
--   drop_unneeded an index whose tenant/dimension fell below half of search.ann_min_rows
-- Sizes are counted here, tenant by tenant in each tenant's context (FORCE RLS fences the
-- owner too), from the primary key. Owner-only, like plan_maintenance.
CREATE OR REPLACE FUNCTION cogdb.plan_store_maintenance()
    RETURNS TABLE (step integer, action text, index_name text, tenant_id uuid, model text,
                   memories bigint, statement text)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid;
    v_saved text[];
    v_sizes jsonb := '[]';
    v_min bigint := cogdb.int_setting('search.ann_min_rows');
BEGIN
    FOR v_tenant IN SELECT t.id FROM cogdb.tenants t ORDER BY t.id LOOP
        v_saved := cogdb.enter_tenant(v_tenant);
        v_sizes := v_sizes || coalesce(
            (SELECT jsonb_agg(jsonb_build_object('tenant', v_tenant, 'dims', c.dims, 'n', c.n))
               FROM (SELECT v.dims, count(*) AS n FROM cogdb.store_vectors v
                      WHERE v.tenant_id = v_tenant GROUP BY v.dims) c), '[]');
        PERFORM cogdb.restore_context(v_saved);
    END LOOP;
    RETURN QUERY
    WITH sizes AS (
        SELECT (e ->> 'tenant')::uuid AS tenant_id, (e ->> 'dims')::integer AS dims,
               (e ->> 'n')::bigint AS n,
               cogdb.store_ann_index_name((e ->> 'tenant')::uuid, (e ->> 'dims')::integer) AS name
          FROM jsonb_array_elements(v_sizes) e
    ), indexes AS (
        SELECT ic.relname::text AS name, i.indisvalid AS valid
          FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
         WHERE i.indrelid = 'cogdb.store_vectors'::regclass
           AND ic.relname LIKE 'store\_vectors\_ann\_%'
    ), actions AS (
        SELECT 1 AS rank, 'drop_invalid' AS action, x.name, s.tenant_id, s.dims, s.n
          FROM indexes x LEFT JOIN sizes s ON s.name = x.name
         WHERE NOT x.valid
        UNION ALL
        SELECT 2, 'create', s.name, s.tenant_id, s.dims, s.n
          FROM sizes s
         WHERE s.n >= v_min AND NOT EXISTS (SELECT FROM indexes x WHERE x.name = s.name AND x.valid)
        UNION ALL
        SELECT 3, 'drop_unneeded', x.name, s.tenant_id, s.dims, coalesce(s.n, 0)
          FROM indexes x LEFT JOIN sizes s ON s.name = x.name
         WHERE x.valid AND coalesce(s.n, 0) < v_min / 2
    )
    SELECT (row_number() OVER (ORDER BY a.rank, a.n DESC NULLS LAST, a.name))::integer,
           a.action, a.name, a.tenant_id, 'store:' || a.dims, a.n,
           CASE WHEN a.action = 'create' THEN
               format('CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON cogdb.store_vectors'
                      ' USING hnsw ((embedding::public.vector(%s)) public.vector_cosine_ops)'
                      ' WITH (m = %s, ef_construction = %s)'
                      ' WHERE tenant_id = %L::uuid AND dims = %s',
                      a.name, a.dims, cogdb.int_setting('search.hnsw_m'),
                      cogdb.int_setting('search.hnsw_ef_construction'), a.tenant_id, a.dims)
           ELSE format('DROP INDEX CONCURRENTLY IF EXISTS cogdb.%I', a.name) END
      FROM actions a;
END
$$;

REVOKE ALL ON FUNCTION cogdb.plan_store_maintenance() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.plan_store_maintenance() IS
    'The steps cogdb maintain runs for store vectors: drop invalid ANN indexes, create those large tenants need, drop those no longer needed.';
