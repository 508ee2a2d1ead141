-- Inside the fence: tenant-visible entities, plus the context user's own private ones.
-- The only permissive policy on entities, so without it nothing is visible at all.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS entities__visible_to_user ON cogdb.entities;
CREATE POLICY entities__visible_to_user ON cogdb.entities
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()))
    WITH CHECK (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()));
