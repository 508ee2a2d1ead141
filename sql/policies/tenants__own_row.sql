-- A tenant's context reads its own tenant row (name, mode, settings, default model) only.
-- The app role has SELECT alone on tenants: it can never change its own settings.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS tenants__own_row ON cogdb.tenants;
CREATE POLICY tenants__own_row ON cogdb.tenants
    AS PERMISSIVE FOR SELECT TO PUBLIC
    USING (id = (SELECT cogdb.current_tenant_id()));
