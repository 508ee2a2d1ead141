-- The context tenant's statistics (see stats_document): counts by context type, source and
-- visibility, entities, relationships, bytes and last activity, summed from the deltas the
-- write triggers keep; nothing is counted at read time. NULL without a context. Definer over
-- the owner-only tenant_stats, for the context's tenant only.
CREATE OR REPLACE FUNCTION cogdb.stats() RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN t.id IS NOT NULL THEN cogdb.stats_document(t.id) END
      FROM (SELECT cogdb.current_tenant_id() AS id) t
$$;

REVOKE ALL ON FUNCTION cogdb.stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.stats() TO cogdb_app;
COMMENT ON FUNCTION cogdb.stats() IS
    'The context tenant''s statistics (memories by context type, source and visibility, entities, relationships, bytes, last activity), from counters kept by triggers.';
