-- Vocabularies become data (the table comes from sql/tables/vocabularies.sql): the values
-- allowed_values() had as code, in the same order.
INSERT INTO cogdb.vocabularies (field, value, added_at)
SELECT f.field, v.value, timestamptz '2026-11-21 00:00:00+00' + make_interval(secs => v.n)
  FROM (VALUES ('context_type'), ('source'), ('intent_type'), ('complexity'),
               ('emotional_valence'), ('urgency'), ('conversation_mode')) AS f(field),
       unnest(cogdb.allowed_values(f.field)) WITH ORDINALITY AS v(value, n);

-- Which embedder produces a model's vectors from text (see register_model).
ALTER TABLE cogdb.embedding_models ADD COLUMN embedder text;
UPDATE cogdb.embedding_models SET embedder = 'hash' WHERE name = 'cogdb-hash-384';
