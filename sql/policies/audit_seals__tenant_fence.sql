-- The tenant fence on audit_seals: the audit definer functions act inside one tenant's context
-- (enter_tenant) and see and write only its rows; their reads rely on this fence.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS audit_seals__tenant_fence ON cogdb.audit_seals;
CREATE POLICY audit_seals__tenant_fence ON cogdb.audit_seals
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
