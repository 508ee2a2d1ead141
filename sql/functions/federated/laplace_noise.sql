-- One draw of Laplace(0, scale) noise for the federated aggregates. The uniform variate is 48
-- bits of a version-4 UUID (gen_random_uuid(): pg_strong_random, the server's cryptographic
-- random source; bytes 0-5 carry no version or variant bits), shifted by half a step so that
-- it is never 0 or 1; inverse CDF: -scale * sign(u) * ln(1 - 2|u|), u in (-1/2, 1/2).
-- Floating-point Laplace has known weaknesses (docs/federated.md, "What it does not give").
CREATE OR REPLACE FUNCTION cogdb.laplace_noise(scale double precision)
    RETURNS double precision
    LANGUAGE sql VOLATILE PARALLEL RESTRICTED SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT -scale * sign(u) * ln(1 - 2 * abs(u))
      FROM (SELECT (('x' || left(replace(gen_random_uuid()::text, '-', ''), 12))::bit(48)::bigint
                    + 0.5) / 281474976710656.0 - 0.5 AS u) r
$$;

REVOKE ALL ON FUNCTION cogdb.laplace_noise(double precision) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.laplace_noise(double precision) IS
    'One draw of Laplace(0, scale) noise from 48 bits of gen_random_uuid() (the server''s strong random source).';
