-- The federated session `session_id` names, if `tenant` takes part in it now: parsed (CGV01),
-- existing (CGN01) and with the tenant an active participant (CGF01: never joined, or
-- withdrawn). The aggregates call it first: only a participant may ask.
CREATE OR REPLACE FUNCTION cogdb.federated_member(session_id text, tenant uuid)
    RETURNS cogdb.federated_sessions
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_id uuid := cogdb.parse_uuid(session_id, 'session_id');
    v_row cogdb.federated_sessions;
BEGIN
    SELECT * INTO v_row FROM cogdb.federated_sessions s WHERE s.id = v_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no federated session with id %', coalesce(v_id::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'session_id',
                  HINT = 'List sessions with `cogdb federated list`.';
    END IF;
    IF NOT EXISTS (SELECT FROM cogdb.federated_participants p
                    WHERE p.tenant_id = tenant AND p.session_id = v_id
                      AND p.withdrawn_at IS NULL) THEN
        RAISE EXCEPTION 'this tenant does not take part in federated session %', v_id
            USING ERRCODE = 'CGF01', COLUMN = 'session_id',
                  HINT = 'Join it first (`cogdb federated join`); a withdrawn tenant joins again.';
    END IF;
    RETURN v_row;
END
$$;

REVOKE ALL ON FUNCTION cogdb.federated_member(text, uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.federated_member(text, uuid) IS
    'The federated session named by session_id if the tenant takes part in it now, else CGV01/CGN01/CGF01 naming session_id.';
