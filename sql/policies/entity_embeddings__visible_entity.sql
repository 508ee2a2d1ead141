-- An entity's other vectors are visible when the entity is: the entities' own policies
-- decide, so a private entity's vectors reach its owner only. Like
-- memory_embeddings__visible_memory, the entity is looked up in the context's tenant.
DROP POLICY IF EXISTS entity_embeddings__visible_entity ON cogdb.entity_embeddings;
CREATE POLICY entity_embeddings__visible_entity ON cogdb.entity_embeddings
    AS PERMISSIVE FOR ALL TO cogdb_app
    USING (EXISTS (SELECT FROM cogdb.entities n
                    WHERE n.tenant_id = (SELECT cogdb.current_tenant_id())
                      AND n.id = entity_embeddings.entity_id))
    WITH CHECK (EXISTS (SELECT FROM cogdb.entities n
                         WHERE n.tenant_id = (SELECT cogdb.current_tenant_id())
                           AND n.id = entity_embeddings.entity_id));
