-- Enumerated fields are checked against cogdb.vocabularies once per statement
-- (check_memory_batch); their CHECKs called allowed_values(), which now reads that table.
ALTER TABLE cogdb.memories
    DROP CONSTRAINT memories_context_type_check, DROP CONSTRAINT memories_source_check,
    DROP CONSTRAINT memories_intent_type_check, DROP CONSTRAINT memories_complexity_check,
    DROP CONSTRAINT memories_emotional_valence_check, DROP CONSTRAINT memories_urgency_check,
    DROP CONSTRAINT memories_conversation_mode_check, DROP CONSTRAINT memories_visibility_check,
    DROP CONSTRAINT memories_tags_check;
ALTER TABLE cogdb.memories ADD CONSTRAINT memories_visibility_check
    CHECK (visibility IN ('private', 'tenant'));
-- Tags keep the shape they were given: a list of strings, or an object (the seeds' stores).
-- A list stays the same list. Rewrites the table.
ALTER TABLE cogdb.memories ALTER COLUMN tags DROP DEFAULT,
    ALTER COLUMN tags TYPE jsonb USING to_jsonb(tags),
    ALTER COLUMN tags SET DEFAULT '[]';
ALTER TABLE cogdb.memories ADD CONSTRAINT memories_tags_check
    CHECK (jsonb_typeof(tags) IN ('array', 'object') AND pg_column_size(tags) <= 16384);
-- Metadata: an object whose top-level keys search and list filter ($eq … $in).
ALTER TABLE cogdb.memories ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}'
    CONSTRAINT memories_metadata_check
    CHECK (jsonb_typeof(metadata) = 'object' AND pg_column_size(metadata) <= 65536);
ALTER TABLE cogdb.memories ALTER COLUMN metadata SET STATISTICS 0;
-- `cogdb list`: newest first within the tenant, paged by (created_at, id).
CREATE INDEX memories_tenant_created_idx ON cogdb.memories (tenant_id, created_at DESC, id DESC);
CREATE TRIGGER memories_check_batch_inserts AFTER INSERT ON cogdb.memories
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.check_memory_batch();
CREATE TRIGGER memories_check_batch_updates AFTER UPDATE ON cogdb.memories
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.check_memory_batch();
