-- One tenant's statistics as a JSON document, summed from the deltas in cogdb.tenant_stats
-- (never counted from the data): memories in total and by context type, source and
-- visibility; entities, observations, relationship records and how many of them are
-- superseded; accesses folded so far; the estimated bytes of row data (memories, entities,
-- observations, relationships; indexes and page overhead not included); and the last
-- activity (the latest write, or access). Counts are tenant-wide: other users' private
-- memories are counted, never shown. Owner-only: stats() and tenant_stats() call it.
CREATE OR REPLACE FUNCTION cogdb.stats_document(tenant_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH m AS (
        SELECT s.metric, sum(s.delta) AS n, sum(s.bytes) AS bytes, max(s.changed_at) AS at
          FROM cogdb.tenant_stats s WHERE s.tenant_id = stats_document.tenant_id
         GROUP BY s.metric
    ), by_prefix AS (
        SELECT p.prefix, coalesce(jsonb_object_agg(substr(m.metric, length(p.prefix) + 1), m.n
                                                   ORDER BY m.metric)
                                  FILTER (WHERE m.metric IS NOT NULL AND m.n <> 0), '{}') AS counts
          FROM (VALUES ('memories.context_type.'), ('memories.source.'),
                       ('memories.visibility.')) AS p(prefix)
          LEFT JOIN m ON starts_with(m.metric, p.prefix)
         GROUP BY p.prefix
    )
    SELECT jsonb_build_object(
        'tenant_id', stats_document.tenant_id,
        'memories', jsonb_build_object(
            'total', coalesce((SELECT m.n FROM m WHERE m.metric = 'memories'), 0),
            'by_context_type', (SELECT b.counts FROM by_prefix b WHERE b.prefix = 'memories.context_type.'),
            'by_source', (SELECT b.counts FROM by_prefix b WHERE b.prefix = 'memories.source.'),
            'by_visibility', (SELECT b.counts FROM by_prefix b WHERE b.prefix = 'memories.visibility.'),
            'accesses', coalesce((SELECT m.n FROM m WHERE m.metric = 'memories.accesses'), 0)),
        'entities', coalesce((SELECT m.n FROM m WHERE m.metric = 'entities'), 0),
        'observations', coalesce((SELECT m.n FROM m WHERE m.metric = 'entity_observations'), 0),
        'relationships', jsonb_build_object(
            'records', coalesce((SELECT m.n FROM m WHERE m.metric = 'relationships'), 0),
            'superseded', coalesce((SELECT m.n FROM m WHERE m.metric = 'relationships.superseded'), 0)),
        'bytes', coalesce((SELECT sum(m.bytes) FROM m), 0),
        'last_activity', greatest((SELECT max(m.at) FROM m),
                                  (SELECT max(a.accessed_at) FROM cogdb.memory_accesses a
                                    WHERE a.tenant_id = stats_document.tenant_id)))
$$;

REVOKE ALL ON FUNCTION cogdb.stats_document(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.stats_document(uuid) IS
    'One tenant''s statistics as JSON, summed from the deltas in tenant_stats; owner-only (stats and tenant_stats call it).';
