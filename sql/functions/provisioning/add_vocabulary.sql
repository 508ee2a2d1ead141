-- Adds values to the vocabulary of an enumerated memory field and returns the field's
-- allowed values. Idempotent: values already there are kept as they are. Definer for
-- cogdb_admin: the app role cannot extend a vocabulary.
CREATE OR REPLACE FUNCTION cogdb.add_vocabulary(field text, new_values text[],
                                                description text DEFAULT NULL)
    RETURNS text[]
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_fields constant text[] := ARRAY['context_type', 'source', 'intent_type', 'complexity',
                                      'emotional_valence', 'urgency', 'conversation_mode'];
    v_bad text;
BEGIN
    IF field IS NULL OR NOT field = ANY (v_fields) THEN
        RAISE EXCEPTION 'field must be one of %, got %', array_to_string(v_fields, ', '),
                        coalesce(quote_literal(left(field, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'field',
                  HINT = 'visibility is fixed (private, tenant); the others take new values.';
    END IF;
    SELECT v INTO v_bad FROM unnest(new_values) v
     WHERE v IS NULL OR length(v) NOT BETWEEN 1 AND 50 OR v <> btrim(v) LIMIT 1;
    IF FOUND OR coalesce(cardinality(new_values), 0) = 0 THEN
        RAISE EXCEPTION 'values must be 1-50 characters without surrounding spaces, got %',
                        coalesce(quote_literal(v_bad), 'none')
            USING ERRCODE = 'CGV01', COLUMN = 'new_values',
                  HINT = 'e.g. cogdb vocabulary add source gemini';
    END IF;
    INSERT INTO cogdb.vocabularies AS v (field, value, description)
    SELECT field, u.value, description FROM unnest(new_values) WITH ORDINALITY AS u(value, n)
     ORDER BY u.n
    ON CONFLICT ON CONSTRAINT vocabularies_pkey DO NOTHING;
    RETURN cogdb.allowed_values(field);
END
$$;

REVOKE ALL ON FUNCTION cogdb.add_vocabulary(text, text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.add_vocabulary(text, text[], text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.add_vocabulary(text, text[], text) IS
    'Adds values to the vocabulary of an enumerated memory field and returns the field''s allowed values.';
