DROP TRIGGER memories_check_batch_updates ON cogdb.memories;
DROP TRIGGER memories_check_batch_inserts ON cogdb.memories;
DROP INDEX cogdb.memories_tenant_created_idx;
ALTER TABLE cogdb.memories DROP COLUMN metadata;
-- Back to a text[]: a list's strings, an object's keys. (A helper in schema cogdb, dropped
-- again: cogdb_owner may not create temporary objects in a secured database.)
CREATE FUNCTION cogdb.tags_array_0005(tags jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(tags)
           WHEN 'array' THEN ARRAY(SELECT jsonb_array_elements_text(tags))
           ELSE ARRAY(SELECT jsonb_object_keys(tags)) END $$;
ALTER TABLE cogdb.memories DROP CONSTRAINT memories_tags_check;
ALTER TABLE cogdb.memories ALTER COLUMN tags DROP DEFAULT,
    ALTER COLUMN tags TYPE text[] USING cogdb.tags_array_0005(tags),
    ALTER COLUMN tags SET DEFAULT '{}';
DROP FUNCTION cogdb.tags_array_0005(jsonb);
ALTER TABLE cogdb.memories ADD CONSTRAINT memories_tags_check
    CHECK (cardinality(tags) <= 64 AND array_ndims(tags) IS DISTINCT FROM 2);
ALTER TABLE cogdb.memories DROP CONSTRAINT memories_visibility_check;
ALTER TABLE cogdb.memories
    ADD CONSTRAINT memories_visibility_check
        CHECK (visibility = ANY (cogdb.allowed_values('visibility'))),
    ADD CONSTRAINT memories_context_type_check
        CHECK (context_type = ANY (cogdb.allowed_values('context_type'))),
    ADD CONSTRAINT memories_source_check CHECK (source = ANY (cogdb.allowed_values('source'))),
    ADD CONSTRAINT memories_intent_type_check
        CHECK (intent_type = ANY (cogdb.allowed_values('intent_type'))),
    ADD CONSTRAINT memories_complexity_check
        CHECK (complexity = ANY (cogdb.allowed_values('complexity'))),
    ADD CONSTRAINT memories_emotional_valence_check
        CHECK (emotional_valence = ANY (cogdb.allowed_values('emotional_valence'))),
    ADD CONSTRAINT memories_urgency_check CHECK (urgency = ANY (cogdb.allowed_values('urgency'))),
    ADD CONSTRAINT memories_conversation_mode_check
        CHECK (conversation_mode = ANY (cogdb.allowed_values('conversation_mode')));
