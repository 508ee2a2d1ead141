-- The vocabularies of the enumerated memory fields (one field, or all), with visibility's
-- two fixed values first. What `cogdb vocabulary list` prints.
CREATE OR REPLACE FUNCTION cogdb.list_vocabulary(field text DEFAULT NULL)
    RETURNS TABLE (field text, value text, description text, added_at timestamptz)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT f.field, f.value, f.description, f.added_at FROM (
        SELECT 'visibility' AS field, v AS value, 'fixed: the policies give it its meaning'
               AS description, NULL::timestamptz AS added_at, n
          FROM unnest(ARRAY['private', 'tenant']) WITH ORDINALITY AS u(v, n)
        UNION ALL
        SELECT v.field, v.value, v.description, v.added_at, 0 FROM cogdb.vocabularies v) f
     WHERE list_vocabulary.field IS NULL OR f.field = list_vocabulary.field
     ORDER BY f.field, f.added_at NULLS FIRST, f.n, f.value
$$;

REVOKE ALL ON FUNCTION cogdb.list_vocabulary(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_vocabulary(text) TO cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.list_vocabulary(text) IS
    'The vocabularies of the enumerated memory fields (one field, or all), with visibility''s two fixed values first.';
