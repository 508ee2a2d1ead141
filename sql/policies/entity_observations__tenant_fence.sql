-- The tenant fence on entity_observations: a row is readable only inside its own tenant's
-- context, or, when the caller asked for shared rows, an observation of an entity the caller
-- reads in the observation's own tenant (under entities__tenant_fence: a live grant covers
-- the entity); writable only inside its own tenant's context (WITH CHECK;
-- entity_observations__own_deletes keeps DELETE there; the app has no UPDATE).
-- RESTRICTIVE, so no permissive policy added later can widen it.
-- - `tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])` first: an InitPlan and an
--   index condition, as in memories__tenant_fence: a statement that did not ask reads no
--   other tenant's row.
-- - another tenant's observation: its entity, looked up in that tenant by primary key, must
--   pass the entities fence (the grant test on live_grants() computed once). The lookup runs
--   for other tenants' rows only; the own tenant's take the first branch. OFFSET 0 keeps it a
--   primary-key probe per row (not a hash of every covered entity of the source).
DROP POLICY IF EXISTS entity_observations__tenant_fence ON cogdb.entity_observations;
CREATE POLICY entity_observations__tenant_fence ON cogdb.entity_observations
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])
           AND (tenant_id = (SELECT cogdb.current_tenant_id())
                OR EXISTS (SELECT FROM cogdb.entities e
                            WHERE e.tenant_id = entity_observations.tenant_id
                              AND e.id = entity_observations.entity_id
                           OFFSET 0)))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
