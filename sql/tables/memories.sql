-- The seeds' MemoryNode, plus owner, visibility, context type, summary, expiry and the
-- embedding with its model. The CHECK constraints hold the rules declaratively; the
-- check_memory_row trigger checks what a CHECK cannot (the context, the embedding's
-- dimensions for its model) and explains every refusal with the field's name.
-- Per-tenant ANN indexes (memories_ann_<hash>) are created and dropped by `cogdb maintain`
-- (cogdb.plan_maintenance), not here.
CREATE TABLE cogdb.memories (
    tenant_id          uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    -- length + an unbounded class: the same rule as {0,127}, whose bounded repetition made
    -- PostgreSQL's regex engine spend ~35 us per row.
    id                 text NOT NULL
                       CHECK (length(id) <= 128 AND id ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]*$'),
    owner_user_id      uuid DEFAULT cogdb.current_user_id(),
    visibility         text NOT NULL DEFAULT 'tenant'
                       CHECK (visibility = ANY (cogdb.allowed_values('visibility'))),
    conversation_id    text CHECK (length(conversation_id) <= 255),
    sequence_index     integer NOT NULL DEFAULT 0 CHECK (sequence_index >= 0),
    human_content      text NOT NULL DEFAULT '' CHECK (length(human_content) <= 100000),
    assistant_content  text NOT NULL DEFAULT '' CHECK (length(assistant_content) <= 100000),
    summary            text CHECK (length(summary) <= 10000),
    context_type       text NOT NULL DEFAULT 'conversation'
                       CHECK (context_type = ANY (cogdb.allowed_values('context_type'))),
    source             text NOT NULL DEFAULT 'api'
                       CHECK (source = ANY (cogdb.allowed_values('source'))),
    created_at         timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz CHECK (expires_at > created_at),
    intent_type        text CHECK (intent_type = ANY (cogdb.allowed_values('intent_type'))),
    complexity         text CHECK (complexity = ANY (cogdb.allowed_values('complexity'))),
    technical_depth    smallint CHECK (technical_depth BETWEEN 0 AND 10),
    emotional_valence  text
                       CHECK (emotional_valence = ANY (cogdb.allowed_values('emotional_valence'))),
    urgency            text CHECK (urgency = ANY (cogdb.allowed_values('urgency'))),
    conversation_mode  text
                       CHECK (conversation_mode = ANY (cogdb.allowed_values('conversation_mode'))),
    action_required    boolean NOT NULL DEFAULT false,
    has_code           boolean NOT NULL DEFAULT false,
    has_error          boolean NOT NULL DEFAULT false,
    tags               text[] NOT NULL DEFAULT '{}'
                       CHECK (cardinality(tags) <= 64 AND array_ndims(tags) IS DISTINCT FROM 2),
    cluster_id         integer NOT NULL DEFAULT -1 CHECK (cluster_id >= -1),
    cluster_label      text CHECK (length(cluster_label) <= 255),
    cluster_confidence real CHECK (cluster_confidence BETWEEN 0 AND 1),
    access_count       integer NOT NULL DEFAULT 0 CHECK (access_count >= 0),
    last_accessed      timestamptz,
    model              text NOT NULL REFERENCES cogdb.embedding_models (name),
    -- Full precision, any dimensions of a registered model (checked by check_memory_row);
    -- per-model ANN indexes cast it to vector(dims) in their expression.
    embedding          public.vector NOT NULL CHECK (public.vector_norm(embedding) > 0),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id) REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    -- Deleting a user clears the owner of their shared memories (their private ones are
    -- deleted first by purge_private_memories); SET NULL names the user column only.
    FOREIGN KEY (tenant_id, owner_user_id) REFERENCES cogdb.users (tenant_id, id)
        ON DELETE SET NULL (owner_user_id),
    CONSTRAINT memories_private_has_owner CHECK (visibility = 'tenant' OR owner_user_id IS NOT NULL),
    CONSTRAINT memories_has_content CHECK (human_content <> '' OR assistant_content <> '')
)
-- A 1024-d row is over 4 kB: keep rows inline up to a page instead of moving their text to
-- TOAST at the default 2 kB (a TOAST insert per row on import, a detoast per read).
WITH (toast_tuple_target = 8160);
CREATE INDEX memories_tenant_conversation_idx
    ON cogdb.memories (tenant_id, conversation_id, sequence_index);
CREATE INDEX memories_tenant_owner_idx ON cogdb.memories (tenant_id, owner_user_id);
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
CREATE TRIGGER memories_check_row BEFORE INSERT OR UPDATE ON cogdb.memories
    FOR EACH ROW EXECUTE FUNCTION cogdb.check_memory_row();
CREATE TRIGGER memories_count_inserts AFTER INSERT ON cogdb.memories
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_memory_changes();
CREATE TRIGGER memories_count_deletes AFTER DELETE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_memory_changes();
CREATE TRIGGER memories_count_updates AFTER UPDATE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_memory_changes();
ALTER TABLE cogdb.memories ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.memories FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON cogdb.memories TO cogdb_app;
