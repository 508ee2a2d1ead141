-- Opens a federated session on `topic` for the context's tenant (at isolation_level
-- 'federated', else CGF01), which joins it, and returns the session's id. k, the least number of
-- distinct contributing tenants a bucket needs, defaults to the deployment's federated.min_k
-- and is refused below it or below 5 (CGV01 naming k); max_buckets and max_per_bucket bound one
-- tenant's contribution to a noisy histogram (docs/federated.md). The topic is visible to
-- every federated tenant (list_federated_sessions); the opener's id to none. Definer for the
-- app: sessions are owner-only.
CREATE OR REPLACE FUNCTION cogdb.open_federated_session(topic text, k integer DEFAULT NULL,
                                                        max_buckets integer DEFAULT 10,
                                                        max_per_bucket integer DEFAULT 100)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_me uuid := cogdb.federated_tenant('opening a federated session');
    v_floor integer := greatest(5, coalesce(cogdb.int_setting('federated.min_k'), 5));
    v_k integer := coalesce(k, v_floor);
    v_id uuid;
BEGIN
    IF topic IS NULL OR length(btrim(topic)) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'topic must be 1 to 200 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'topic',
                  HINT = 'A short subject every participant sees, e.g. ''postgres tuning''.';
    END IF;
    IF v_k < v_floor OR v_k > 1000 THEN
        RAISE EXCEPTION 'k must be between % and 1000, got %', v_floor, v_k
            USING ERRCODE = 'CGV01', COLUMN = 'k',
                  HINT = 'A bucket is shown only when at least k distinct tenants contribute '
                         'to it; the deployment allows no fewer than ' || v_floor || '.';
    END IF;
    IF max_buckets IS NULL OR max_buckets NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'max_buckets must be between 1 and 1000'
            USING ERRCODE = 'CGV01', COLUMN = 'max_buckets',
                  HINT = 'How many buckets one tenant may add to in a noisy histogram; 10 is usual.';
    END IF;
    IF max_per_bucket IS NULL OR max_per_bucket NOT BETWEEN 1 AND 1000000 THEN
        RAISE EXCEPTION 'max_per_bucket must be between 1 and 1000000'
            USING ERRCODE = 'CGV01', COLUMN = 'max_per_bucket',
                  HINT = 'How much one tenant may add to one bucket of a noisy histogram; 100 is usual.';
    END IF;
    INSERT INTO cogdb.federated_sessions (topic, opener_tenant_id, k, max_buckets, max_per_bucket)
    VALUES (btrim(topic), v_me, v_k, max_buckets, max_per_bucket)
    RETURNING id INTO v_id;
    PERFORM cogdb.join_federated_session(v_id::text);
    RETURN v_id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.open_federated_session(text, integer, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.open_federated_session(text, integer, integer, integer) TO cogdb_app;
COMMENT ON FUNCTION cogdb.open_federated_session(text, integer, integer, integer) IS
    'Opens a federated session on a topic for the context''s (federated) tenant, which joins it; k at least 5.';
