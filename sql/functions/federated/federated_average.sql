-- The average of a numeric signal over a federated session's contributors: 'technical_depth'
-- (0 to 10), 'access_count' (clipped to 0..100) or 'cluster_confidence' (0 to 1). Each
-- contributor with at least one tenant-visible, retained memory carrying the signal counts
-- once, with the mean of its own memories (so a large tenant weighs no more than a small
-- one); the result is the mean of those means, returned only when at least k tenants
-- contribute (else no row). With epsilon, Laplace noise of scale (high - low) / (tenants *
-- epsilon) is added (one tenant moves the mean of means by at most that range over the count),
-- the result is clamped to the signal's range, tenants is NULL, and every contributor's
-- privacy budget pays epsilon first, or none does (CGP01). Reads each contributor in its own
-- context, like federated_counts. Definer for the app.
CREATE OR REPLACE FUNCTION cogdb.federated_average(session_id text, signal text,
                                                   epsilon numeric DEFAULT NULL)
    RETURNS TABLE (tenants integer, average double precision, noisy boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_me uuid := cogdb.federated_tenant('federated insights');
    v_session cogdb.federated_sessions := cogdb.federated_member(session_id, v_me);
    v_signal text := federated_average.signal;
    v_eps numeric := cogdb.check_epsilon(epsilon);
    v_high double precision := CASE v_signal WHEN 'technical_depth' THEN 10
                                             WHEN 'access_count' THEN 100
                                             WHEN 'cluster_confidence' THEN 1 END;
    v_tenants uuid[];
    v_tenant uuid;
    v_saved text[];
    v_means double precision[] := '{}';
    v_mean double precision;
    v_n integer;
    v_avg double precision;
    v_horizon timestamptz;
    v_cutoffs jsonb;
BEGIN
    IF v_high IS NULL THEN
        RAISE EXCEPTION 'signal must be technical_depth, access_count or cluster_confidence, got %',
                        coalesce(quote_literal(left(v_signal, 40)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'signal',
                  HINT = 'e.g. cogdb federated average --signal technical_depth';
    END IF;
    v_tenants := cogdb.federated_contributors(v_session.id);
    IF v_eps IS NOT NULL THEN
        PERFORM cogdb.charge_privacy_budget(v_tenants, v_eps, v_me);
    END IF;
    FOREACH v_tenant IN ARRAY v_tenants LOOP
        IF v_saved IS NULL THEN
            v_saved := cogdb.enter_tenant(v_tenant);
        ELSE
            PERFORM cogdb.enter_tenant(v_tenant);
        END IF;
        v_horizon := cogdb.retention_horizon();
        v_cutoffs := cogdb.retention_cutoffs();
        SELECT avg(least(greatest(x.v, 0), v_high)) INTO v_mean
          FROM cogdb.memories m
         CROSS JOIN LATERAL (SELECT CASE v_signal
                                 WHEN 'technical_depth' THEN m.technical_depth::float8
                                 WHEN 'access_count' THEN m.access_count::float8
                                 WHEN 'cluster_confidence' THEN m.cluster_confidence::float8
                             END AS v) x
         WHERE m.tenant_id = v_tenant AND m.visibility = 'tenant' AND x.v IS NOT NULL
           AND cogdb.is_retained(m.created_at, m.expires_at, m.anonymised_at, m.context_type,
                                 m.source, v_horizon, v_cutoffs);
        IF v_mean IS NOT NULL THEN
            v_means := v_means || v_mean;
        END IF;
    END LOOP;
    IF v_saved IS NOT NULL THEN
        PERFORM cogdb.restore_context(v_saved);
    END IF;
    v_n := cardinality(v_means);
    IF v_n < v_session.k THEN
        RETURN;
    END IF;
    SELECT avg(u) INTO v_avg FROM unnest(v_means) u;
    noisy := v_eps IS NOT NULL;
    IF v_eps IS NULL THEN
        tenants := v_n;
        average := v_avg;
    ELSE
        average := least(greatest(v_avg + cogdb.laplace_noise(v_high / (v_n * v_eps::float8)), 0),
                         v_high);
    END IF;
    RETURN NEXT;
END
$$;

REVOKE ALL ON FUNCTION cogdb.federated_average(text, text, numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.federated_average(text, text, numeric) TO cogdb_app;
COMMENT ON FUNCTION cogdb.federated_average(text, text, numeric) IS
    'The mean over a federated session''s contributors of each one''s mean technical_depth, access_count or cluster_confidence, only with at least k tenants; with epsilon, Laplace-noised and charged to every contributor''s privacy budget.';
