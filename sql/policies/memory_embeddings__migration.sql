-- The migration's definer functions (cogdb_admin's start/store/cut over/clean up, and
-- anonymise_memories) act on every user's rows of the tenant they entered; the restrictive
-- fence still holds them to that tenant. No other role has this.
DROP POLICY IF EXISTS memory_embeddings__migration ON cogdb.memory_embeddings;
CREATE POLICY memory_embeddings__migration ON cogdb.memory_embeddings
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
