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
DECLARE
    -- The columns each table's metrics read, then each row with its sign: +1 for the rows a
    -- statement wrote, -1 for those it replaced or deleted (an INSERT trigger has only
    -- new_rows, a DELETE trigger only old_rows, hence the text).
    v_columns constant text := CASE TG_TABLE_NAME
        WHEN 'memories' THEN '%1$s.context_type, %1$s.source, %1$s.visibility'
        WHEN 'relationships' THEN '%1$s.superseded_at IS NOT NULL AS superseded'
        ELSE 'NULL AS unused' END;
    v_rows text;
    v_metrics constant text := CASE TG_TABLE_NAME
        WHEN 'memories' THEN
            '(VALUES (''memories'', 1, c.size), (''memories.context_type.'' || c.context_type, 1, 0),'
            ' (''memories.source.'' || c.source, 1, 0), (''memories.visibility.'' || c.visibility, 1, 0))'
        WHEN 'relationships' THEN
            '(VALUES (''relationships'', 1, c.size), (''relationships.superseded'', c.superseded::integer, 0))'
        ELSE format('(VALUES (%L, 1, c.size))', TG_TABLE_NAME) END;
BEGIN
    v_rows := concat_ws(' UNION ALL ',
        CASE WHEN TG_OP <> 'DELETE' THEN
            format('SELECT n.tenant_id, ' || v_columns || ', pg_column_size(n.*)::bigint + 28 AS size,'
                   ' 1 AS sign FROM new_rows n', 'n') END,
        CASE WHEN TG_OP <> 'INSERT' THEN
            format('SELECT o.tenant_id, ' || v_columns || ', pg_column_size(o.*)::bigint + 28 AS size, -1 AS sign'
                   ' FROM old_rows o', 'o') END);
    EXECUTE format(
        'INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)'
        ' SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)'
        '   FROM (%s) c CROSS JOIN LATERAL %s AS x(metric, counts, bytes)'
        '  WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)'
        '  GROUP BY 1, 2'
        ' HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0',
        v_rows, v_metrics);
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION cogdb.count_tenant_stats() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.count_tenant_stats() IS
    'Statement trigger on memories, entities, entity_observations and relationships: records each write''s count and byte deltas per tenant, for cogdb.stats().';
