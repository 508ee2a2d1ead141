-- The seeds' MemoryNode, plus owner, visibility, context type, summary, expiry, metadata, the
-- session it was made in, and the embedding with its model. The CHECK constraints hold the
-- rules declaratively; the check_memory_row trigger explains a refusal with the field's name
-- (it runs only for a row that some rule refuses or that names a session: see its WHEN) and
-- checks what a CHECK cannot (the context, a session the context can see);
-- check_memory_batch checks, once per statement, the embedding's dimensions for its model,
-- enumerated fields against cogdb.vocabularies and the shape of tags.
--
-- Partitioned BY LIST (tenant_id): `cogdb maintain` moves a large tenant into a partition of
-- its own (memories_p_<hash>, with its own HNSW index memories_ann_<hash>; runtime objects,
-- not defined here); every other tenant lives in memories_default. The policies are the
-- parent's: a query through cogdb.memories is fenced whatever partition it reads. The
-- partitions grant nothing to anyone but the owner and have row security enabled without a
-- policy, so nobody else can read them directly. Name the tenant in every query
-- (`WHERE tenant_id = '<uuid>'`): the planner then reads one partition; a query that relies
-- on the fence alone plans (and locks) every partition.
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
    -- Deferred: an unknown model is refused first by check_memory_batch, which names it (CGV02).
    model              text NOT NULL REFERENCES cogdb.embedding_models (name)
                       DEFERRABLE INITIALLY DEFERRED,
    -- Full precision, any dimensions of a registered model (checked by check_memory_batch);
    -- per-tenant ANN indexes cast it to vector(dims) in their expression.
    embedding          public.vector NOT NULL CHECK (public.vector_norm(embedding) > 0),
    -- An object whose top-level keys search and list filter ($eq $ne $gt $gte $lt $lte $in).
    metadata           jsonb NOT NULL DEFAULT '{}' CONSTRAINT memories_metadata_check
                       CHECK (jsonb_typeof(metadata) = 'object' AND pg_column_size(metadata) <= 65536),
    -- The session it was made in, if any (check_memory_row: one the context can see).
    session_id         uuid,
    -- When the retention purge anonymised it (policy action 'anonymise'): its text, summary,
    -- conversation, tags, metadata, cluster label and embedding were blanked. An anonymised
    -- memory is exempt from its policy's max_age (memories__retained).
    anonymised_at      timestamptz,
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
) PARTITION BY LIST (tenant_id);
-- Every tenant without a partition of its own. A 1024-d row is over 4 kB: keep rows inline up
-- to a page instead of moving their text to TOAST at the default 2 kB (a TOAST insert per row
-- on import, a detoast per read); promoted partitions take the same storage parameters.
CREATE TABLE cogdb.memories_default PARTITION OF cogdb.memories DEFAULT
    WITH (toast_tuple_target = 8160);
CREATE INDEX memories_tenant_conversation_idx
    ON cogdb.memories (tenant_id, conversation_id, sequence_index);
CREATE INDEX memories_tenant_owner_idx ON cogdb.memories (tenant_id, owner_user_id);
-- `cogdb list`: newest first within the tenant, paged by (created_at, id).
CREATE INDEX memories_tenant_created_idx ON cogdb.memories (tenant_id, created_at DESC, id DESC);
-- A session's memories in the order they were made (session_memories, search_sessions).
CREATE INDEX memories_tenant_session_idx ON cogdb.memories (tenant_id, session_id, created_at, id)
    WHERE session_id IS NOT NULL;
-- Lets search count a caller's visible candidates from the index alone, without visiting the
-- heap: it holds every column the policies read (tenant, visibility, owner; expiry, age,
-- anonymised_at, context type and source for memories__retained).
CREATE INDEX memories_tenant_model_visibility_idx
    ON cogdb.memories (tenant_id, model, visibility, owner_user_id)
    INCLUDE (expires_at, created_at, anonymised_at, context_type, source);
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
-- The per-row explanation runs only for a row that would be refused (or needs its model
-- filled): the WHEN is every CHECK above plus the context's tenant and user, evaluated
-- without calling a function; a valid row costs no trigger call.
CREATE TRIGGER memories_check_row_inserts BEFORE INSERT ON cogdb.memories
    FOR EACH ROW WHEN ((
        NEW.tenant_id = cogdb.current_tenant_id()
        AND (NEW.owner_user_id IS NULL OR NEW.owner_user_id = cogdb.current_user_id())
        AND NEW.model IS NOT NULL AND NEW.embedding IS NOT NULL
        AND cogdb.vector_usable(NEW.embedding)
        AND NEW.source <> ALL (cogdb.chat_export_sources())
        AND length(NEW.id) <= 128 AND NEW.id ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]*$'
        AND NEW.visibility IN ('private', 'tenant')
        AND (NEW.visibility = 'tenant' OR NEW.owner_user_id IS NOT NULL)
        AND length(NEW.human_content) <= 100000 AND length(NEW.assistant_content) <= 100000
        AND (NEW.human_content <> '' OR NEW.assistant_content <> '')
        AND coalesce(length(NEW.summary) <= 10000, true)
        AND coalesce(length(NEW.conversation_id) <= 255, true)
        AND coalesce(length(NEW.cluster_label) <= 255, true)
        AND coalesce(NEW.technical_depth BETWEEN 0 AND 10, true)
        AND coalesce(NEW.cluster_confidence BETWEEN 0 AND 1, true)
        AND NEW.sequence_index >= 0 AND NEW.access_count >= 0 AND NEW.cluster_id >= -1
        AND coalesce(NEW.expires_at > NEW.created_at, true)
        AND jsonb_typeof(NEW.tags) IN ('array', 'object') AND pg_column_size(NEW.tags) <= 16384
        AND jsonb_typeof(NEW.metadata) = 'object' AND pg_column_size(NEW.metadata) <= 65536
        AND NEW.session_id IS NULL
        ) IS NOT TRUE)
    EXECUTE FUNCTION cogdb.check_memory_row();
CREATE TRIGGER memories_check_row_updates BEFORE UPDATE ON cogdb.memories
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
-- No statistics on tenant_id: EXPLAIN (any login with SELECT) would estimate another
-- tenant's row count from them (docs/trust-model.md, known limits).
ALTER TABLE cogdb.memories ALTER COLUMN tenant_id SET STATISTICS 0;
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id.
CREATE TRIGGER memories_audit_inserts AFTER INSERT ON cogdb.memories
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');
CREATE TRIGGER memories_audit_updates AFTER UPDATE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');
CREATE TRIGGER memories_audit_deletes AFTER DELETE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');
ALTER TABLE cogdb.memories ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.memories FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON cogdb.memories TO cogdb_app;
-- Enabled, no policy, no grants: only the owner reads a partition directly (maintain moves a
-- tenant's rows); not forced, so it can.
ALTER TABLE cogdb.memories_default ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON cogdb.memories_default FROM PUBLIC;
COMMENT ON TABLE cogdb.memories IS
    'Memories: the seeds'' MemoryNode with its owner, visibility, tags, metadata, expiry and embedding. Fenced by tenant (RLS).';
COMMENT ON TABLE cogdb.memories_default IS
    'The memories of every tenant without a partition of its own (cogdb maintain promotes large tenants out of it). No privileges but the owner''s: read it through cogdb.memories.';
