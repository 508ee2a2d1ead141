-- Relationships are changed only inside their own tenant: a relationship shared by another
-- tenant's grant (visible through relationships__tenant_fence when the caller asks) is
-- never updated, nor locked (SELECT … FOR UPDATE applies UPDATE policies). RESTRICTIVE,
-- like memories__owner_updates.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS relationships__own_updates ON cogdb.relationships;
CREATE POLICY relationships__own_updates ON cogdb.relationships
    AS RESTRICTIVE FOR UPDATE TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
