-- The uuid in `value`, or NULL for NULL; raises invalid_input (CGV01) naming `field` otherwise.
-- Lets set_context and the admin functions take text and say which argument was wrong.
CREATE OR REPLACE FUNCTION cogdb.parse_uuid(value text, field text) RETURNS uuid
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    -- Exactly what the uuid cast accepts in the usual layout, nothing around it: no spaces,
    -- and braces only as a pair (either slipped through to the cast's 22P02, without a field).
    IF value !~* '^(\{[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}|[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12})$' THEN
        RAISE EXCEPTION '% must be a UUID, got %', field, quote_literal(left(value, 60))
            USING ERRCODE = 'CGV01', COLUMN = field,
                  HINT = 'Pass the id printed by create_tenant/create_user, e.g. 6f1c…-…';
    END IF;
    RETURN value::uuid;
END
$$;

REVOKE ALL ON FUNCTION cogdb.parse_uuid(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.parse_uuid(text, text) TO cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.parse_uuid(text, text) IS
    'The uuid in value (NULL for NULL), or CGV01 naming the field.';
