-- What a tenant has spent of its privacy budget, in epsilon: its spend sequence's value
-- (micro-units, cogdb.privacy_spend_sequence) divided by 10^6, trailing zeros trimmed; 0 for
-- a tenant without a sequence or without any charge. Reads the sequence as it is now, not as
-- of a snapshot: a charge made by a transaction that later rolled back is counted.
-- Owner-only: the app reads its own spend through cogdb.privacy_budget().
CREATE OR REPLACE FUNCTION cogdb.privacy_spent(tenant uuid)
    RETURNS numeric
    LANGUAGE sql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT trim_scale(coalesce(pg_catalog.pg_sequence_last_value(
               cogdb.privacy_spend_sequence(tenant)), 0)::numeric / 1000000)
$$;

REVOKE ALL ON FUNCTION cogdb.privacy_spent(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.privacy_spent(uuid) IS
    'A tenant''s privacy spend in epsilon, read from its spend sequence (never rolled back); owner-only.';
