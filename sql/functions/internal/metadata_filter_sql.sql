-- The SQL condition (on m.metadata, with every key and value quoted as a literal) for a
-- metadata filter: {"key": value} tests equality, {"key": {"$op": value, …}} applies
-- operators: $eq $ne $gt $gte $lt $lte on a number or a string (the stored value must be of
-- the same JSON type to match), $in and $nin on a list. Top-level keys only; several keys
-- and several operators all apply (AND). A missing key matches $ne and $nin only. '' for an
-- empty or NULL filter; CGV01 (column metadata_filter) for any other shape. search() adds
-- the condition to its query, so it narrows the candidates before ranking on both paths.
CREATE OR REPLACE FUNCTION cogdb.metadata_filter_sql(filter jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_key text;
    v_cond jsonb;
    v_op text;
    v_value jsonb;
    v_path text;
    v_sql text := '';
BEGIN
    IF filter IS NULL OR filter = '{}'::jsonb THEN
        RETURN '';
    END IF;
    IF jsonb_typeof(filter) <> 'object' THEN
        RAISE EXCEPTION 'metadata_filter must be a JSON object of keys to values or operators, got %',
                        jsonb_typeof(filter)
            USING ERRCODE = 'CGV01', COLUMN = 'metadata_filter',
                  HINT = 'e.g. {"customer": "acme", "priority": {"$gte": 2}}';
    END IF;
    FOR v_key, v_cond IN SELECT * FROM jsonb_each(filter) LOOP
        v_path := format('(m.metadata -> %L)', v_key);
        IF jsonb_typeof(v_cond) <> 'object' OR NOT EXISTS (
               SELECT FROM jsonb_object_keys(v_cond) k WHERE k LIKE '$%') THEN
            v_cond := jsonb_build_object('$eq', v_cond);
        END IF;
        FOR v_op, v_value IN SELECT * FROM jsonb_each(v_cond) LOOP
            IF v_op IN ('$gt', '$gte', '$lt', '$lte')
               AND jsonb_typeof(v_value) NOT IN ('number', 'string') THEN
                RAISE EXCEPTION 'metadata_filter: % on % needs a number or a string, got %',
                                v_op, quote_literal(v_key), v_value
                    USING ERRCODE = 'CGV01', COLUMN = 'metadata_filter',
                          HINT = 'e.g. {"priority": {"$gte": 2}}';
            END IF;
            IF v_op IN ('$in', '$nin') AND jsonb_typeof(v_value) <> 'array' THEN
                RAISE EXCEPTION 'metadata_filter: % on % needs a list, got %',
                                v_op, quote_literal(v_key), v_value
                    USING ERRCODE = 'CGV01', COLUMN = 'metadata_filter',
                          HINT = 'e.g. {"customer": {"$in": ["acme", "globex"]}}';
            END IF;
            v_sql := v_sql || ' AND ' || CASE v_op
                WHEN '$eq' THEN format('%s = %L::jsonb', v_path, v_value)
                WHEN '$ne' THEN format('%s IS DISTINCT FROM %L::jsonb', v_path, v_value)
                WHEN '$in' THEN format('%s = ANY (ARRAY(SELECT jsonb_array_elements(%L::jsonb)))',
                                       v_path, v_value)
                WHEN '$nin' THEN format('NOT coalesce(%s = ANY (ARRAY(SELECT '
                                        'jsonb_array_elements(%L::jsonb))), false)',
                                        v_path, v_value)
                WHEN '$gt' THEN format('(jsonb_typeof(%s) = %L AND %s > %L::jsonb)',
                                       v_path, jsonb_typeof(v_value), v_path, v_value)
                WHEN '$gte' THEN format('(jsonb_typeof(%s) = %L AND %s >= %L::jsonb)',
                                        v_path, jsonb_typeof(v_value), v_path, v_value)
                WHEN '$lt' THEN format('(jsonb_typeof(%s) = %L AND %s < %L::jsonb)',
                                       v_path, jsonb_typeof(v_value), v_path, v_value)
                WHEN '$lte' THEN format('(jsonb_typeof(%s) = %L AND %s <= %L::jsonb)',
                                        v_path, jsonb_typeof(v_value), v_path, v_value)
            END;
            IF v_sql IS NULL THEN
                RAISE EXCEPTION 'metadata_filter: unknown operator % on %, allowed: $eq $ne $gt $gte $lt $lte $in $nin',
                                quote_literal(v_op), quote_literal(v_key)
                    USING ERRCODE = 'CGV01', COLUMN = 'metadata_filter',
                          HINT = 'e.g. {"priority": {"$gte": 2}} or {"customer": "acme"}';
            END IF;
        END LOOP;
    END LOOP;
    RETURN v_sql;
END
$$;

REVOKE ALL ON FUNCTION cogdb.metadata_filter_sql(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.metadata_filter_sql(jsonb) TO cogdb_app;
COMMENT ON FUNCTION cogdb.metadata_filter_sql(jsonb) IS
    'The SQL condition for a metadata filter on top-level keys ($eq $ne $gt $gte $lt $lte $in $nin), with keys and values as literals.';
