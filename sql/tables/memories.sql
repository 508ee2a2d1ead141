-- The seeds' MemoryNode, plus owner, visibility, context type, summary, expiry, metadata, the
-- session it was made in, and the embedding with its model. The CHECK constraints hold the rules declaratively; the
-- check_memory_row trigger checks what a CHECK cannot (the context, the embedding's
-- dimensions for its model) and explains every refusal with the field's name; the
-- check_memory_batch statement trigger checks enumerated fields against cogdb.vocabularies
-- and the shape of tags, once per statement.
-- Per-tenant ANN indexes (memories_ann_<hash>) are created and dropped by `cogdb maintain`
-- (cogdb.plan_maintenance), not here.
CREATE TABLE cogdb.memories (
    tenant_id          uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    -- length + an unbounded class: the same rule as {0,127}, whose bounded repetition made
    -- PostgreSQL's regex engine spend ~35 us per row.
    id                 text NOT NULL
                       CHECK (length(id) <= 128 AND id ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]*$'),
    owner_user_id      uuid DEFAULT cogdb.current_user_id(),
    visibility         text NOT NULL DEFAULT 'tenant' CHECK (visibility IN ('private', 'tenant')),
    conversation_id    text CHECK (length(conversation_id) <= 255),
    sequence_index     integer NOT NULL DEFAULT 0 CHECK (sequence_index >= 0),
    human_content      text NOT NULL DEFAULT '' CHECK (length(human_content) <= 100000),
    assistant_content  text NOT NULL DEFAULT '' CHECK (length(assistant_content) <= 100000),
    summary            text CHECK (length(summary) <= 10000),
    -- context_type, source, intent_type, complexity, emotional_valence, urgency and
    -- conversation_mode take the values of their vocabulary (check_memory_batch).
    context_type       text NOT NULL DEFAULT 'conversation',
    source             text NOT NULL DEFAULT 'api',
    created_at         timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz CHECK (expires_at > created_at),
    intent_type        text,
    complexity         text,
    technical_depth    smallint CHECK (technical_depth BETWEEN 0 AND 10),
    emotional_valence  text,
    urgency            text,
    conversation_mode  text,
    action_required    boolean NOT NULL DEFAULT false,
    has_code           boolean NOT NULL DEFAULT false,
    has_error          boolean NOT NULL DEFAULT false,
    -- A list of strings or an object, kept in the shape it was given (the seeds' stores
    -- use objects); the tag filter matches a list's strings and an object's keys.
    tags               jsonb NOT NULL DEFAULT '[]'
                       CHECK (jsonb_typeof(tags) IN ('array', 'object') AND pg_column_size(tags) <= 16384),
    cluster_id         integer NOT NULL DEFAULT -1 CHECK (cluster_id >= -1),
    cluster_label      text CHECK (length(cluster_label) <= 255),
    cluster_confidence real CHECK (cluster_confidence BETWEEN 0 AND 1),
    access_count       integer NOT NULL DEFAULT 0 CHECK (access_count >= 0),
    last_accessed      timestamptz,
    model              text NOT NULL REFERENCES cogdb.embedding_models (name),
    -- Full precision, any dimensions of a registered model (checked by check_memory_row);
    -- per-model ANN indexes cast it to vector(dims) in their expression.
    embedding          public.vector NOT NULL CHECK (public.vector_norm(embedding) > 0),
    -- An object whose top-level keys search and list filter ($eq $ne $gt $gte $lt $lte $in).
    metadata           jsonb NOT NULL DEFAULT '{}' CONSTRAINT memories_metadata_check
                       CHECK (jsonb_typeof(metadata) = 'object' AND pg_column_size(metadata) <= 65536),
    -- The session it was made in, if any (check_memory_row: one the context can see).
    session_id         uuid,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id) REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    -- Deleting a user clears the owner of their shared memories (their private ones are
    -- deleted first by purge_private_memories); SET NULL names the user column only.
    FOREIGN KEY (tenant_id, owner_user_id) REFERENCES cogdb.users (tenant_id, id)
        ON DELETE SET NULL (owner_user_id),
    -- NO ACTION, checked at the end of the statement: deleting a tenant removes both.
    FOREIGN KEY (tenant_id, session_id) REFERENCES cogdb.sessions (tenant_id, id),
    CONSTRAINT memories_private_has_owner CHECK (visibility = 'tenant' OR owner_user_id IS NOT NULL),
    CONSTRAINT memories_has_content CHECK (human_content <> '' OR assistant_content <> '')
)
-- A 1024-d row is over 4 kB: keep rows inline up to a page instead of moving their text to
-- TOAST at the default 2 kB (a TOAST insert per row on import, a detoast per read).
WITH (toast_tuple_target = 8160);
CREATE INDEX memories_tenant_conversation_idx
    ON cogdb.memories (tenant_id, conversation_id, sequence_index);
CREATE INDEX memories_tenant_owner_idx ON cogdb.memories (tenant_id, owner_user_id);
-- `cogdb list`: newest first within the tenant, paged by (created_at, id).
CREATE INDEX memories_tenant_created_idx ON cogdb.memories (tenant_id, created_at DESC, id DESC);
-- A session's memories in the order they were made (session_memories, search_sessions).
CREATE INDEX memories_tenant_session_idx ON cogdb.memories (tenant_id, session_id, created_at, id)
    WHERE session_id IS NOT NULL;
-- Lets search count a caller's visible candidates (tenant, model, visibility, owner, expiry)
-- from the index alone, without visiting the heap.
CREATE INDEX memories_tenant_model_visibility_idx
    ON cogdb.memories (tenant_id, model, visibility, owner_user_id) INCLUDE (expires_at);
-- The vectors of a 1024-d model are 4 kB: keep them inline, not TOASTed or compressed.
ALTER TABLE cogdb.memories ALTER COLUMN embedding SET STORAGE PLAIN;
-- No value statistics for content columns: the planner's estimates (visible through EXPLAIN
-- to every login) would otherwise reflect other tenants' text.
ALTER TABLE cogdb.memories ALTER COLUMN id SET STATISTICS 0;
ALTER TABLE cogdb.memories ALTER COLUMN human_content SET STATISTICS 0;
ALTER TABLE cogdb.memories ALTER COLUMN assistant_content SET STATISTICS 0;
ALTER TABLE cogdb.memories ALTER COLUMN summary SET STATISTICS 0;
ALTER TABLE cogdb.memories ALTER COLUMN conversation_id SET STATISTICS 0;
ALTER TABLE cogdb.memories ALTER COLUMN tags SET STATISTICS 0;
ALTER TABLE cogdb.memories ALTER COLUMN cluster_label SET STATISTICS 0;
ALTER TABLE cogdb.memories ALTER COLUMN metadata SET STATISTICS 0;
CREATE TRIGGER memories_check_row BEFORE INSERT OR UPDATE ON cogdb.memories
    FOR EACH ROW EXECUTE FUNCTION cogdb.check_memory_row();
CREATE TRIGGER memories_check_batch_inserts AFTER INSERT ON cogdb.memories
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.check_memory_batch();
CREATE TRIGGER memories_check_batch_updates AFTER UPDATE ON cogdb.memories
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.check_memory_batch();
CREATE TRIGGER memories_count_inserts AFTER INSERT ON cogdb.memories
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_memory_changes();
CREATE TRIGGER memories_count_deletes AFTER DELETE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_memory_changes();
CREATE TRIGGER memories_count_updates AFTER UPDATE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_memory_changes();
-- Hybrid search's full-text index and the tenant statistics (owner-only tables, kept by
-- definer statement triggers).
CREATE TRIGGER memories_index_text_inserts AFTER INSERT ON cogdb.memories
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.index_text();
CREATE TRIGGER memories_index_text_updates AFTER UPDATE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.index_text();
CREATE TRIGGER memories_stats_inserts AFTER INSERT ON cogdb.memories
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
CREATE TRIGGER memories_stats_deletes AFTER DELETE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
CREATE TRIGGER memories_stats_updates AFTER UPDATE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
ALTER TABLE cogdb.memories ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.memories FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON cogdb.memories TO cogdb_app;
COMMENT ON TABLE cogdb.memories IS
    'Memories: the seeds'' MemoryNode with its owner, visibility, tags, metadata, expiry and embedding. Fenced by tenant (RLS).';
