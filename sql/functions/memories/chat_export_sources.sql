-- The memory sources that come from providers' chat exports; the tenant setting
-- features.chat_import gates them (check_memory_row). Inlined where it is used.
CREATE OR REPLACE FUNCTION cogdb.chat_export_sources() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
AS $$ SELECT ARRAY['chatgpt_export', 'claude_export'] $$;

REVOKE ALL ON FUNCTION cogdb.chat_export_sources() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.chat_export_sources() TO cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.chat_export_sources() IS
    'The memory sources that come from providers'' chat exports.';
