DROP INDEX cogdb.memories_tenant_model_visibility_idx;
CREATE INDEX memories_tenant_model_visibility_idx
    ON cogdb.memories (tenant_id, model, visibility, owner_user_id) INCLUDE (expires_at);
ALTER TABLE cogdb.memories DROP COLUMN anonymised_at;
