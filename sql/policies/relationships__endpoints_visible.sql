-- A relationship exists for the caller only when the caller can see both of its nodes: the
-- sub-selects read memories and entities under their own policies (fence and visibility),
-- so an edge to another user's private memory or entity is neither read nor written, and a
-- traversal can never pass through such a node or reveal it. RESTRICTIVE: it narrows the
-- visibility policy, never widens it. The node tables' fences scope the ids to the context's
-- tenant; this table's own fence (relationships__tenant_fence) keeps the edge itself there.
-- Each sub-select also names the context's tenant (an InitPlan, once per query), so it reads
-- one tenant's partition here and one shard on a cluster distributed by tenant
-- (docs/scale-out.md). Not the edge's own tenant_id: that would make this table's fence
-- redundant, and a loosened fence could no longer be caught by a test.
-- Another tenant's relationship (which reaches this policy only when the caller asked for
-- shared rows and the fence let it through) passes here: its memories are checked by
-- relationships__tenant_fence, in the edge's own tenant, under memories__tenant_fence, and
-- it never has an entity (revision 0020; docs/trust-model.md "Traversal through shared
-- memories"). Writes (WITH CHECK) are the own tenant's only, checked as before.
DROP POLICY IF EXISTS relationships__endpoints_visible ON cogdb.relationships;
CREATE POLICY relationships__endpoints_visible ON cogdb.relationships
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id <> (SELECT cogdb.current_tenant_id())
           OR ((from_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                               WHERE m.tenant_id = (SELECT cogdb.current_tenant_id())
                                                 AND m.id = relationships.from_memory_id))
           AND (from_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                   WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                                                     AND e.id = relationships.from_entity_id))
           AND (to_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                 WHERE m.tenant_id = (SELECT cogdb.current_tenant_id())
                                                   AND m.id = relationships.to_memory_id))
           AND (to_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                 WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                                                   AND e.id = relationships.to_entity_id))))
    WITH CHECK ((from_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                    WHERE m.tenant_id = (SELECT cogdb.current_tenant_id())
                                                      AND m.id = relationships.from_memory_id))
                AND (from_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                        WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                                                          AND e.id = relationships.from_entity_id))
                AND (to_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                      WHERE m.tenant_id = (SELECT cogdb.current_tenant_id())
                                                        AND m.id = relationships.to_memory_id))
                AND (to_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                      WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                                                        AND e.id = relationships.to_entity_id)));
