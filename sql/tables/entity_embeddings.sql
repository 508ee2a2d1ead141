-- An entity's vector of a second model, kept beside the one in cogdb.entities while the
-- tenant re-embeds (`cogdb model migrate`, docs/scale-out.md "Re-embedding without
-- downtime"), as cogdb.memory_embeddings does for memories: during the migration the new
-- model's vectors, after the cutover the old model's, until `cogdb model cleanup` deletes
-- them. One row per entity and model; deleting the entity (forget_entity, a user's erasure,
-- the purge of private knowledge, a tenant's deletion) deletes its rows.
--
-- source_digest: md5 of the entity's embedding (as text) when this vector was made. An
-- entity's embedding can change during the migration (upsert_entity replaces it); a vector
-- of the new model made from the old state is then stale, and the cutover counts it as
-- missing (cogdb.cut_over_model_migration) until the final pass embeds the entity again.
--
-- Unpartitioned and without an ANN index: hybrid search scans the tenant's entities of the
-- query's model exactly, and reads cogdb.entities, whose rows the cutover swaps.
-- A row is visible when its entity is (policy entity_embeddings__visible_entity: a private
-- entity's vectors to its owner only); the migration's definer functions, run by an admin
-- inside the fence, handle every user's rows (entity_embeddings__migration, cogdb_owner).
CREATE TABLE cogdb.entity_embeddings (
    tenant_id     uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    entity_id     text NOT NULL,
    model         text NOT NULL REFERENCES cogdb.embedding_models (name),
    -- Any dimensions of a registered model: the functions that write it check them.
    embedding     public.vector NOT NULL CHECK (public.vector_norm(embedding) > 0),
    source_digest uuid NOT NULL,
    embedded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, entity_id, model),
    FOREIGN KEY (tenant_id, entity_id) REFERENCES cogdb.entities (tenant_id, id)
        ON DELETE CASCADE
);
ALTER TABLE cogdb.entity_embeddings ALTER COLUMN embedding SET STORAGE PLAIN;
ALTER TABLE cogdb.entity_embeddings ALTER COLUMN entity_id SET STATISTICS 0;
-- No statistics on tenant_id: EXPLAIN (any login with SELECT) would estimate another
-- tenant's row count from them (docs/trust-model.md, known limits).
ALTER TABLE cogdb.entity_embeddings ALTER COLUMN tenant_id SET STATISTICS 0;
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.entity_id || '/' || r.model.
CREATE TRIGGER entity_embeddings_audit_inserts AFTER INSERT ON cogdb.entity_embeddings
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.entity_id || ''/'' || r.model');
CREATE TRIGGER entity_embeddings_audit_updates AFTER UPDATE ON cogdb.entity_embeddings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.entity_id || ''/'' || r.model');
CREATE TRIGGER entity_embeddings_audit_deletes AFTER DELETE ON cogdb.entity_embeddings
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.entity_id || ''/'' || r.model');
ALTER TABLE cogdb.entity_embeddings ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.entity_embeddings FORCE ROW LEVEL SECURITY;
-- The app reads the vectors of the entities it sees and writes none directly: the cutover
-- makes these vectors the entities' own, so a write goes through
-- cogdb.remember_entity_embeddings (definer), which takes them only for entities the context
-- user may change; everything else is the migration's definer functions.
GRANT SELECT ON cogdb.entity_embeddings TO cogdb_app;
COMMENT ON TABLE cogdb.entity_embeddings IS
    'An entity''s vector of a second model while its tenant re-embeds (cogdb model migrate): the new model''s before the cutover, the old one''s after it until cleanup. Fenced by tenant (RLS); visible when the entity is.';
