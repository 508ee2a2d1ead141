-- Whether a relationship record is part of the picture at (as_of, known_at): cogdb's
-- knowledge as of `known_at` (recorded by then and not superseded by then; NULL: current
-- knowledge, i.e. not superseded), about the world at `as_of` (valid_from <= as_of <
-- valid_to; as_of NULL: known_at, else now). The one rule relationship reads share.
-- Inlinable (LANGUAGE sql, no SET clause) so that traversal plans it as plain conditions.
-- Its body is standard SQL (RETURN, or BEGIN ATOMIC): parsed once, when it is created, and
-- kept as a tree, so inlining it costs the planner no parse of its text on every statement
-- (docs/conventions.md rule 2).
CREATE OR REPLACE FUNCTION cogdb.fact_holds(valid_from timestamptz, valid_to timestamptz,
                                            recorded_at timestamptz, superseded_at timestamptz,
                                            as_of timestamptz, known_at timestamptz)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
RETURN (known_at IS NULL OR recorded_at <= known_at)
       AND (superseded_at IS NULL OR superseded_at > known_at)
       AND valid_from <= coalesce(as_of, known_at, pg_catalog.now())
       AND (valid_to IS NULL OR valid_to > coalesce(as_of, known_at, pg_catalog.now()));

REVOKE ALL ON FUNCTION cogdb.fact_holds(timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.fact_holds(timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz) TO cogdb_app;
COMMENT ON FUNCTION cogdb.fact_holds(timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz) IS
    'Whether a relationship record is part of the picture at (as_of, known_at): current knowledge by default, about now by default.';
