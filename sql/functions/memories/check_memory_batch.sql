-- Statement trigger (AFTER INSERT, AFTER UPDATE; transition table new_rows): the checks
-- that read other tables or walk JSON, done once per statement over all its rows instead of
-- once per row: the model is registered and the embedding has its dimensions, every
-- enumerated field's value is in its vocabulary (cogdb.vocabularies), and tags are at most
-- 64 non-empty strings (a list) or keys (an object) of at most 100 characters. Refuses the
-- whole statement with CGV02 (model) or CGV01, naming the field, the value and the memory.
-- check_memory_row explains the per-row rules before a refused row is written.
CREATE OR REPLACE FUNCTION cogdb.check_memory_batch() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id text;
    v_field text;
    v_value text;
    v_dims integer;
    v_want integer;
BEGIN
    SELECT n.id, n.model, public.vector_dims(n.embedding), em.dimensions
      INTO v_id, v_value, v_dims, v_want
      FROM new_rows n LEFT JOIN cogdb.embedding_models em ON em.name = n.model
     WHERE em.dimensions IS DISTINCT FROM public.vector_dims(n.embedding)
     LIMIT 1;
    IF FOUND AND v_want IS NULL THEN
        RAISE EXCEPTION 'unknown embedding model % (memory %)', quote_literal(v_value), v_id
            USING ERRCODE = 'CGV02', COLUMN = 'model',
                  HINT = 'List models with: SELECT name, dimensions FROM cogdb.embedding_models;';
    ELSIF FOUND THEN
        RAISE EXCEPTION 'embedding has % dimensions; model % needs % (memory %)',
                        v_dims, quote_literal(v_value), v_want, v_id
            USING ERRCODE = 'CGV01', COLUMN = 'embedding',
                  HINT = 'Embed with the model named, or pass the model the vector came from.';
    END IF;

    SELECT n.id, f.field, f.value INTO v_id, v_field, v_value
      FROM new_rows n
     CROSS JOIN LATERAL (VALUES ('context_type', n.context_type), ('source', n.source),
                                ('intent_type', n.intent_type), ('complexity', n.complexity),
                                ('emotional_valence', n.emotional_valence),
                                ('urgency', n.urgency),
                                ('conversation_mode', n.conversation_mode)) AS f(field, value)
     WHERE f.value IS NOT NULL
       AND NOT EXISTS (SELECT FROM cogdb.vocabularies v
                        WHERE v.field = f.field AND v.value = f.value)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '% must be one of %, got % (memory %)', v_field,
                        array_to_string(cogdb.allowed_values(v_field), ', '),
                        quote_literal(left(v_value, 60)), v_id
            USING ERRCODE = 'CGV01', COLUMN = v_field,
                  HINT = format('An admin can accept it: cogdb vocabulary add %s %s '
                                '(SELECT cogdb.add_vocabulary(%L, ARRAY[%L]))',
                                v_field, left(v_value, 50), v_field, left(v_value, 50));
    END IF;

    SELECT n.id INTO v_id
      FROM new_rows n
     WHERE n.tags <> '[]'::jsonb
       AND CASE jsonb_typeof(n.tags)
           WHEN 'array' THEN jsonb_array_length(n.tags) > 64
                OR EXISTS (SELECT FROM jsonb_array_elements(n.tags) e
                            WHERE jsonb_typeof(e) <> 'string'
                               OR length(e #>> '{}') NOT BETWEEN 1 AND 100)
           ELSE (SELECT count(*) > 64 OR bool_or(length(k) NOT BETWEEN 1 AND 100)
                   FROM jsonb_object_keys(n.tags) k) END
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'tags must be a list of at most 64 non-empty strings, or an object of '
                        'at most 64 keys, each of at most 100 characters (memory %)', v_id
            USING ERRCODE = 'CGV01', COLUMN = 'tags',
                  HINT = 'e.g. ["ops", "deploy"] or {"project": "billing", "reviewed": true}';
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_memory_batch() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.check_memory_batch() IS
    'Statement trigger on memories: checks every written row''s model and embedding dimensions, enumerated fields against the vocabularies, and tags, once per statement.';
