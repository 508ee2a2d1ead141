-- Inside the fence: the texts of tenant-visible offload memories, plus the context user's
-- own private ones (each row carries its memory's owner and visibility, which never change
-- for an offload memory). The only permissive policy on offloaded_contexts.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS offloaded_contexts__visible_to_user ON cogdb.offloaded_contexts;
CREATE POLICY offloaded_contexts__visible_to_user ON cogdb.offloaded_contexts
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()))
    WITH CHECK (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()));
