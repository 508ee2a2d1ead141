-- Withdraws the context's tenant from a federated session: from its next statement on, no
-- aggregate of the session reads the tenant's data or charges its budget. Returns false if
-- it had withdrawn already; CGN01 if it never joined (or the session does not exist).
-- Allowed whatever the tenant's isolation level now: leaving must always be possible.
-- Definer for the app: the participants are owner-only.
CREATE OR REPLACE FUNCTION cogdb.withdraw_federated_session(session_id text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_me uuid := cogdb.require_tenant('withdrawing from a federated session');
    v_id uuid := cogdb.parse_uuid(session_id, 'session_id');
    v_withdrawn timestamptz;
BEGIN
    SELECT p.withdrawn_at INTO v_withdrawn FROM cogdb.federated_participants p
     WHERE p.tenant_id = v_me AND p.session_id = v_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this tenant never joined federated session %', coalesce(v_id::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'session_id',
                  HINT = 'List the sessions this tenant takes part in with `cogdb federated list`.';
    END IF;
    IF v_withdrawn IS NOT NULL THEN
        RETURN false;
    END IF;
    UPDATE cogdb.federated_participants p SET withdrawn_at = now()
     WHERE p.tenant_id = v_me AND p.session_id = v_id;
    RETURN true;
END
$$;

REVOKE ALL ON FUNCTION cogdb.withdraw_federated_session(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.withdraw_federated_session(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.withdraw_federated_session(text) IS
    'Withdraws the context''s tenant from a federated session: its data no longer counts; false if it had withdrawn already.';
