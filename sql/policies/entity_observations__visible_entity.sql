-- Observations share their entity's visibility: a row is visible (and writable) when the
-- caller can see its entity, read under the entities policies. The only permissive policy
-- on entity_observations. The entities fence scopes the id to the context's tenant; this
-- table's own fence (entity_observations__tenant_fence) keeps the observation there. The
-- sub-select also names the context's tenant (an InitPlan): one partition, one shard on a
-- cluster distributed by tenant (docs/scale-out.md); not the row's own tenant_id, which
-- would make the fence redundant (and its loosening untestable).
DROP POLICY IF EXISTS entity_observations__visible_entity ON cogdb.entity_observations;
CREATE POLICY entity_observations__visible_entity ON cogdb.entity_observations
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (EXISTS (SELECT FROM cogdb.entities e
                    WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                      AND e.id = entity_observations.entity_id))
    WITH CHECK (EXISTS (SELECT FROM cogdb.entities e
                         WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                           AND e.id = entity_observations.entity_id));
