-- The relationship types of the context's tenant: the five built in, then the registered
-- ones in the order they were registered. No context: the built-in ones only.
CREATE OR REPLACE FUNCTION cogdb.list_relationship_types()
    RETURNS TABLE (name text, builtin boolean, exclusive boolean, description text,
                   created_at timestamptz)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT x.name, x.builtin, x.exclusive, x.description, x.created_at FROM (
        SELECT b.name, true AS builtin, false AS exclusive, 'built in' AS description,
               NULL::timestamptz AS created_at, b.n AS position
          FROM unnest(cogdb.builtin_relationship_types()) WITH ORDINALITY AS b(name, n)
        UNION ALL
        SELECT t.name, false, t.exclusive, t.description, t.created_at, NULL
          FROM cogdb.relationship_types t) x
     ORDER BY x.position NULLS LAST, x.created_at, x.name
$$;

REVOKE ALL ON FUNCTION cogdb.list_relationship_types() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_relationship_types() TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_relationship_types() IS
    'The relationship types of the context''s tenant: the five built in, then the registered ones.';
