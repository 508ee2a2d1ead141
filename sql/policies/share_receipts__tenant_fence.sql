-- The tenant fence on share_receipts: a row is readable and writable only inside its own tenant's
-- context. RESTRICTIVE, so no permissive policy added later can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS share_receipts__tenant_fence ON cogdb.share_receipts;
CREATE POLICY share_receipts__tenant_fence ON cogdb.share_receipts
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
