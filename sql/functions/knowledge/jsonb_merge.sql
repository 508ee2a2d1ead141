-- Merges `newer` into `older` the way upsert_entity merges an entity's data: where both are
-- objects, key by key and recursively (keys of either side are kept); anywhere else the newer
-- value replaces the older one: scalars, lists, JSON null, and a conflict of types (an
-- object replaced by a scalar or a list, or the other way round) all take the newer value.
-- SQL NULL for `newer` keeps `older`. Nothing present in only one side is ever lost.
CREATE OR REPLACE FUNCTION cogdb.jsonb_merge(older jsonb, newer jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN newer IS NULL THEN older
        WHEN older IS NULL OR jsonb_typeof(older) <> 'object' OR jsonb_typeof(newer) <> 'object'
            THEN newer
        ELSE older || coalesce((SELECT jsonb_object_agg(n.key,
                                       CASE WHEN jsonb_typeof(n.value) = 'object'
                                                 AND jsonb_typeof(older -> n.key) = 'object'
                                            THEN cogdb.jsonb_merge(older -> n.key, n.value)
                                            ELSE n.value END)
                                  FROM jsonb_each(newer) n), '{}')
    END
$$;

REVOKE ALL ON FUNCTION cogdb.jsonb_merge(jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.jsonb_merge(jsonb, jsonb) TO cogdb_app;
COMMENT ON FUNCTION cogdb.jsonb_merge(jsonb, jsonb) IS
    'Merges newer into older: objects key by key, recursively; scalars, lists and conflicting types take the newer value.';
