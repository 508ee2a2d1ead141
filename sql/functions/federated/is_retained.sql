-- Whether retention keeps a memory, as memories__retained decides for the app: not expired,
-- and created after the tenant's youngest cutoff (horizon), anonymised already, or younger
-- than the cutoff of its most specific policy (cutoffs, {context_type: {source: cutoff}}).
-- The federated aggregates run as the owner, whom memories__retained (TO cogdb_app) does not
-- fence, so they apply it themselves with the horizon and cutoffs of the tenant they read.
-- Inlinable (LANGUAGE sql, no SET clause).
CREATE OR REPLACE FUNCTION cogdb.is_retained(created_at timestamptz, expires_at timestamptz,
                                             anonymised_at timestamptz, context_type text,
                                             source text, horizon timestamptz, cutoffs jsonb)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT (expires_at IS NULL OR expires_at > pg_catalog.now())
           AND (created_at > horizon
                OR anonymised_at IS NOT NULL
                OR cutoffs IS NULL
                OR created_at > coalesce(cutoffs -> context_type ->> source,
                                         cutoffs -> context_type ->> '*',
                                         cutoffs -> '*' ->> source,
                                         cutoffs -> '*' ->> '*',
                                         '-infinity')::timestamptz)
$$;

REVOKE ALL ON FUNCTION cogdb.is_retained(timestamptz, timestamptz, timestamptz, text, text,
                                         timestamptz, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.is_retained(timestamptz, timestamptz, timestamptz, text, text,
                                      timestamptz, jsonb) IS
    'Whether retention keeps a memory (not expired, not over its policy''s age), as memories__retained decides for the app.';
