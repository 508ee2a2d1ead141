-- Only a memory's owner may delete (forget) it; ownerless memories stay deletable by the
-- tenant. Only the own tenant's: a row shared by another tenant's grant (visible through
-- memories__tenant_fence) is never deleted. RESTRICTIVE, like memories__owner_updates.
-- (SELECT …) makes the helpers InitPlans: evaluated once per query, not once per row.
DROP POLICY IF EXISTS memories__owner_deletes ON cogdb.memories;
CREATE POLICY memories__owner_deletes ON cogdb.memories
    AS RESTRICTIVE FOR DELETE TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id())
           AND (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id())));
