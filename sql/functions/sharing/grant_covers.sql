-- Whether a source tenant's entry of live_grants() (NULL: no grant from it) covers a memory:
-- tenant-visible (a private memory is never shared); inside every criterion one of its
-- grants names (context type; any of its tags, a list's strings or an object's keys; its
-- id); and kept by the source's own retention (the test memories__retained makes for the
-- context's tenant, with the source's horizon "h" and cutoffs "r"). The per-row half of
-- memories__tenant_fence's sharing branch: no table is read, only the value the InitPlan
-- computed once; rows of the context's own tenant never reach it.
CREATE OR REPLACE FUNCTION cogdb.grant_covers(entry jsonb, visibility text, id text,
                                              context_type text, source text, tags jsonb,
                                              created_at timestamptz, anonymised_at timestamptz)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT entry IS NOT NULL AND visibility = 'tenant'
       AND (created_at > (entry ->> 'h')::timestamptz
            OR anonymised_at IS NOT NULL
            OR created_at > coalesce(entry -> 'r' -> context_type ->> source,
                                     entry -> 'r' -> context_type ->> '*',
                                     entry -> 'r' -> '*' ->> source,
                                     entry -> 'r' -> '*' ->> '*',
                                     '-infinity')::timestamptz)
       AND EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(entry -> 'g') AS g(v)
                    WHERE (NOT g.v ? 'c' OR g.v -> 'c' ? context_type)
                      AND (NOT g.v ? 'i' OR g.v -> 'i' ? id)
                      AND (NOT g.v ? 'g'
                           OR tags ?| ARRAY(SELECT pg_catalog.jsonb_array_elements_text(g.v -> 'g'))))
$$;

REVOKE ALL ON FUNCTION cogdb.grant_covers(jsonb, text, text, text, text, jsonb, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.grant_covers(jsonb, text, text, text, text, jsonb, timestamptz, timestamptz) TO cogdb_app;
COMMENT ON FUNCTION cogdb.grant_covers(jsonb, text, text, text, text, jsonb, timestamptz, timestamptz) IS
    'Whether a source tenant''s live grants cover a memory (tenant-visible, inside each criterion a grant names, kept by the source''s retention); the per-row test of memories__tenant_fence.';
