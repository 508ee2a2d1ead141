-- The epsilon of a noisy federated aggregate: NULL (no noise) or a number above 0 and at most
-- 10, else CGV01 naming epsilon. One rule for every aggregate.
CREATE OR REPLACE FUNCTION cogdb.check_epsilon(epsilon numeric) RETURNS numeric
    LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF epsilon IS NOT NULL AND NOT (epsilon > 0 AND epsilon <= 10) THEN
        RAISE EXCEPTION 'epsilon must be above 0 and at most 10, got %', epsilon
            USING ERRCODE = 'CGV01', COLUMN = 'epsilon',
                  HINT = 'Smaller is more private and noisier; 0.1 to 1 is usual. Omit it for '
                         'exact counts shown only above k.';
    END IF;
    RETURN epsilon;
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_epsilon(numeric) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.check_epsilon(numeric) IS
    'The epsilon of a noisy federated aggregate: NULL or in (0, 10], else CGV01 naming epsilon.';
