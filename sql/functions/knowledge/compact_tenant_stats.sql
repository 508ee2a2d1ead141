-- Folds the deltas in cogdb.tenant_stats into one row per (tenant, metric), keeping the
-- latest change time, and returns how many delta rows it removed. Deltas written meanwhile
-- are not in this statement's snapshot and stay. Run by `cogdb maintain` as the owner.
CREATE OR REPLACE FUNCTION cogdb.compact_tenant_stats() RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH removed AS (
        DELETE FROM cogdb.tenant_stats RETURNING tenant_id, metric, delta, bytes, changed_at
    ), folded AS (
        INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes, changed_at)
        SELECT r.tenant_id, r.metric, sum(r.delta), sum(r.bytes), max(r.changed_at)
          FROM removed r GROUP BY 1, 2
        RETURNING 1
    )
    SELECT count(*) FROM removed
$$;

REVOKE ALL ON FUNCTION cogdb.compact_tenant_stats() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.compact_tenant_stats() IS
    'Folds the deltas in tenant_stats into one row per tenant and metric (cogdb maintain, as the owner).';
