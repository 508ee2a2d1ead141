-- A memory's vector of a second model, kept beside the one in cogdb.memories while the
-- tenant re-embeds (`cogdb model migrate`, docs/scale-out.md "Re-embedding without
-- downtime"): during the migration the new model's vectors, after the cutover the old
-- model's, until `cogdb model cleanup` deletes them. One row per memory and model; deleting
-- the memory (forget, the retention purge, a user's or tenant's deletion) deletes its rows,
-- and anonymising it blanks them (cogdb.anonymise_memories).
--
-- Unpartitioned. Search reads it only while a promoted tenant's migration settles (revision
-- 0027): through a per-tenant partial HNSW index (settle_index_name, `WHERE tenant_id = T AND
-- model = NEW`, built CONCURRENTLY before the cutover by `cogdb model migrate` and dropped
-- when the rows have settled); a partial index per tenant serves as the tenant's own without
-- partitioning the table. A tenant in memories_default has its rows swapped by the cutover
-- (cogdb.cut_over_model_migration).
-- A row is visible when its memory is (policy memory_embeddings__visible_memory: a private
-- memory's vectors to its owner only); the migration's definer functions, run by an admin
-- inside the fence, handle every user's rows (memory_embeddings__migration, cogdb_owner).
CREATE TABLE cogdb.memory_embeddings (
    tenant_id   uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    memory_id   text NOT NULL,
    model       text NOT NULL REFERENCES cogdb.embedding_models (name),
    -- Any dimensions of a registered model: the functions that write it check them.
    embedding   public.vector NOT NULL CHECK (public.vector_norm(embedding) > 0),
    embedded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, memory_id, model),
    FOREIGN KEY (tenant_id, memory_id) REFERENCES cogdb.memories (tenant_id, id)
        ON DELETE CASCADE
);
-- The vectors of a 1024-d model are 4 kB: keep them inline, not TOASTed or compressed.
ALTER TABLE cogdb.memory_embeddings ALTER COLUMN embedding SET STORAGE PLAIN;
ALTER TABLE cogdb.memory_embeddings ALTER COLUMN memory_id SET STATISTICS 0;
-- No statistics on tenant_id: EXPLAIN (any login with SELECT) would estimate another
-- tenant's row count from them (docs/trust-model.md, known limits).
ALTER TABLE cogdb.memory_embeddings ALTER COLUMN tenant_id SET STATISTICS 0;
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.memory_id || '/' || r.model.
CREATE TRIGGER memory_embeddings_audit_inserts AFTER INSERT ON cogdb.memory_embeddings
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.memory_id || ''/'' || r.model');
CREATE TRIGGER memory_embeddings_audit_updates AFTER UPDATE ON cogdb.memory_embeddings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.memory_id || ''/'' || r.model');
CREATE TRIGGER memory_embeddings_audit_deletes AFTER DELETE ON cogdb.memory_embeddings
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.memory_id || ''/'' || r.model');
ALTER TABLE cogdb.memory_embeddings ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.memory_embeddings FORCE ROW LEVEL SECURITY;
-- The app reads the vectors of the memories it sees and writes none directly: the cutover
-- makes these vectors the memories' own, so a write goes through cogdb.remember_embeddings
-- (definer), which takes them only for memories the context user may change; everything
-- else is the migration's definer functions.
GRANT SELECT ON cogdb.memory_embeddings TO cogdb_app;
COMMENT ON TABLE cogdb.memory_embeddings IS
    'A memory''s vector of a second model while its tenant re-embeds (cogdb model migrate): the new model''s before the cutover, the old one''s after it until cleanup. Fenced by tenant (RLS); visible when the memory is.';
