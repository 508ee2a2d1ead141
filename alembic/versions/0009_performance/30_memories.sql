-- An unknown model is refused by check_memory_batch, which names it (CGV02), before the
-- foreign key would: the key is checked at COMMIT.
ALTER TABLE cogdb.memories ALTER CONSTRAINT memories_model_fkey DEFERRABLE INITIALLY DEFERRED;
-- The per-row explanation runs on INSERT only for a row that a rule refuses, that leaves out
-- its model or that names a session (whose visibility it checks); check_memory_batch checks
-- dimensions, vocabularies and tags per statement.
DROP TRIGGER memories_check_row ON cogdb.memories;
CREATE TRIGGER memories_check_row_inserts BEFORE INSERT ON cogdb.memories
    FOR EACH ROW WHEN ((
        NEW.tenant_id = cogdb.current_tenant_id()
        AND (NEW.owner_user_id IS NULL OR NEW.owner_user_id = cogdb.current_user_id())
        AND NEW.model IS NOT NULL AND NEW.embedding IS NOT NULL
        AND public.vector_norm(NEW.embedding) > 0
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
