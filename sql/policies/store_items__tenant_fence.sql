-- The tenant fence on store_items: a row is readable and writable only inside its own tenant's
-- context. RESTRICTIVE, so no permissive policy can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS store_items__tenant_fence ON cogdb.store_items;
CREATE POLICY store_items__tenant_fence ON cogdb.store_items
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
