-- Starts a session and returns its id. Its owner is the context's user; visibility defaults
-- to private when there is one (tenant otherwise: a session without an owner is the
-- tenant's). mode is a value of the conversation_mode vocabulary; agent names the agent that
-- runs it; parent_session_id names the session it continues, which the context must see and
-- whose readers must see it too (a private parent only under a private session of the same
-- owner), like an event's parent. Definer: the app only reads sessions; the owner is fenced
-- by the same policies (FORCE RLS), so it sees exactly what the caller sees.
CREATE OR REPLACE FUNCTION cogdb.start_session(mode text DEFAULT NULL, agent text DEFAULT NULL,
                                               parent_session_id uuid DEFAULT NULL,
                                               metadata jsonb DEFAULT '{}',
                                               visibility text DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.require_tenant('starting a session');
    v_user uuid := cogdb.current_user_id();
    v_visibility text := coalesce(visibility, CASE WHEN v_user IS NULL THEN 'tenant' ELSE 'private' END);
    v_parent cogdb.sessions;
    v_id uuid;
BEGIN
    IF v_visibility NOT IN ('private', 'tenant') THEN
        RAISE EXCEPTION 'visibility must be private or tenant, got %', quote_literal(v_visibility)
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'private: the context''s user only; tenant: everyone in the tenant.';
    END IF;
    IF v_visibility = 'private' AND v_user IS NULL THEN
        RAISE EXCEPTION 'a private session needs a user in the context'
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'Pass a user to set_context, or use visibility ''tenant''.';
    END IF;
    IF mode IS NOT NULL AND NOT mode = ANY (cogdb.allowed_values('conversation_mode')) THEN
        RAISE EXCEPTION 'mode must be one of %, got %',
                        array_to_string(cogdb.allowed_values('conversation_mode'), ', '),
                        quote_literal(left(mode, 60))
            USING ERRCODE = 'CGV01', COLUMN = 'mode',
                  HINT = format('An admin can accept it: cogdb vocabulary add conversation_mode %s',
                                left(mode, 50));
    END IF;
    IF length(agent) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'agent must be 1-255 characters' USING ERRCODE = 'CGV01', COLUMN = 'agent',
              HINT = 'Name the agent that runs the session, or leave it out.';
    END IF;
    IF jsonb_typeof(metadata) IS DISTINCT FROM 'object' OR pg_column_size(metadata) > 65536 THEN
        RAISE EXCEPTION 'metadata must be a JSON object of at most 64 kB'
            USING ERRCODE = 'CGV01', COLUMN = 'metadata',
                  HINT = 'e.g. {"channel": "slack", "thread": "T123"}';
    END IF;
    IF parent_session_id IS NOT NULL THEN
        SELECT s.* INTO v_parent FROM cogdb.sessions s
         WHERE s.tenant_id = v_tenant AND s.id = parent_session_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no session %', parent_session_id
                USING ERRCODE = 'CGN01', COLUMN = 'parent_session_id',
                      HINT = 'Sessions of other tenants, and other users'' private sessions, do not exist here.';
        END IF;
        IF v_parent.visibility = 'private'
           AND (v_visibility = 'tenant' OR v_parent.owner_user_id IS DISTINCT FROM v_user) THEN
            RAISE EXCEPTION 'parent session % is private; a session that others can read cannot continue it',
                            parent_session_id
                USING ERRCODE = 'CGV01', COLUMN = 'parent_session_id',
                      HINT = 'Start a private session, or leave the parent out.';
        END IF;
    END IF;
    INSERT INTO cogdb.sessions (tenant_id, owner_user_id, visibility, mode, agent,
                                parent_session_id, metadata)
    VALUES (v_tenant, v_user, v_visibility, mode, agent, parent_session_id, metadata)
    RETURNING id INTO v_id;
    RETURN v_id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.start_session(text, text, uuid, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.start_session(text, text, uuid, jsonb, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.start_session(text, text, uuid, jsonb, text) IS
    'Starts a session of the context''s user (private by default) or of the tenant and returns its id.';
