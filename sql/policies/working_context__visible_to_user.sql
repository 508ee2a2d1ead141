-- Inside the fence: entries without an owner (shared in the tenant), plus the context
-- user's own (private entries, and shared entries of the user's private sessions). The only
-- permissive policy on working_context.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS working_context__visible_to_user ON cogdb.working_context;
CREATE POLICY working_context__visible_to_user ON cogdb.working_context
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id()))
    WITH CHECK (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id()));
