-- Inside the fence: tenant-visible relationships, plus the context user's own private ones.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS relationships__visible_to_user ON cogdb.relationships;
CREATE POLICY relationships__visible_to_user ON cogdb.relationships
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()))
    WITH CHECK (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()));
