-- Statement trigger on memories: records how many rows each (tenant, model) gained or lost,
-- as append-only deltas in cogdb.memory_counts (no hot counter row, so concurrent writers of
-- one tenant never wait on each other). FORCE RLS hides other tenants' rows even from the
-- owner, so this is how `cogdb maintain` learns tenant sizes. Definer: the app has no
-- privilege on memory_counts.
CREATE OR REPLACE FUNCTION cogdb.count_memory_changes() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO cogdb.memory_counts (tenant_id, model, delta)
        SELECT n.tenant_id, n.model, count(*) FROM new_rows n GROUP BY 1, 2;
    ELSIF TG_OP = 'DELETE' THEN
        -- A tenant's deletion cascades here after the tenant row (and, by its own foreign
        -- key, its counts) are gone: nothing left to count for it.
        INSERT INTO cogdb.memory_counts (tenant_id, model, delta)
        SELECT o.tenant_id, o.model, -count(*) FROM old_rows o
         WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = o.tenant_id)
         GROUP BY 1, 2;
    ELSE  -- UPDATE: only a changed model moves rows between counts
        INSERT INTO cogdb.memory_counts (tenant_id, model, delta)
        SELECT c.tenant_id, c.model, sum(c.delta)
          FROM (SELECT n.tenant_id, n.model, 1 AS delta FROM new_rows n
                UNION ALL
                SELECT o.tenant_id, o.model, -1 FROM old_rows o) c
         GROUP BY 1, 2 HAVING sum(c.delta) <> 0;
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION cogdb.count_memory_changes() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.count_memory_changes() IS
    'Statement trigger on memories: records how many memories each write added or removed per tenant and model, for cogdb maintain.';
