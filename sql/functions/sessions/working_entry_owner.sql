-- The owner a working-context entry is written with: the context's user for the private
-- tier (CGV01 without one); for the shared tier, the owner of its session when that session
-- is private (so the entry is seen by whoever sees the session), else none (the tenant's).
-- CGN01 for a session the context cannot see. Also checks the tier: 'consensus' is not a
-- tier of cogdb's (docs/architecture.md says why). Called by the definer write functions.
CREATE OR REPLACE FUNCTION cogdb.working_entry_owner(tier text, session_id uuid) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_user uuid := cogdb.current_user_id();
    v_owner uuid;
BEGIN
    IF tier IS NULL OR tier NOT IN ('private', 'shared') THEN
        RAISE EXCEPTION 'tier must be private or shared, got %', coalesce(quote_literal(tier), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'tier',
                  HINT = 'private: the context''s user only; shared: whoever sees the session '
                         '(the tenant without one). Agreement between agents is a shared entry '
                         'changed by compare-and-set.';
    END IF;
    IF tier = 'private' THEN
        IF v_user IS NULL THEN
            RAISE EXCEPTION 'a private entry needs a user in the context'
                USING ERRCODE = 'CGV01', COLUMN = 'tier',
                      HINT = 'Pass a user to set_context, or use the shared tier.';
        END IF;
        v_owner := v_user;
    END IF;
    IF session_id IS NOT NULL THEN
        SELECT CASE WHEN s.visibility = 'private' THEN s.owner_user_id END INTO v_owner
          FROM cogdb.sessions s
         WHERE s.tenant_id = cogdb.current_tenant_id() AND s.id = session_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no session %', session_id
                USING ERRCODE = 'CGN01', COLUMN = 'session_id',
                      HINT = 'Sessions of other tenants, and other users'' private sessions, do not exist here.';
        END IF;
        IF tier = 'private' THEN
            v_owner := v_user;
        END IF;
    END IF;
    RETURN v_owner;
END
$$;

REVOKE ALL ON FUNCTION cogdb.working_entry_owner(text, uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.working_entry_owner(text, uuid) IS
    'The owner a working-context entry is written with (private: the user; shared: the private session''s owner, else none); checks tier and session.';
