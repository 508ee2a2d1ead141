-- The planner's estimate of how many memories a tenant holds in each partition of
-- cogdb.memories, written as the column statistics of tenant_id in each partition
-- (pg_restore_attribute_stats): a number of distinct values and nothing else, no value and no
-- frequency, so nothing in it is any tenant's. A tenant is taken to hold
-- search.ann_min_rows rows (what a tenant of memories_default holds at most, or `cogdb
-- maintain` would promote it), but never more than a tenth of the partition: a tenth of
-- the rows per tenant while a partition holds fewer than 10 * search.ann_min_rows, then one
-- tenant per search.ann_min_rows rows (a fraction of the rows, so it follows the table as
-- it grows; in a large memories_default, 1 in 200 rows per tenant is PostgreSQL's own default).
-- Why (docs/trust-model.md "What a walk reads"): tenant_id has no statistics (they would
-- show other tenants' sizes in EXPLAIN), so the planner took 1 in 200 rows for a tenant and
-- multiplied that by every other condition on tenant_id (the fence's, the caller's): in a
-- small partition a probe by primary key (tenant_id, id) and a read of the whole tenant by
-- a smaller index leading with tenant_id then cost the same (one row), and the planner took
-- the smaller index. The tenth is the other bound: at one tenant per partition (the exact
-- figure for a promoted tenant) a query naming a promoted tenant from another tenant's
-- context was planned as a sequential scan of that partition, with the fence a filter whose
-- removed rows EXPLAIN ANALYZE counts. Not closed: a query that names no tenant (the fence
-- alone, whose array the planner takes for ten tenants) may read a small promoted partition
-- (under about 1,000 rows: a lowered search.ann_min_rows, or a tenant that shrank) by a
-- sequential scan and count its rows, which pg_class.reltuples and pg_stat_user_tables show
-- to every login anyway (docs/trust-model.md, known limits).
-- ANALYZE keeps these: the column's statistics target is 0, so it never computes its own.
-- cogdb maintain sets them on every run (a promotion adds a partition, a partition grows, a
-- dump and restore or a new search.ann_min_rows changes them); returns how many partitions
-- it changed.
CREATE OR REPLACE FUNCTION cogdb.set_tenant_estimates() RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_per_tenant integer := greatest(cogdb.int_setting('search.ann_min_rows'), 1);
    v_set integer := 0;
    r record;
BEGIN
    FOR r IN SELECT c.relname::text AS relname, e.n_distinct,
                    s.n_distinct IS NOT DISTINCT FROM e.n_distinct
                    AND s.most_common_vals IS NULL AND s.histogram_bounds IS NULL
                    AND s.correlation IS NULL AS unchanged
               FROM pg_inherits i
               JOIN pg_class c ON c.oid = i.inhrelid
               -- n_distinct < 0: a fraction of the rows (distinct values = -n_distinct * rows)
               CROSS JOIN LATERAL (SELECT CASE WHEN c.reltuples >= 10.0 * v_per_tenant
                                               THEN (-1.0 / v_per_tenant)::real
                                               ELSE 10::real END AS n_distinct) e
               LEFT JOIN pg_stats s ON s.schemaname = 'cogdb' AND s.tablename = c.relname
                                   AND s.attname = 'tenant_id' AND NOT s.inherited
              WHERE i.inhparent = 'cogdb.memories'::regclass
              ORDER BY c.relname
    LOOP
        -- Unchanged: not written again (a write takes the partition's SHARE UPDATE EXCLUSIVE
        -- lock and makes every session plan its cached statements on memories again).
        CONTINUE WHEN r.unchanged;
        -- Cleared first: a restore only sets the fields it is given, and statistics an
        -- ANALYZE computed (a target set by hand) would keep the tenant as a common value.
        PERFORM pg_clear_attribute_stats('cogdb', r.relname, 'tenant_id', false);
        PERFORM pg_restore_attribute_stats(
            'schemaname', 'cogdb', 'relname', r.relname, 'attname', 'tenant_id',
            'inherited', false, 'null_frac', 0::real, 'avg_width', 16,
            'n_distinct', r.n_distinct);
        v_set := v_set + 1;
    END LOOP;
    RETURN v_set;
END
$$;

REVOKE ALL ON FUNCTION cogdb.set_tenant_estimates() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.set_tenant_estimates() IS
    'Sets the planner''s estimate of a tenant''s memories in each partition of memories (a number of distinct tenant_id values, no values): search.ann_min_rows rows per tenant, at most a tenth of the partition.';
