-- A tenant's settings with the defaults of its mode filled in: {"features": {"chat_import":
-- …}}. chat_import defaults to on for personal tenants and off for enterprise tenants.
-- The one place that knows the defaults; check_memory_row and list_tenants read it.
CREATE OR REPLACE FUNCTION cogdb.effective_settings(mode text, settings jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT coalesce(settings, '{}'::jsonb) || jsonb_build_object('features',
        coalesce(settings -> 'features', '{}'::jsonb) || jsonb_build_object('chat_import',
            coalesce(settings #> '{features,chat_import}', to_jsonb(mode = 'personal'))))
$$;

REVOKE ALL ON FUNCTION cogdb.effective_settings(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.effective_settings(text, jsonb) TO cogdb_app, cogdb_admin;
COMMENT ON FUNCTION cogdb.effective_settings(text, jsonb) IS
    'A tenant''s settings with the defaults of its mode filled in (chat_import: on for personal, off for enterprise).';
