-- Observations share their entity's visibility: a row is visible (and writable) when the
-- caller can see its entity, read under the entities policies. The only permissive policy
-- on entity_observations. The entities fence scopes the id to the context's tenant; this
-- table's own fence (entity_observations__tenant_fence) keeps the observation there. The
-- sub-select names the observation's tenant_id too: one co-located shard on a cluster
-- distributed by tenant (docs/scale-out.md).
DROP POLICY IF EXISTS entity_observations__visible_entity ON cogdb.entity_observations;
CREATE POLICY entity_observations__visible_entity ON cogdb.entity_observations
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (EXISTS (SELECT FROM cogdb.entities e
                    WHERE e.tenant_id = entity_observations.tenant_id
                      AND e.id = entity_observations.entity_id))
    WITH CHECK (EXISTS (SELECT FROM cogdb.entities e
                         WHERE e.tenant_id = entity_observations.tenant_id
                           AND e.id = entity_observations.entity_id));
