-- Inside the fence: tenant-visible memories, plus the context user's own private ones.
-- The only permissive policy on memories, so without it nothing is visible at all.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS memories__visible_to_user ON cogdb.memories;
CREATE POLICY memories__visible_to_user ON cogdb.memories
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()))
    WITH CHECK (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()));
