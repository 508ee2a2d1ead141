-- A relationship exists for the caller only when the caller can see both of its nodes: the
-- sub-selects read memories and entities under their own policies (fence and visibility),
-- so an edge to another user's private memory or entity is neither read nor written, and a
-- traversal can never pass through such a node or reveal it. RESTRICTIVE: it narrows the
-- visibility policy, never widens it. The node tables' fences scope the ids to the context's
-- tenant; this table's own fence (relationships__tenant_fence) keeps the edge itself there.
-- Each sub-select also names the context's tenant (an InitPlan, once per query). Not the
-- edge's own tenant_id: that would make this table's fence redundant, and a loosened fence
-- could no longer be caught by a test.
-- Another tenant's relationship (which reaches this policy only when the caller asked for
-- shared rows and the fence let it through) passes here: its memories are checked by
-- relationships__tenant_fence, in the edge's own tenant, under memories__tenant_fence, and
-- it never has an entity (revision 0020; docs/trust-model.md "Traversal through shared
-- memories"). Writes (WITH CHECK) are the own tenant's only, checked as before.
--
-- Each check is one primary-key probe per relationship read, so a walk costs what it
-- reads, not what the tenant holds (revision 0023; docs/trust-model.md "What a walk
-- reads"):
-- - `OFFSET 0` keeps each EXISTS a per-row probe: without it the planner may turn it into
--   a hashed sub-plan that reads every memory (entity) of the tenant once per statement,
--   i.e. at every level of a walk, however small the walk.
-- - the tenant is compared as `(… = …) IS TRUE`: the same test (a row whose comparison is
--   NULL was never visible), written so that it is a filter on the row the probe found and
--   not a second index condition: the probe's index condition is then the node table's
--   fence (`tenant_id = ANY (readable_tenants())`, or the context's tenant) and the id, i.e.
--   the primary key (tenant_id, id). With a second tenant equality beside the fence's, the
--   planner, which has no statistics on tenant_id (docs/trust-model.md, known limits),
--   estimates one row for the whole tenant and may read all of it by a smaller index,
--   filtering the id.
DROP POLICY IF EXISTS relationships__endpoints_visible ON cogdb.relationships;
CREATE POLICY relationships__endpoints_visible ON cogdb.relationships
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id <> (SELECT cogdb.current_tenant_id())
           OR ((from_memory_id IS NULL
                OR EXISTS (SELECT FROM cogdb.memories m
                            WHERE m.id = relationships.from_memory_id
                              AND (m.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                           OFFSET 0))
           AND (from_entity_id IS NULL
                OR EXISTS (SELECT FROM cogdb.entities e
                            WHERE e.id = relationships.from_entity_id
                              AND (e.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                           OFFSET 0))
           AND (to_memory_id IS NULL
                OR EXISTS (SELECT FROM cogdb.memories m
                            WHERE m.id = relationships.to_memory_id
                              AND (m.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                           OFFSET 0))
           AND (to_entity_id IS NULL
                OR EXISTS (SELECT FROM cogdb.entities e
                            WHERE e.id = relationships.to_entity_id
                              AND (e.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                           OFFSET 0))))
    WITH CHECK ((from_memory_id IS NULL
                 OR EXISTS (SELECT FROM cogdb.memories m
                             WHERE m.id = relationships.from_memory_id
                               AND (m.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                            OFFSET 0))
                AND (from_entity_id IS NULL
                     OR EXISTS (SELECT FROM cogdb.entities e
                                 WHERE e.id = relationships.from_entity_id
                                   AND (e.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                                OFFSET 0))
                AND (to_memory_id IS NULL
                     OR EXISTS (SELECT FROM cogdb.memories m
                                 WHERE m.id = relationships.to_memory_id
                                   AND (m.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                                OFFSET 0))
                AND (to_entity_id IS NULL
                     OR EXISTS (SELECT FROM cogdb.entities e
                                 WHERE e.id = relationships.to_entity_id
                                   AND (e.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                                OFFSET 0)));
