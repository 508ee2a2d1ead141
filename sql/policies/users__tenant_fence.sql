-- The tenant fence on users: a tenant's context sees and writes only its own users.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS users__tenant_fence ON cogdb.users;
CREATE POLICY users__tenant_fence ON cogdb.users
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
