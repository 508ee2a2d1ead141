-- Only a memory's owner may change it; ownerless (tenant-wide) memories stay editable by the
-- tenant. RESTRICTIVE: it narrows the visibility policy for UPDATE, it never widens it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS memories__owner_updates ON cogdb.memories;
CREATE POLICY memories__owner_updates ON cogdb.memories
    AS RESTRICTIVE FOR UPDATE TO PUBLIC
    USING (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id()))
    WITH CHECK (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id()));
