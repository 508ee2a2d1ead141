-- Memories that were offload memories keep that context type, no longer in the vocabulary.
DELETE FROM cogdb.vocabularies WHERE field = 'context_type' AND value = 'offload';
DROP INDEX cogdb.memories_tenant_session_idx;
ALTER TABLE cogdb.memories DROP CONSTRAINT memories_tenant_id_session_id_fkey;
ALTER TABLE cogdb.memories DROP COLUMN session_id;
