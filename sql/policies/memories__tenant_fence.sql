-- The tenant fence: a row is readable and writable only inside its own tenant's context.
-- RESTRICTIVE, so no permissive policy added later (visibility, sharing) can widen it.
DROP POLICY IF EXISTS memories__tenant_fence ON cogdb.memories;
CREATE POLICY memories__tenant_fence ON cogdb.memories
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = cogdb.current_tenant_id())
    WITH CHECK (tenant_id = cogdb.current_tenant_id());
