-- The tenant fence: a row is readable only inside its own tenant's context, or where a live
-- grant of its tenant covers it and the caller asked for shared rows; writable only inside
-- its own tenant's context (WITH CHECK; memories__owner_updates and memories__owner_deletes
-- keep UPDATE and DELETE to the own tenant too, so a shared row is read-only).
-- RESTRICTIVE, so no permissive policy added later can widen it. Once per query, never per
-- table lookup: current_tenant_id() and live_grants() are InitPlans (the sub-selects);
-- live_grants() is NULL unless the transaction asked for shared rows (search, get, neighbors
-- with include_shared) and is evaluated only for a row of another tenant, which then gets
-- grant_covers' test against that value (tenant-visible, inside the grant's criteria, kept
-- by the source tenant's retention).
DROP POLICY IF EXISTS memories__tenant_fence ON cogdb.memories;
CREATE POLICY memories__tenant_fence ON cogdb.memories
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id())
           OR cogdb.grant_covers((SELECT cogdb.live_grants()) -> tenant_id::text, visibility,
                                 id, context_type, tags, created_at, anonymised_at))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
