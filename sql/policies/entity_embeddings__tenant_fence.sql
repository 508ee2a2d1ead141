-- The tenant fence: a row of the context's tenant only, for reading and for writing.
DROP POLICY IF EXISTS entity_embeddings__tenant_fence ON cogdb.entity_embeddings;
CREATE POLICY entity_embeddings__tenant_fence ON cogdb.entity_embeddings
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
