-- The distinct namespaces of the tenant's store items that meet every match condition
-- ([{"match_type": "prefix"|"suffix", "path": [labels, '*' = any one label]}]), cut to
-- max_depth labels (then de-duplicated), sorted label by label in code point order, paged
-- by page_size (0-1000) and page_offset. omit_expired: namespaces whose items have all
-- expired are left out.
CREATE OR REPLACE FUNCTION cogdb.store_list_namespaces(match_conditions jsonb DEFAULT NULL,
                                                       max_depth integer DEFAULT NULL,
                                                       page_size integer DEFAULT 100,
                                                       page_offset integer DEFAULT 0,
                                                       omit_expired boolean DEFAULT false)
    RETURNS TABLE (namespace text[])
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF match_conditions IS NOT NULL AND (
           jsonb_typeof(match_conditions) <> 'array'
           OR EXISTS (SELECT FROM jsonb_array_elements(match_conditions) c
                       WHERE jsonb_typeof(c) <> 'object'
                          OR (c ->> 'match_type') IS DISTINCT FROM 'prefix'
                             AND (c ->> 'match_type') IS DISTINCT FROM 'suffix'
                          OR jsonb_typeof(c -> 'path') IS DISTINCT FROM 'array'
                          OR EXISTS (SELECT FROM jsonb_array_elements(c -> 'path') l
                                      WHERE jsonb_typeof(l) <> 'string'))) THEN
        RAISE EXCEPTION 'match_conditions must be a JSON array of {match_type: prefix or suffix, path: [labels]}'
            USING ERRCODE = 'CGV01', COLUMN = 'match_conditions',
                  HINT = 'e.g. ''[{"match_type": "prefix", "path": ["users", "*"]}]''';
    END IF;
    IF max_depth < 1 THEN
        RAISE EXCEPTION 'max_depth must be 1 or more, got %', max_depth
            USING ERRCODE = 'CGV01', COLUMN = 'max_depth', HINT = 'Leave it out for no limit.';
    END IF;
    IF page_size IS NULL OR page_size NOT BETWEEN 0 AND 1000
       OR page_offset IS NULL OR page_offset < 0 THEN
        RAISE EXCEPTION 'page_size must be between 0 and 1000 and page_offset 0 or more'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN page_offset IS NULL OR page_offset < 0 THEN 'page_offset'
                                ELSE 'page_size' END,
                  HINT = 'Page through more with page_offset.';
    END IF;
    RETURN QUERY
    SELECT d.labels
      FROM (SELECT DISTINCT (string_to_array(s.namespace, '.'))[1:coalesce(max_depth, 2147483647)]
                   AS labels
              FROM cogdb.store_items s
             WHERE (NOT omit_expired OR s.expires_at IS NULL OR s.expires_at > now())
               AND cogdb.store_namespace_matches(string_to_array(s.namespace, '.'),
                                                 match_conditions)) d
     ORDER BY d.labels COLLATE "C"
     LIMIT page_size OFFSET page_offset;
END
$$;

REVOKE ALL ON FUNCTION cogdb.store_list_namespaces(jsonb, integer, integer, integer, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_list_namespaces(jsonb, integer, integer, integer, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.store_list_namespaces(jsonb, integer, integer, integer, boolean) IS
    'The distinct store namespaces that meet every prefix/suffix condition, cut to max_depth, sorted, paged.';
