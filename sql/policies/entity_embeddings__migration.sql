-- The migration's definer functions (cogdb_admin's start/store/cut over/clean up, and
-- remember_entity_embeddings, which checks the entity itself) act on every user's rows of the
-- tenant they entered; the restrictive fence still holds them to that tenant. No other role
-- has this.
DROP POLICY IF EXISTS entity_embeddings__migration ON cogdb.entity_embeddings;
CREATE POLICY entity_embeddings__migration ON cogdb.entity_embeddings
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
