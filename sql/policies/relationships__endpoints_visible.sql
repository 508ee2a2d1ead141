-- A relationship exists for the caller only when the caller can see both of its nodes: the
-- sub-selects read memories and entities under their own policies (fence and visibility),
-- so an edge to another user's private memory or entity is neither read nor written, and a
-- traversal can never pass through such a node or reveal it. RESTRICTIVE: it narrows the
-- visibility policy, never widens it. The node tables' fences scope the ids to the context's
-- tenant; this table's own fence (relationships__tenant_fence) keeps the edge itself there.
-- Each entity sub-select also names the context's tenant (an InitPlan, once per query), so it
-- reads one tenant's partition here and one shard on a cluster distributed by tenant
-- (docs/scale-out.md): an entity of another tenant is never an endpoint the caller sees.
-- Each memory sub-select names the tenants the caller may read (readable_tenants(), an
-- InitPlan: its own, plus the sources of live grants only when it asked). Not the edge's own
-- tenant_id: that would make this table's fence redundant, and a loosened fence could no
-- longer be caught by a test; the fence is what ties a shared relationship's memories to
-- its own tenant.
DROP POLICY IF EXISTS relationships__endpoints_visible ON cogdb.relationships;
CREATE POLICY relationships__endpoints_visible ON cogdb.relationships
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING ((from_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                               WHERE m.tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])
                                                 AND m.id = relationships.from_memory_id))
           AND (from_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                   WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                                                     AND e.id = relationships.from_entity_id))
           AND (to_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                 WHERE m.tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])
                                                   AND m.id = relationships.to_memory_id))
           AND (to_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                 WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                                                   AND e.id = relationships.to_entity_id)))
    WITH CHECK ((from_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                    WHERE m.tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])
                                                      AND m.id = relationships.from_memory_id))
                AND (from_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                        WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                                                          AND e.id = relationships.from_entity_id))
                AND (to_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                      WHERE m.tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])
                                                        AND m.id = relationships.to_memory_id))
                AND (to_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                      WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                                                        AND e.id = relationships.to_entity_id)));
