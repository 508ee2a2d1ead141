-- The relationship types every tenant has (the seeds' five); none of them is exclusive.
-- Tenants register more with cogdb.register_relationship_type.
CREATE OR REPLACE FUNCTION cogdb.builtin_relationship_types() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT ARRAY['led_to', 'relates_to', 'depends_on', 'produces', 'belongs_to'] $$;

REVOKE ALL ON FUNCTION cogdb.builtin_relationship_types() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.builtin_relationship_types() TO cogdb_app;
COMMENT ON FUNCTION cogdb.builtin_relationship_types() IS
    'The relationship types every tenant has: led_to, relates_to, depends_on, produces, belongs_to.';
