-- Trigger (BEFORE INSERT ON events): appends the event to its session's stream. Checks the
-- context and the fields (naming the field it refuses), then takes the session's row lock
-- and the number after the session's last event as the event's seq: appenders of one
-- session queue here until the previous one commits or rolls back (appenders of other
-- sessions never wait), and a rollback takes the number back with the event, so each
-- session's seq runs 1, 2, 3, … with no gaps and no duplicates. created_at is the clock
-- after the lock, so time order is seq order within a session. Also fills who appended it
-- and the session's owner and visibility (the policies read them), and refuses an ended
-- session, an invisible session or parent, and a parent its readers could not see.
-- Definer: the app may not lock sessions; the owner is fenced by the same policies (FORCE
-- RLS), so it sees exactly the sessions and events the caller sees.
CREATE OR REPLACE FUNCTION cogdb.check_event_row() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.require_tenant('appending events');
    v_ended timestamptz;
    v_parent_visibility text;
    v_parent_owner uuid;
BEGIN
    IF NEW.tenant_id IS DISTINCT FROM v_tenant THEN
        RAISE EXCEPTION 'tenant_id must be the tenant of the context (%)', v_tenant
            USING ERRCODE = 'CGA02', COLUMN = 'tenant_id',
                  HINT = 'Leave tenant_id out: it defaults to the context''s tenant.';
    END IF;
    IF NEW.seq IS NOT NULL THEN
        RAISE EXCEPTION 'seq is assigned by the database (the next number of the session)'
            USING ERRCODE = 'CGV01', COLUMN = 'seq', HINT = 'Leave seq out.';
    END IF;
    IF NEW.session_id IS NULL THEN
        RAISE EXCEPTION 'session_id is required' USING ERRCODE = 'CGV01', COLUMN = 'session_id',
              HINT = 'Start a session with cogdb.start_session() and append to it.';
    END IF;
    IF NEW.event_type IS NULL OR length(NEW.event_type) > 64
       OR NEW.event_type !~ '^[A-Za-z][A-Za-z0-9_.:-]*$' THEN
        RAISE EXCEPTION 'event_type must be 1-64 letters, digits and _ . : - starting with a letter, got %',
                        coalesce(quote_literal(left(NEW.event_type, 70)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'event_type',
                  HINT = 'e.g. user_message, agent.response, tool:call';
    END IF;
    IF length(NEW.source_agent) NOT BETWEEN 1 AND 255 OR length(NEW.target_agent) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION '% must be 1-255 characters',
                        CASE WHEN length(NEW.source_agent) NOT BETWEEN 1 AND 255
                             THEN 'source_agent' ELSE 'target_agent' END
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN length(NEW.source_agent) NOT BETWEEN 1 AND 255
                                THEN 'source_agent' ELSE 'target_agent' END,
                  HINT = 'Name the agent, or leave it out.';
    END IF;
    IF NEW.payload IS NULL OR pg_column_size(NEW.payload) > 262144 THEN
        RAISE EXCEPTION 'payload must be JSON of at most 256 kB, got %',
                        coalesce(pg_column_size(NEW.payload)::text || ' bytes', 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'payload',
                  HINT = 'Offload large contexts (cogdb.offload_context) and put their id in the payload.';
    END IF;

    -- The session's row lock, held until commit: appenders of one session queue here. FOR
    -- NO KEY UPDATE writes no new row version (an UPDATE of a counter would, and a
    -- transaction appending n events would walk a chain of n versions each time), and does
    -- not block the foreign-key checks of memories that name the session.
    SELECT s.owner_user_id, s.visibility, s.ended_at
      INTO NEW.owner_user_id, NEW.visibility, v_ended
      FROM cogdb.sessions s WHERE s.tenant_id = v_tenant AND s.id = NEW.session_id
       FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no session %', NEW.session_id
            USING ERRCODE = 'CGN01', COLUMN = 'session_id',
                  HINT = 'Sessions of other tenants, and other users'' private sessions, do not exist here.';
    END IF;
    IF v_ended IS NOT NULL THEN
        RAISE EXCEPTION 'session % ended at %; it takes no more events', NEW.session_id, v_ended
            USING ERRCODE = 'CGV01', COLUMN = 'session_id',
                  HINT = 'Start a new session that continues it: cogdb.start_session(parent_session_id => …).';
    END IF;
    -- The next number: this statement's snapshot is taken after the lock was granted, so it
    -- sees every event the previous holders committed (and this transaction's own). The
    -- (tenant_id, session_id, seq) key makes it one index probe. A rollback takes the number
    -- back with the event: no gaps; the lock and the key: no duplicates.
    SELECT coalesce(max(e.seq), 0) + 1 INTO NEW.seq FROM cogdb.events e
     WHERE e.tenant_id = v_tenant AND e.session_id = NEW.session_id;

    IF NEW.parent_event_id IS NOT NULL THEN
        SELECT e.visibility, e.owner_user_id INTO v_parent_visibility, v_parent_owner
          FROM cogdb.events e WHERE e.tenant_id = v_tenant AND e.id = NEW.parent_event_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no event %', NEW.parent_event_id
                USING ERRCODE = 'CGN01', COLUMN = 'parent_event_id',
                      HINT = 'A parent is an event appended earlier that this context can see.';
        END IF;
        -- Whoever sees an event sees its whole chain: a private parent only under an event
        -- of the same owner's private sessions.
        IF v_parent_visibility = 'private'
           AND (NEW.visibility = 'tenant' OR v_parent_owner IS DISTINCT FROM NEW.owner_user_id) THEN
            RAISE EXCEPTION 'parent event % belongs to a private session; an event that others can read cannot follow from it',
                            NEW.parent_event_id
                USING ERRCODE = 'CGV01', COLUMN = 'parent_event_id',
                      HINT = 'Append it to a private session of the same user, or leave the parent out.';
        END IF;
    END IF;
    NEW.appended_by := cogdb.current_user_id();
    NEW.created_at := clock_timestamp();
    RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_event_row() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.check_event_row() IS
    'Row trigger on events: checks the fields and appends the event to its session (gapless seq under the session''s lock), filling time, author and the session''s owner and visibility.';
