-- Whether a namespace (its labels) meets every match condition of list_namespaces:
-- [{"match_type": "prefix"|"suffix", "path": ["a", "*", …]}], where '*' stands for exactly
-- one label. No conditions: true. The shape is checked by store_list_namespaces.
CREATE OR REPLACE FUNCTION cogdb.store_namespace_matches(labels text[], match_conditions jsonb)
    RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT NOT EXISTS (
        SELECT FROM jsonb_array_elements(coalesce(match_conditions, '[]')) AS c(cond),
             LATERAL (SELECT ARRAY(SELECT jsonb_array_elements_text(c.cond -> 'path')) AS path) p
         WHERE cardinality(labels) < cardinality(p.path)
            OR EXISTS (SELECT FROM generate_subscripts(p.path, 1) AS k(i)
                        WHERE p.path[k.i] <> '*'
                          AND p.path[k.i] IS DISTINCT FROM labels[
                              CASE WHEN c.cond ->> 'match_type' = 'prefix' THEN k.i
                                   ELSE cardinality(labels) - cardinality(p.path) + k.i END]))
$$;

REVOKE ALL ON FUNCTION cogdb.store_namespace_matches(text[], jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_namespace_matches(text[], jsonb) TO cogdb_app;
COMMENT ON FUNCTION cogdb.store_namespace_matches(text[], jsonb) IS
    'Whether a store namespace meets every prefix/suffix match condition (''*'' = exactly one label).';
