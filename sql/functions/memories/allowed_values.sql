-- The values a memory's enumerated field accepts, in the order they were added (NULL for a
-- field that is not enumerated). visibility is fixed (private, tenant); the other fields
-- read cogdb.vocabularies, which an admin extends with cogdb.add_vocabulary().
CREATE OR REPLACE FUNCTION cogdb.allowed_values(field text) RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN field = 'visibility' THEN ARRAY['private', 'tenant']
                ELSE (SELECT array_agg(v.value ORDER BY v.added_at, v.value)
                        FROM cogdb.vocabularies v WHERE v.field = allowed_values.field) END
$$;

REVOKE ALL ON FUNCTION cogdb.allowed_values(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.allowed_values(text) TO cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.allowed_values(text) IS
    'The values a memory''s enumerated field accepts, in the order they were added (NULL for a field that is not enumerated).';
