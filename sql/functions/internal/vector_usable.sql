-- True when pgvector can compute the cosine distance between this vector and any other usable
-- one finitely: its norm lies between 1e-18 and 1e18. pgvector sums squares and products in
-- single precision, so a vector whose components all square below float's smallest value
-- (384 x 1e-45) has a zero norm there (every distance NaN), and one whose squares overflow
-- float (1e20 in every component) has an infinite one (NaN, even to itself). Within the bounds,
-- no sum of squares or of products can overflow (<= 1e36) and the largest component's square
-- stays above float's smallest subnormal for any pgvector dimension count (<= 16,000), while
-- every real embedding (norm ~1) is far inside. NULL for NULL. Inlinable (LANGUAGE sql, no
-- SET), so memories' trigger WHEN evaluates it without a function call.
CREATE OR REPLACE FUNCTION cogdb.vector_usable(v public.vector) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT public.vector_norm(v) BETWEEN 1e-18 AND 1e18
$$;

REVOKE ALL ON FUNCTION cogdb.vector_usable(public.vector) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.vector_usable(public.vector) TO cogdb_app;
COMMENT ON FUNCTION cogdb.vector_usable(public.vector) IS
    'True when the vector''s norm is between 1e-18 and 1e18, so its cosine distance to any usable vector is finite in pgvector''s single precision.';
