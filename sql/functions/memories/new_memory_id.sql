-- A fresh server-made memory id: 'mem_' and 32 hex digits of a random UUID.
-- Imported ids (the seeds' mem_<hash>) are kept as given; both share the id format check.
CREATE OR REPLACE FUNCTION cogdb.new_memory_id() RETURNS text
    LANGUAGE sql VOLATILE PARALLEL SAFE SECURITY INVOKER
AS $$ SELECT 'mem_' || pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', '') $$;

REVOKE ALL ON FUNCTION cogdb.new_memory_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.new_memory_id() TO cogdb_app;
COMMENT ON FUNCTION cogdb.new_memory_id() IS
    'A fresh server-made memory id: mem_ and 32 hex digits.';
