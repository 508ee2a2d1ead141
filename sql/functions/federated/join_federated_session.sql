-- Makes the context's tenant (at isolation_level 'federated', else CGF01) a participant of a
-- federated session, or a participant again after it withdrew (a withdrawn tenant's
-- joined_at restarts), and gives it a privacy budget if it has none (the deployment's
-- federated.epsilon_budget). Returns the session as list_federated_sessions() shows it.
-- Definer for the app: the participants are owner-only.
CREATE OR REPLACE FUNCTION cogdb.join_federated_session(session_id text)
    RETURNS TABLE (id uuid, topic text, k integer, max_buckets integer, max_per_bucket integer,
                   opened_at timestamptz, opened_here boolean, participants integer,
                   joined_at timestamptz, withdrawn_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_me uuid := cogdb.federated_tenant('joining a federated session');
    v_id uuid := cogdb.parse_uuid(session_id, 'session_id');
BEGIN
    IF NOT EXISTS (SELECT FROM cogdb.federated_sessions s WHERE s.id = v_id) THEN
        RAISE EXCEPTION 'no federated session with id %', coalesce(v_id::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'session_id',
                  HINT = 'List sessions with `cogdb federated list`.';
    END IF;
    INSERT INTO cogdb.federated_participants AS p (tenant_id, session_id)
    VALUES (v_me, v_id)
    ON CONFLICT ON CONSTRAINT federated_participants_pkey DO UPDATE
       SET joined_at = now(), withdrawn_at = NULL
     WHERE p.withdrawn_at IS NOT NULL;
    -- in the caller's context: the budgets are fenced
    INSERT INTO cogdb.privacy_budgets (tenant_id, epsilon_total)
    SELECT v_me, coalesce((SELECT (s.value #>> '{}')::numeric FROM cogdb.settings s
                            WHERE s.key = 'federated.epsilon_budget'), 1)
    ON CONFLICT ON CONSTRAINT privacy_budgets_pkey DO NOTHING;
    RETURN QUERY SELECT * FROM cogdb.list_federated_sessions() l WHERE l.id = v_id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.join_federated_session(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.join_federated_session(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.join_federated_session(text) IS
    'Makes the context''s (federated) tenant a participant of a federated session again or for the first time; returns the session.';
