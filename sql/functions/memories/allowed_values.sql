-- The values a memory's enumerated field accepts (NULL for a field that is not enumerated).
-- One source of truth for the CHECK constraints on cogdb.memories and the messages of
-- check_memory_row(); adding a value is a new revision that replaces this function.
CREATE OR REPLACE FUNCTION cogdb.allowed_values(field text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT CASE field
        WHEN 'visibility'        THEN ARRAY['private', 'tenant']
        WHEN 'context_type'      THEN ARRAY['conversation', 'fact', 'entity', 'document', 'note']
        WHEN 'source'            THEN ARRAY['assistant', 'api', 'manual', 'import',
                                            'chatgpt_export', 'claude_export']
        WHEN 'intent_type'       THEN ARRAY['question', 'request', 'statement', 'command',
                                            'feedback', 'greeting', 'other']
        WHEN 'complexity'        THEN ARRAY['simple', 'moderate', 'complex']
        WHEN 'emotional_valence' THEN ARRAY['positive', 'neutral', 'negative', 'mixed']
        WHEN 'urgency'           THEN ARRAY['low', 'medium', 'high', 'critical']
        WHEN 'conversation_mode' THEN ARRAY['chat', 'task', 'debug', 'brainstorm', 'learning',
                                            'review', 'other']
    END
$$;

REVOKE ALL ON FUNCTION cogdb.allowed_values(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.allowed_values(text) TO cogdb_app, cogdb_admin, cogdb_auditor;
