-- Whether one of `grants` (live_grants()'s list for the row's tenant; NULL: none) covers a
-- memory: tenant-visible (a private memory is never shared), and inside every criterion the
-- grant names (context type; any of its tags, a list's strings or an object's keys; its id).
-- The per-row half of memories__tenant_fence's sharing branch: no table is read, only the
-- value the InitPlan computed once; rows of the context's own tenant never reach it.
CREATE OR REPLACE FUNCTION cogdb.grant_covers(grants jsonb, visibility text, id text,
                                              context_type text, tags jsonb)
    RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT grants IS NOT NULL AND visibility = 'tenant'
       AND EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(grants) AS g(v)
                    WHERE (NOT g.v ? 'c' OR g.v -> 'c' ? context_type)
                      AND (NOT g.v ? 'i' OR g.v -> 'i' ? id)
                      AND (NOT g.v ? 'g'
                           OR tags ?| ARRAY(SELECT pg_catalog.jsonb_array_elements_text(g.v -> 'g'))))
$$;

REVOKE ALL ON FUNCTION cogdb.grant_covers(jsonb, text, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.grant_covers(jsonb, text, text, text, jsonb) TO cogdb_app;
COMMENT ON FUNCTION cogdb.grant_covers(jsonb, text, text, text, jsonb) IS
    'Whether one of these live grants covers a memory (tenant-visible, and inside each criterion the grant names); the per-row test of memories__tenant_fence.';
