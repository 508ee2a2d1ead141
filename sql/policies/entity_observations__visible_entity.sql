-- Observations share their entity's visibility: an own-tenant row is visible (and writable)
-- when the caller can see its entity, read under the entities policies. Another tenant's
-- row (a shared one) is left to the fence, which has checked its entity in that tenant
-- (entity_observations__tenant_fence). The only permissive policy on entity_observations.
-- The own-tenant sub-select names the context's tenant (an InitPlan): one partition, one
-- shard on a cluster distributed by tenant (docs/scale-out.md); not the row's own tenant_id,
-- which would make the fence redundant (and its loosening untestable). WITH CHECK: the own
-- tenant's entity only. OFFSET 0 keeps the sub-select a probe of the primary key per row:
-- inside the OR the planner may otherwise hash every entity of the tenant for each query
-- (measured: 2,000 entities read for one get_entity, bench sharing --part entities).
DROP POLICY IF EXISTS entity_observations__visible_entity ON cogdb.entity_observations;
CREATE POLICY entity_observations__visible_entity ON cogdb.entity_observations
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (tenant_id <> (SELECT cogdb.current_tenant_id())
           OR EXISTS (SELECT FROM cogdb.entities e
                       WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                         AND e.id = entity_observations.entity_id
                      OFFSET 0))
    WITH CHECK (EXISTS (SELECT FROM cogdb.entities e
                         WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                           AND e.id = entity_observations.entity_id));
