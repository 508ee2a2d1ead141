-- Whether a source tenant's entry of live_grants() (NULL: no grant from it) covers an entity:
-- tenant-visible (a private entity is never shared) and inside every entity criterion one of
-- its grants names (entity type: any of them; entity id). Only the entry's "e" list counts:
-- a grant that names memory criteria only shares no entity. The per-row half of
-- entities__tenant_fence's sharing branch, as grant_covers is memories__tenant_fence's: no
-- table is read, only the value the InitPlan computed once, and rows of the context's own
-- tenant never reach it. Entities have no retention (nothing ages them out), so no horizon.
-- One expression, each argument used once, so the planner inlines it (LANGUAGE sql, no SET
-- clause; docs/conventions.md rule 2): one jsonpath test per row.
-- Its body is standard SQL (RETURN, or BEGIN ATOMIC): parsed once, when it is created, and
-- kept as a tree, so inlining it costs the planner no parse of its text on every statement
-- (docs/conventions.md rule 2).
CREATE OR REPLACE FUNCTION cogdb.entity_grant_covers(entry jsonb, visibility text, id text,
                                                     entity_type text)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
RETURN visibility = 'tenant'
       AND pg_catalog.jsonb_path_exists(
               entry,
               '$.e[*] ? ((!(exists(@.t)) || @.t[*] == $t) && (!(exists(@.i)) || @.i[*] == $id))',
               pg_catalog.jsonb_build_object('t', entity_type, 'id', id));

REVOKE ALL ON FUNCTION cogdb.entity_grant_covers(jsonb, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.entity_grant_covers(jsonb, text, text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.entity_grant_covers(jsonb, text, text, text) IS
    'Whether a source tenant''s live grants cover an entity (tenant-visible, inside each entity criterion a grant names); the per-row test of entities__tenant_fence.';
