-- The allowed values of each enumerated memory field (global, like embedding_models): the
-- seeds' applications keep these as their own enums, so they are data an admin extends
-- (cogdb.add_vocabulary), not code. Values are never removed: stored memories use them.
-- Checked for every written row by the statement trigger check_memory_batch. visibility is
-- not a vocabulary: the policies give its two values their meaning.
CREATE TABLE cogdb.vocabularies (
    field       text NOT NULL CHECK (field IN ('context_type', 'source', 'intent_type',
                                               'complexity', 'emotional_valence', 'urgency',
                                               'conversation_mode')),
    value       text NOT NULL CHECK (length(value) BETWEEN 1 AND 50 AND value = btrim(value)),
    description text,
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (field, value)
);
GRANT SELECT ON cogdb.vocabularies TO cogdb_app, cogdb_admin;
COMMENT ON TABLE cogdb.vocabularies IS
    'The allowed values of each enumerated memory field; admins extend them (cogdb.add_vocabulary).';
