-- No planner statistics on tenant_id in the tables the app login may EXPLAIN: their most
-- common values gave any login another tenant's row count (a tenant of 2,400 rows estimated
-- at 2,264, a random uuid at 6). SET STATISTICS 0 stops ANALYZE from gathering them (on a
-- partitioned table it recurses to the partitions, and prepare_partition copies the target to
-- new ones); what ANALYZE had already gathered is cleared. Cost measured by `python -m bench
-- stats` (bench/RESULTS.md, Reliability).
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.relname FROM pg_class c
              WHERE c.relnamespace = 'cogdb'::regnamespace AND c.relkind IN ('r', 'p')
                AND (c.relname IN ('entities', 'entity_observations', 'events', 'memories', 'offloaded_contexts', 'relationship_types', 'relationships', 'sessions', 'store_items', 'store_vectors', 'users', 'working_context') OR c.relname LIKE 'memories\_%')
                AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid
                               AND a.attname = 'tenant_id' AND NOT a.attisdropped)
              ORDER BY c.relname
    LOOP
        EXECUTE format('ALTER TABLE cogdb.%I ALTER COLUMN tenant_id SET STATISTICS 0', r.relname);
        PERFORM pg_catalog.pg_clear_attribute_stats('cogdb', r.relname, 'tenant_id', inh)
           FROM unnest(ARRAY[false, true]) AS inh;
    END LOOP;
END
$$;
