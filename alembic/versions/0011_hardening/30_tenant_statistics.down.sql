-- Statistics on tenant_id again (gathered by the next ANALYZE).
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
        EXECUTE format('ALTER TABLE cogdb.%I ALTER COLUMN tenant_id SET STATISTICS -1', r.relname);
    END LOOP;
END
$$;
