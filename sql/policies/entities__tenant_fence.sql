-- The tenant fence on entities: a row is readable only inside its own tenant's context, or
-- where a live grant of its tenant covers it and the caller asked for shared rows (get_entity,
-- list_entities, hybrid_search with include_shared); writable only inside its own tenant's
-- context (WITH CHECK; entities__own_updates and entities__own_deletes keep UPDATE, row locks
-- and DELETE to the own tenant too, so a shared entity is read-only). RESTRICTIVE, so no
-- permissive policy added later can widen it. Two conjuncts, as in memories__tenant_fence:
-- - `tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])`: the context tenant, plus
--   the sources of its live grants only when it asked. An InitPlan, once per query, and an
--   index condition: a query that names another tenant reads none of its rows.
-- - the own tenant, or cogdb.entity_grant_covers on the value live_grants() computed once
--   (tenant-visible, inside the entity criteria of one of the source's grants): no per-row
--   table lookup; rows of the own tenant never reach it.
DROP POLICY IF EXISTS entities__tenant_fence ON cogdb.entities;
CREATE POLICY entities__tenant_fence ON cogdb.entities
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])
           AND (tenant_id = (SELECT cogdb.current_tenant_id())
                OR cogdb.entity_grant_covers((SELECT cogdb.live_grants()) -> tenant_id::text,
                                             visibility, id, entity_type)))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
