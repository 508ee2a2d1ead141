-- The user a GDPR function acts on: user_id parsed, CGV01 naming the field when it is
-- missing or not a UUID. The user need not exist any more: erasing or exporting an erased
-- user is harmless and finds nothing.
CREATE OR REPLACE FUNCTION cogdb.gdpr_user(user_id text) RETURNS uuid
    LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_user uuid := cogdb.parse_uuid(user_id, 'user_id');
BEGIN
    IF v_user IS NULL THEN
        RAISE EXCEPTION 'user_id is required'
            USING ERRCODE = 'CGV01', COLUMN = 'user_id',
                  HINT = 'Pass the user''s id (UUID); list them with `cogdb user list --tenant <tenant>`.';
    END IF;
    RETURN v_user;
END
$$;

REVOKE ALL ON FUNCTION cogdb.gdpr_user(text) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.gdpr_user(text) IS
    'The user a GDPR function acts on: user_id parsed, CGV01 naming the field when missing.';
