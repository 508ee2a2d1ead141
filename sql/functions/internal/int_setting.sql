-- The integer value of a global setting in cogdb.settings (NULL if unset).
-- Search thresholds live there, not in GUCs: the app could change a GUC, and ALTER DATABASE
-- SET is not copied to template clones.
CREATE OR REPLACE FUNCTION cogdb.int_setting(key text) RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT (s.value #>> '{}')::integer FROM cogdb.settings s WHERE s.key = int_setting.key $$;

REVOKE ALL ON FUNCTION cogdb.int_setting(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.int_setting(text) TO cogdb_app, cogdb_admin;
COMMENT ON FUNCTION cogdb.int_setting(text) IS
    'The integer value of a global setting in cogdb.settings (NULL if unset).';
