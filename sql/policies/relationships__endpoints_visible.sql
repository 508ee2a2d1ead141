-- A relationship exists for the caller only when the caller can see both of its nodes: the
-- sub-selects read memories and entities under their own policies (fence and visibility),
-- so an edge to another user's private memory or entity is neither read nor written, and a
-- traversal can never pass through such a node or reveal it. RESTRICTIVE: it narrows the
-- visibility policy, never widens it. The node tables' fences scope the ids to the context's
-- tenant; this table's own fence (relationships__tenant_fence) keeps the edge itself there.
-- Each sub-select also names the context's tenant. Not the edge's own tenant_id: that would
-- make this table's fence redundant, and a loosened fence could no longer be caught by a test.
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
-- - memories: the tenant is named as an equality, `m.tenant_id = cogdb.current_tenant_id()`
--   (the inlined helper, not a sub-select), which partition pruning uses when the statement
--   starts: the probe reads the tenant's partition by its primary key (tenant_id, id), and
--   no other partition is opened. Revision 0034 wrote `(SELECT cogdb.current_tenant_id())`,
--   an InitPlan: pruned only once it had run, so every statement still set up the probe's
--   scan of every partition (81 at 1M rows; most of a small walk's time). The helper is
--   read once per probe, as the probe's index condition, never per row of a scan: the one
--   exception docs/conventions.md rule 3 allows, which cogdb.policy_report() accepts in
--   this form only. The fence's `= ANY (…)` is an array, which pruning cannot use. A second
--   tenant equality beside the fence's is what revision 0023 had avoided: without
--   statistics on tenant_id the planner took one row for the whole tenant and read it by a
--   smaller index; since 0034 each partition carries the planner's estimate of a tenant's
--   rows (cogdb.set_tenant_estimates: search.ann_min_rows, at most a tenth of the
--   partition) and the primary key wins.
-- - entities (not partitioned): the tenant is compared as `(… = …) IS TRUE`, the same test
--   (a row whose comparison is NULL was never visible) written as a filter on the row the
--   probe found, not a second index condition: the index condition is the fence's and the
--   id, the primary key (tenant_id, id).
DROP POLICY IF EXISTS relationships__endpoints_visible ON cogdb.relationships;
CREATE POLICY relationships__endpoints_visible ON cogdb.relationships
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id <> (SELECT cogdb.current_tenant_id())
           OR ((from_memory_id IS NULL
                OR EXISTS (SELECT FROM cogdb.memories m
                            WHERE m.id = relationships.from_memory_id
                              AND m.tenant_id = cogdb.current_tenant_id()
                           OFFSET 0))
           AND (from_entity_id IS NULL
                OR EXISTS (SELECT FROM cogdb.entities e
                            WHERE e.id = relationships.from_entity_id
                              AND (e.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                           OFFSET 0))
           AND (to_memory_id IS NULL
                OR EXISTS (SELECT FROM cogdb.memories m
                            WHERE m.id = relationships.to_memory_id
                              AND m.tenant_id = cogdb.current_tenant_id()
                           OFFSET 0))
           AND (to_entity_id IS NULL
                OR EXISTS (SELECT FROM cogdb.entities e
                            WHERE e.id = relationships.to_entity_id
                              AND (e.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                           OFFSET 0))))
    WITH CHECK ((from_memory_id IS NULL
                 OR EXISTS (SELECT FROM cogdb.memories m
                             WHERE m.id = relationships.from_memory_id
                               AND m.tenant_id = cogdb.current_tenant_id()
                            OFFSET 0))
                AND (from_entity_id IS NULL
                     OR EXISTS (SELECT FROM cogdb.entities e
                                 WHERE e.id = relationships.from_entity_id
                                   AND (e.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                                OFFSET 0))
                AND (to_memory_id IS NULL
                     OR EXISTS (SELECT FROM cogdb.memories m
                                 WHERE m.id = relationships.to_memory_id
                                   AND m.tenant_id = cogdb.current_tenant_id()
                                OFFSET 0))
                AND (to_entity_id IS NULL
                     OR EXISTS (SELECT FROM cogdb.entities e
                                 WHERE e.id = relationships.to_entity_id
                                   AND (e.tenant_id = (SELECT cogdb.current_tenant_id())) IS TRUE
                                OFFSET 0)));
