-- The tenant fence: a row of the context's tenant for writing; for reading, also a row of a
-- tenant whose live read grants the caller asked for in this transaction (include_shared),
-- widened like entity_observations__tenant_fence: `tenant_id = ANY (readable_tenants())`
-- first (an InitPlan and an index condition: a statement that did not ask reads no other
-- tenant's row), then another tenant's row only when its memory is one the caller reads
-- there, under the memories' policies (grant_covers among them; one primary-key probe per
-- row, OFFSET 0). So a shared search reads the side vectors of the memories a grant covers
-- while that tenant settles a model migration, and no other (revision 0030;
-- docs/scale-out.md). The context's own rows are memory_embeddings__visible_memory's to
-- check. The app has SELECT only on this table.
DROP POLICY IF EXISTS memory_embeddings__tenant_fence ON cogdb.memory_embeddings;
CREATE POLICY memory_embeddings__tenant_fence ON cogdb.memory_embeddings
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])
           AND (tenant_id = (SELECT cogdb.current_tenant_id())
                OR EXISTS (SELECT FROM cogdb.memories m
                            WHERE m.tenant_id = memory_embeddings.tenant_id
                              AND m.id = memory_embeddings.memory_id
                           OFFSET 0)))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
