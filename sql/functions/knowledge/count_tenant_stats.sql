-- Statement trigger on memories, entities, entity_observations and relationships: records
-- what each write added or removed, per tenant and metric, as append-only deltas in the
-- owner-only cogdb.tenant_stats (no hot counter row, so writers never wait on each other),
-- with the bytes of row data (pg_column_size of the row, plus 28 for its header and line
-- pointer). cogdb.stats() sums them instead of counting rows. Definer: the app has no
-- privilege on tenant_stats. A tenant's deletion cascades here after the tenant row is gone:
-- nothing is recorded for it.
CREATE OR REPLACE FUNCTION cogdb.count_tenant_stats() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- One static statement per table kind and event (an INSERT trigger has only new_rows,
    -- a DELETE trigger only old_rows): +1 for the rows a statement wrote, -1 for those it
    -- replaced or deleted.
    IF TG_TABLE_NAME = 'memories' THEN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)
              FROM (SELECT n.tenant_id, n.context_type, n.source, n.visibility,
                           pg_column_size(n.*)::bigint + 28 AS size, 1 AS sign FROM new_rows n) c
             CROSS JOIN LATERAL (VALUES ('memories', 1, c.size), ('memories.context_type.' || c.context_type, 1, 0),
                                    ('memories.source.' || c.source, 1, 0),
                                    ('memories.visibility.' || c.visibility, 1, 0)) AS x(metric, counts, bytes)
             WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)
             GROUP BY 1, 2
            HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0;
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)
              FROM (SELECT o.tenant_id, o.context_type, o.source, o.visibility,
                           pg_column_size(o.*)::bigint + 28 AS size, -1 AS sign FROM old_rows o) c
             CROSS JOIN LATERAL (VALUES ('memories', 1, c.size), ('memories.context_type.' || c.context_type, 1, 0),
                                    ('memories.source.' || c.source, 1, 0),
                                    ('memories.visibility.' || c.visibility, 1, 0)) AS x(metric, counts, bytes)
             WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)
             GROUP BY 1, 2
            HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0;
        ELSE
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)
              FROM (SELECT n.tenant_id, n.context_type, n.source, n.visibility,
                           pg_column_size(n.*)::bigint + 28 AS size, 1 AS sign FROM new_rows n
                        UNION ALL
                        SELECT o.tenant_id, o.context_type, o.source, o.visibility,
                           pg_column_size(o.*)::bigint + 28 AS size, -1 AS sign FROM old_rows o) c
             CROSS JOIN LATERAL (VALUES ('memories', 1, c.size), ('memories.context_type.' || c.context_type, 1, 0),
                                    ('memories.source.' || c.source, 1, 0),
                                    ('memories.visibility.' || c.visibility, 1, 0)) AS x(metric, counts, bytes)
             WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)
             GROUP BY 1, 2
            HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0;
        END IF;
    ELSIF TG_TABLE_NAME = 'relationships' THEN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)
              FROM (SELECT n.tenant_id, n.superseded_at IS NOT NULL AS superseded,
                           pg_column_size(n.*)::bigint + 28 AS size, 1 AS sign FROM new_rows n) c
             CROSS JOIN LATERAL (VALUES ('relationships', 1, c.size),
                                    ('relationships.superseded', c.superseded::integer, 0)) AS x(metric, counts, bytes)
             WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)
             GROUP BY 1, 2
            HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0;
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)
              FROM (SELECT o.tenant_id, o.superseded_at IS NOT NULL AS superseded,
                           pg_column_size(o.*)::bigint + 28 AS size, -1 AS sign FROM old_rows o) c
             CROSS JOIN LATERAL (VALUES ('relationships', 1, c.size),
                                    ('relationships.superseded', c.superseded::integer, 0)) AS x(metric, counts, bytes)
             WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)
             GROUP BY 1, 2
            HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0;
        ELSE
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)
              FROM (SELECT n.tenant_id, n.superseded_at IS NOT NULL AS superseded,
                           pg_column_size(n.*)::bigint + 28 AS size, 1 AS sign FROM new_rows n
                        UNION ALL
                        SELECT o.tenant_id, o.superseded_at IS NOT NULL AS superseded,
                           pg_column_size(o.*)::bigint + 28 AS size, -1 AS sign FROM old_rows o) c
             CROSS JOIN LATERAL (VALUES ('relationships', 1, c.size),
                                    ('relationships.superseded', c.superseded::integer, 0)) AS x(metric, counts, bytes)
             WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)
             GROUP BY 1, 2
            HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0;
        END IF;
    ELSE  -- entities, entity_observations: a count and bytes
        IF TG_OP = 'INSERT' THEN
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)
              FROM (SELECT n.tenant_id,
                           pg_column_size(n.*)::bigint + 28 AS size, 1 AS sign FROM new_rows n) c
             CROSS JOIN LATERAL (VALUES (TG_TABLE_NAME::text, 1, c.size)) AS x(metric, counts, bytes)
             WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)
             GROUP BY 1, 2
            HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0;
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)
              FROM (SELECT o.tenant_id,
                           pg_column_size(o.*)::bigint + 28 AS size, -1 AS sign FROM old_rows o) c
             CROSS JOIN LATERAL (VALUES (TG_TABLE_NAME::text, 1, c.size)) AS x(metric, counts, bytes)
             WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)
             GROUP BY 1, 2
            HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0;
        ELSE
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)
              FROM (SELECT n.tenant_id,
                           pg_column_size(n.*)::bigint + 28 AS size, 1 AS sign FROM new_rows n
                        UNION ALL
                        SELECT o.tenant_id,
                           pg_column_size(o.*)::bigint + 28 AS size, -1 AS sign FROM old_rows o) c
             CROSS JOIN LATERAL (VALUES (TG_TABLE_NAME::text, 1, c.size)) AS x(metric, counts, bytes)
             WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)
             GROUP BY 1, 2
            HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION cogdb.count_tenant_stats() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.count_tenant_stats() IS
    'Statement trigger on memories, entities, entity_observations and relationships: records each write''s count and byte deltas per tenant, for cogdb.stats().';
