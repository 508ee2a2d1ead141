DROP TRIGGER memories_check_row_inserts ON cogdb.memories;
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
