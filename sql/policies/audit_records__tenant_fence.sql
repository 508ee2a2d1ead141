-- The tenant fence on audit_records: the audit definer functions act inside one tenant's context
-- (enter_tenant) and see and write only its rows; their reads rely on this fence.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS audit_records__tenant_fence ON cogdb.audit_records;
CREATE POLICY audit_records__tenant_fence ON cogdb.audit_records
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
