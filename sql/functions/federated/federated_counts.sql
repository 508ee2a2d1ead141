-- Counts of a federated session's memories by `dimension` ('tag', 'cluster' (cluster_label),
-- 'intent' (intent_type) or 'context_type'), over the data of its contributors (active,
-- still-federated participants), asked by one of them in its own context. Only buckets to
-- which at least k distinct tenants contribute are returned; no row, id or content of any
-- tenant leaves, only bucket labels that k tenants share and sums.
-- Without epsilon: exact counts, and how many tenants contribute to each bucket.
-- With epsilon (> 0, at most 10): each contributor's count per bucket is clipped to the
-- session's max_per_bucket and kept for its max_buckets largest buckets only, Laplace noise of
-- scale max_buckets * max_per_bucket / epsilon is added to each sum (rounded, at least 0),
-- tenants is NULL, and every contributor's privacy budget pays epsilon first, or none does
-- (charge_privacy_budget, CGP01). Whose budget, and what this does and does not protect:
-- docs/federated.md.
-- Each contributor is read in its own context (enter_tenant: FORCE RLS fences the owner too),
-- its tenant-visible memories only (never private ones), as retention keeps them
-- (is_retained), naming the tenant (docs/conventions.md rule 3). Definer for the app.
CREATE OR REPLACE FUNCTION cogdb.federated_counts(session_id text, dimension text,
                                                  epsilon numeric DEFAULT NULL)
    RETURNS TABLE (bucket text, tenants integer, count bigint, noisy boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_me uuid := cogdb.federated_tenant('federated insights');
    v_session cogdb.federated_sessions := cogdb.federated_member(session_id, v_me);
    v_dim text := dimension;
    v_eps numeric := cogdb.check_epsilon(epsilon);
    v_tenants uuid[];
    v_tenant uuid;
    v_saved text[];
    v_i integer := 0;
    v_idx integer[] := '{}';
    v_buckets text[] := '{}';
    v_counts bigint[] := '{}';
    v_horizon timestamptz;
    v_cutoffs jsonb;
    v_cap bigint;
    v_top integer;
BEGIN
    IF v_dim IS NULL OR v_dim NOT IN ('tag', 'cluster', 'intent', 'context_type') THEN
        RAISE EXCEPTION 'dimension must be tag, cluster, intent or context_type, got %',
                        coalesce(quote_literal(left(v_dim, 40)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'dimension',
                  HINT = 'e.g. cogdb federated counts --by tag';
    END IF;
    v_tenants := cogdb.federated_contributors(v_session.id);
    IF v_eps IS NOT NULL THEN
        PERFORM cogdb.charge_privacy_budget(v_tenants, v_eps, v_me);
        v_cap := v_session.max_per_bucket;
        v_top := v_session.max_buckets;
    END IF;
    FOREACH v_tenant IN ARRAY v_tenants LOOP
        v_i := v_i + 1;
        IF v_saved IS NULL THEN
            v_saved := cogdb.enter_tenant(v_tenant);
        ELSE
            PERFORM cogdb.enter_tenant(v_tenant);
        END IF;
        v_horizon := cogdb.retention_horizon();
        v_cutoffs := cogdb.retention_cutoffs();
        WITH per_bucket AS (
            SELECT b.bucket, least(count(*), coalesce(v_cap, count(*))) AS n
              FROM cogdb.memories m
             CROSS JOIN LATERAL (
                 SELECT DISTINCT x AS bucket
                   FROM unnest(CASE v_dim
                        WHEN 'context_type' THEN ARRAY[m.context_type]
                        WHEN 'intent' THEN ARRAY[m.intent_type]
                        WHEN 'cluster' THEN ARRAY[m.cluster_label]
                        WHEN 'tag' THEN CASE jsonb_typeof(m.tags)
                            WHEN 'array' THEN ARRAY(SELECT jsonb_array_elements_text(m.tags))
                            ELSE ARRAY(SELECT jsonb_object_keys(m.tags)) END
                        END) x
                  WHERE x IS NOT NULL AND x <> '') b
             WHERE m.tenant_id = v_tenant AND m.visibility = 'tenant'
               AND cogdb.is_retained(m.created_at, m.expires_at, m.anonymised_at,
                                     m.context_type, m.source, v_horizon, v_cutoffs)
             GROUP BY b.bucket
             ORDER BY n DESC, b.bucket
             LIMIT v_top
        )
        SELECT v_idx || coalesce(array_agg(v_i), '{}'),
               v_buckets || coalesce(array_agg(p.bucket), '{}'),
               v_counts || coalesce(array_agg(p.n), '{}')
          INTO v_idx, v_buckets, v_counts
          FROM per_bucket p;
    END LOOP;
    IF v_saved IS NOT NULL THEN
        PERFORM cogdb.restore_context(v_saved);
    END IF;
    RETURN QUERY
    SELECT g.bucket,
           CASE WHEN v_eps IS NULL THEN g.tenants END,
           CASE WHEN v_eps IS NULL THEN g.total
                ELSE greatest(0, round(g.total + cogdb.laplace_noise(
                         (v_session.max_buckets * v_session.max_per_bucket / v_eps)::float8)))::bigint
           END,
           v_eps IS NOT NULL
      FROM (SELECT u.bucket, count(DISTINCT u.i)::integer AS tenants, sum(u.n)::bigint AS total
              FROM unnest(v_idx, v_buckets, v_counts) u(i, bucket, n)
             GROUP BY u.bucket
            HAVING count(DISTINCT u.i) >= v_session.k) g
     ORDER BY 3 DESC, 1;
END
$$;

REVOKE ALL ON FUNCTION cogdb.federated_counts(text, text, numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.federated_counts(text, text, numeric) TO cogdb_app;
COMMENT ON FUNCTION cogdb.federated_counts(text, text, numeric) IS
    'Counts of a federated session''s memories by tag, cluster, intent or context type, only for buckets with at least k contributing tenants; with epsilon, clipped, Laplace-noised and charged to every contributor''s privacy budget.';
