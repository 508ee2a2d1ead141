-- Only a memory's owner may delete (forget) it; ownerless memories stay deletable by the
-- tenant. RESTRICTIVE, like memories__owner_updates.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS memories__owner_deletes ON cogdb.memories;
CREATE POLICY memories__owner_deletes ON cogdb.memories
    AS RESTRICTIVE FOR DELETE TO PUBLIC
    USING (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id()));
