-- Whether a source tenant's entry of live_grants() (NULL: no grant from it) covers a memory:
-- tenant-visible (a private memory is never shared); kept by the source's retention
-- (created after the source's horizon "h", or anonymised); and inside every criterion one of
-- its grants names (context type; any of its tags, a list's strings or an object's keys; its
-- id). The per-row half of memories__tenant_fence's sharing branch: no table is read, only
-- the value the InitPlan computed once, and rows of the context's own tenant never reach
-- it. One expression, each argument that may hold a sub-select used once, so the planner
-- inlines it (LANGUAGE sql, no SET clause; docs/conventions.md rule 2): one jsonpath test
-- per row, no function call of its own, no sub-plan.
-- Its body is standard SQL (RETURN, or BEGIN ATOMIC): parsed once, when it is created, and
-- kept as a tree, so inlining it costs the planner no parse of its text on every statement
-- (docs/conventions.md rule 2).
CREATE OR REPLACE FUNCTION cogdb.grant_covers(entry jsonb, visibility text, id text,
                                              context_type text, tags jsonb,
                                              created_at timestamptz, anonymised_at timestamptz)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
RETURN visibility = 'tenant'
       AND pg_catalog.jsonb_path_exists(
               entry,
               '$ ? (@.h < $at || $anonymised == true) .g[*] ? ((!(exists(@.c)) || @.c[*] == $ct) && (!(exists(@.i)) || @.i[*] == $id) && (!(exists(@.g)) || @.g[*] == $tags[*]))',
               pg_catalog.jsonb_build_object(
                   -- clamped: JSON has no infinity
                   'at', least(greatest(EXTRACT(epoch FROM created_at), -1e15), 1e15),
                   'anonymised', anonymised_at IS NOT NULL,
                   'ct', context_type, 'id', id,
                   'tags', CASE WHEN pg_catalog.jsonb_typeof(tags) = 'object'
                                THEN pg_catalog.jsonb_path_query_array(tags, '$.keyvalue().key')
                                ELSE tags END));

REVOKE ALL ON FUNCTION cogdb.grant_covers(jsonb, text, text, text, jsonb, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.grant_covers(jsonb, text, text, text, jsonb, timestamptz, timestamptz) TO cogdb_app;
COMMENT ON FUNCTION cogdb.grant_covers(jsonb, text, text, text, jsonb, timestamptz, timestamptz) IS
    'Whether a source tenant''s live grants cover a memory (tenant-visible, kept by the source''s retention horizon, inside each criterion a grant names); the per-row test of memories__tenant_fence.';
