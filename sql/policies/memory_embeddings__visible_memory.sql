-- A memory's other vectors are visible (and writable) when the memory is: the memories'
-- own policies decide, so a private memory's vectors reach its owner only. Like
-- entity_observations__visible_entity, the memory is looked up in the context's tenant; a
-- row of another tenant passes here and is memory_embeddings__tenant_fence's to check (a
-- shared source's, since revision 0030).
DROP POLICY IF EXISTS memory_embeddings__visible_memory ON cogdb.memory_embeddings;
CREATE POLICY memory_embeddings__visible_memory ON cogdb.memory_embeddings
    AS PERMISSIVE FOR ALL TO cogdb_app
    USING (tenant_id <> (SELECT cogdb.current_tenant_id())
           OR EXISTS (SELECT FROM cogdb.memories m
                       WHERE m.tenant_id = (SELECT cogdb.current_tenant_id())
                         AND m.id = memory_embeddings.memory_id))
    WITH CHECK (EXISTS (SELECT FROM cogdb.memories m
                         WHERE m.tenant_id = (SELECT cogdb.current_tenant_id())
                           AND m.id = memory_embeddings.memory_id));
