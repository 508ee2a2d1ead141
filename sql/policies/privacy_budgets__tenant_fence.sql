-- The tenant fence on privacy_budgets: a row is readable and writable only inside its own
-- tenant's context; the budget charge enters each contributing tenant (enter_tenant) to lock
-- and raise its row. RESTRICTIVE, so no permissive policy added later can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS privacy_budgets__tenant_fence ON cogdb.privacy_budgets;
CREATE POLICY privacy_budgets__tenant_fence ON cogdb.privacy_budgets
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
