-- The store item under this namespace and key, or no row. refresh_ttl: a live item with a
-- TTL gets expires_at = now + its ttl_minutes (an expired one is never revived);
-- omit_expired: an expired item that the sweep has not deleted yet is not returned.
CREATE OR REPLACE FUNCTION cogdb.store_get(namespace_labels text[], item_key text,
                                           refresh_ttl boolean DEFAULT true,
                                           omit_expired boolean DEFAULT false)
    RETURNS TABLE (namespace text[], key text, value jsonb, created_at timestamptz,
                   updated_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_namespace text := cogdb.store_namespace(namespace_labels);
BEGIN
    IF refresh_ttl THEN
        UPDATE cogdb.store_items s SET expires_at = now() + s.ttl_minutes * interval '1 minute'
         WHERE s.namespace = v_namespace AND s.key = item_key AND s.expires_at > now();
    END IF;
    RETURN QUERY
    SELECT string_to_array(s.namespace, '.'), s.key, s.value, s.created_at, s.updated_at
      FROM cogdb.store_items s
     WHERE s.namespace = v_namespace AND s.key = item_key
       AND (NOT omit_expired OR s.expires_at IS NULL OR s.expires_at > now());
END
$$;

REVOKE ALL ON FUNCTION cogdb.store_get(text[], text, boolean, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_get(text[], text, boolean, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.store_get(text[], text, boolean, boolean) IS
    'The store item under this namespace and key (its TTL refreshed when asked), or no row.';
