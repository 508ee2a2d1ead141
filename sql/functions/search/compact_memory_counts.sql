-- Folds the deltas in cogdb.memory_counts into one row per (tenant, model) and returns how
-- many delta rows it removed. Deltas written meanwhile are not in this statement's snapshot
-- and stay, so nothing is lost. Run by `cogdb maintain` as the owner.
CREATE OR REPLACE FUNCTION cogdb.compact_memory_counts() RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH removed AS (
        DELETE FROM cogdb.memory_counts RETURNING tenant_id, model, delta
    ), folded AS (
        INSERT INTO cogdb.memory_counts (tenant_id, model, delta)
        SELECT r.tenant_id, r.model, sum(r.delta) FROM removed r
         GROUP BY 1, 2 HAVING sum(r.delta) <> 0
        RETURNING 1
    )
    SELECT count(*) FROM removed
$$;

REVOKE ALL ON FUNCTION cogdb.compact_memory_counts() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.compact_memory_counts() IS
    'Folds the deltas in cogdb.memory_counts into one row per (tenant, model) and returns how many delta rows it removed.';
