-- cogdb revision 0014 (scale_out): downgrade, written by `python -m tools.freeze 0014` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- sql/policies/entity_observations__visible_entity.sql as frozen in revision 0008
-- Observations share their entity's visibility: a row is visible (and writable) when the
-- caller can see its entity, read under the entities policies. The only permissive policy
-- on entity_observations. The entities fence scopes the id to the context's tenant; this
-- table's own fence (entity_observations__tenant_fence) keeps the observation there.
DROP POLICY IF EXISTS entity_observations__visible_entity ON cogdb.entity_observations;
CREATE POLICY entity_observations__visible_entity ON cogdb.entity_observations
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (EXISTS (SELECT FROM cogdb.entities e WHERE e.id = entity_observations.entity_id))
    WITH CHECK (EXISTS (SELECT FROM cogdb.entities e WHERE e.id = entity_observations.entity_id));

-- sql/policies/relationships__endpoints_visible.sql as frozen in revision 0008
-- A relationship exists for the caller only when the caller can see both of its nodes: the
-- sub-selects read memories and entities under their own policies (fence and visibility),
-- so an edge to another user's private memory or entity is neither read nor written, and a
-- traversal can never pass through such a node or reveal it. RESTRICTIVE: it narrows the
-- visibility policy, never widens it. The node tables' fences scope the ids to the context's
-- tenant; this table's own fence (relationships__tenant_fence) keeps the edge itself there.
DROP POLICY IF EXISTS relationships__endpoints_visible ON cogdb.relationships;
CREATE POLICY relationships__endpoints_visible ON cogdb.relationships
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING ((from_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                               WHERE m.id = relationships.from_memory_id))
           AND (from_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                   WHERE e.id = relationships.from_entity_id))
           AND (to_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                 WHERE m.id = relationships.to_memory_id))
           AND (to_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                 WHERE e.id = relationships.to_entity_id)))
    WITH CHECK ((from_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                    WHERE m.id = relationships.from_memory_id))
                AND (from_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                        WHERE e.id = relationships.from_entity_id))
                AND (to_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                      WHERE m.id = relationships.to_memory_id))
                AND (to_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                      WHERE e.id = relationships.to_entity_id)));

-- sql/functions/scale/distribution_plan.sql: new in this revision
DROP FUNCTION cogdb.distribution_plan();

RESET ROLE;
