-- Inside the fence: the events of tenant sessions, plus those of the context user's own
-- private sessions (each event carries its session's owner and visibility, which never
-- change). The only permissive policy on events.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS events__visible_to_user ON cogdb.events;
CREATE POLICY events__visible_to_user ON cogdb.events
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()))
    WITH CHECK (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()));
