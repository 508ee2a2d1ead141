-- Memories name the session they were made in (the table comes from sql/tables/sessions.sql,
-- applied before this step); check_memory_row checks it is one the context can see.
ALTER TABLE cogdb.memories ADD COLUMN session_id uuid;
ALTER TABLE cogdb.memories ADD FOREIGN KEY (tenant_id, session_id)
    REFERENCES cogdb.sessions (tenant_id, id);
CREATE INDEX memories_tenant_session_idx ON cogdb.memories (tenant_id, session_id, created_at, id)
    WHERE session_id IS NOT NULL;
-- Offloaded contexts are memories of their own context type (offload_context).
INSERT INTO cogdb.vocabularies (field, value, description)
VALUES ('context_type', 'offload', 'a large context kept whole and compressed (offload_context)')
ON CONFLICT (field, value) DO NOTHING;
