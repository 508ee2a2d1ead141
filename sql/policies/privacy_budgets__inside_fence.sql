-- Lets rows through the fence: RLS shows nothing without at least one permissive policy.
-- All filtering is the fence's (privacy_budgets__tenant_fence): a tenant's budget is its own
-- to read; only definer functions write it.
DROP POLICY IF EXISTS privacy_budgets__inside_fence ON cogdb.privacy_budgets;
CREATE POLICY privacy_budgets__inside_fence ON cogdb.privacy_budgets
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (true)
    WITH CHECK (true);
