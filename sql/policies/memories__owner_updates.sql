-- Only a memory's owner may change it; ownerless (tenant-wide) memories stay editable by the
-- tenant. Only the own tenant's: a row shared by another tenant's grant (visible through
-- memories__tenant_fence) is never updated. RESTRICTIVE: it narrows the visibility policy for
-- UPDATE, it never widens it.
-- (SELECT …) makes the helpers InitPlans: evaluated once per query, not once per row.
DROP POLICY IF EXISTS memories__owner_updates ON cogdb.memories;
CREATE POLICY memories__owner_updates ON cogdb.memories
    AS RESTRICTIVE FOR UPDATE TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id())
           AND (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id())))
    WITH CHECK (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id()));
