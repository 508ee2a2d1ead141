-- When the retention purge anonymised a memory (NULL: never). A new nullable column without
-- a default: no rewrite of the table or its partitions.
ALTER TABLE cogdb.memories ADD COLUMN anonymised_at timestamptz;
-- memories__retained reads created_at, anonymised_at, context_type and source besides
-- expires_at: the index that lets search count visible candidates without the heap includes
-- them. Rebuilt on every partition, in the migration's transaction (writes to memories wait
-- for it: on a large deployment, migrate at a quiet time).
DROP INDEX cogdb.memories_tenant_model_visibility_idx;
CREATE INDEX memories_tenant_model_visibility_idx
    ON cogdb.memories (tenant_id, model, visibility, owner_user_id)
    INCLUDE (expires_at, created_at, anonymised_at, context_type, source);
