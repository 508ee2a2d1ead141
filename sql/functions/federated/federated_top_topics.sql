-- The `n` (1 to 100) most frequent tags of a federated session: federated_counts by tag,
-- largest first, with its k threshold, noise and budget charge (one charge for the whole
-- list). Runs as its caller; federated_counts is the definer.
CREATE OR REPLACE FUNCTION cogdb.federated_top_topics(session_id text, n integer DEFAULT 10,
                                                      epsilon numeric DEFAULT NULL)
    RETURNS TABLE (bucket text, tenants integer, count bigint, noisy boolean)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
BEGIN
    IF n IS NULL OR n NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'n must be between 1 and 100, got %', coalesce(n::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'n',
                  HINT = 'How many topics to list; 10 is a good start.';
    END IF;
    RETURN QUERY SELECT c.bucket, c.tenants, c.count, c.noisy
                   FROM cogdb.federated_counts(session_id, 'tag', epsilon) c
                  ORDER BY c.count DESC, c.bucket
                  LIMIT n;
END
$$;

REVOKE ALL ON FUNCTION cogdb.federated_top_topics(text, integer, numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.federated_top_topics(text, integer, numeric) TO cogdb_app;
COMMENT ON FUNCTION cogdb.federated_top_topics(text, integer, numeric) IS
    'The n most frequent tags of a federated session (federated_counts by tag, largest first).';
