-- The tenant fence: a row is readable only inside its own tenant's context, or where a live
-- grant of its tenant covers it and the caller asked for shared rows; writable only inside
-- its own tenant's context (WITH CHECK; memories__owner_updates and memories__owner_deletes
-- keep UPDATE and DELETE to the own tenant too, so a shared row is read-only).
-- RESTRICTIVE, so no permissive policy added later can widen it. Two conjuncts:
-- - `tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])`: the context tenant, plus
--   the sources of its live grants only when it asked. An InitPlan, once per query, and an
--   index condition: a query that names another tenant (WHERE tenant_id = '<other>') reads
--   none of its rows, so neither EXPLAIN ANALYZE's "Rows Removed by Filter" nor the time
--   taken tells that tenant's size. (A fence that was only the OR below became a filter
--   after the caller's own index condition and counted the other tenant's rows.)
-- - the own tenant, or cogdb.grant_covers on the value live_grants() computed once
--   (tenant-visible, inside the grant's criteria, kept by the source's retention): no
--   per-row table lookup; rows of the own tenant never reach it.
DROP POLICY IF EXISTS memories__tenant_fence ON cogdb.memories;
CREATE POLICY memories__tenant_fence ON cogdb.memories
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])
           AND (tenant_id = (SELECT cogdb.current_tenant_id())
                OR cogdb.grant_covers((SELECT cogdb.live_grants()) -> tenant_id::text, visibility,
                                      id, context_type, tags, created_at, anonymised_at)))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
