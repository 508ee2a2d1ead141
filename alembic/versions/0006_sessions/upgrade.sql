-- cogdb revision 0006 (sessions): written by `python -m tools.freeze 0006` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> sql/functions/sessions/check_event_row.sql
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
-- <<< sql/functions/sessions/check_event_row.sql

-- >>> sql/functions/sessions/refuse_event_change.sql
-- Trigger (BEFORE UPDATE OR DELETE, row; BEFORE TRUNCATE, statement; on events): the event
-- stream is append-only, for every role, the owner and superusers included (the app has no
-- UPDATE, DELETE or TRUNCATE privilege to begin with). Refuses with CGA04. The one
-- exception is the deletion of a whole tenant, whose rows cascade here after its tenant row
-- is gone. Retention, when it exists, will be the only other way events are removed: in
-- bulk, by the owner, and audited. Definer: it reads the tenants registry.
CREATE OR REPLACE FUNCTION cogdb.refuse_event_change() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = OLD.tenant_id) THEN
            RETURN OLD;  -- the tenant is being deleted: all of its rows go
        END IF;
    END IF;
    RAISE EXCEPTION 'the event stream is append-only: % of events is refused', TG_OP
        USING ERRCODE = 'CGA04',
              HINT = 'Append a new event that corrects or retracts it (its parent_event_id '
                     'names the event it refers to).';
END
$$;

REVOKE ALL ON FUNCTION cogdb.refuse_event_change() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.refuse_event_change() IS
    'Trigger on events: refuses UPDATE, DELETE and TRUNCATE for every role (append-only); only a whole tenant''s deletion removes events.';
-- <<< sql/functions/sessions/refuse_event_change.sql

-- >>> sql/tables/sessions.sql
-- Sessions: one chat-mode or agent session of a tenant, usually of a user (its owner), with
-- an optional parent session it continues, start and end times and metadata. Memories
-- (memories.session_id), events and working context point at their session.
-- Private sessions (the default when the context has a user) are seen by their owner only,
-- tenant sessions by the whole tenant (policies sessions__tenant_fence and
-- sessions__visible_to_user); a session's owner and visibility never change, which is what
-- lets its events carry a copy of them. The app only reads this table: sessions are written
-- by the definer functions start_session and end_session. Appending an event locks its
-- session's row (check_event_row): the serialisation point of the session's appenders.
-- owner_user_id has no foreign key to users: deleting a user keeps their sessions and events
-- (the event stream is append-only), and private ones become visible to no one.
CREATE TABLE cogdb.sessions (
    tenant_id         uuid NOT NULL DEFAULT cogdb.current_tenant_id()
                      REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    id                uuid NOT NULL DEFAULT gen_random_uuid(),
    owner_user_id     uuid DEFAULT cogdb.current_user_id(),
    visibility        text NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'tenant')),
    -- a value of the conversation_mode vocabulary (start_session checks it)
    mode              text CHECK (length(mode) BETWEEN 1 AND 50),
    agent             text CHECK (length(agent) BETWEEN 1 AND 255),
    parent_session_id uuid,
    started_at        timestamptz NOT NULL DEFAULT now(),
    ended_at          timestamptz CHECK (ended_at >= started_at),
    metadata          jsonb NOT NULL DEFAULT '{}'
                      CHECK (jsonb_typeof(metadata) = 'object' AND pg_column_size(metadata) <= 65536),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, parent_session_id) REFERENCES cogdb.sessions (tenant_id, id),
    CONSTRAINT sessions_private_has_owner CHECK (visibility = 'tenant' OR owner_user_id IS NOT NULL)
);
-- `cogdb session list`: newest first within the tenant, paged by (started_at, id).
CREATE INDEX sessions_tenant_started_idx ON cogdb.sessions (tenant_id, started_at DESC, id DESC);
CREATE INDEX sessions_tenant_parent_idx ON cogdb.sessions (tenant_id, parent_session_id)
    WHERE parent_session_id IS NOT NULL;
-- No value statistics: the planner's estimates are visible through EXPLAIN to every login.
ALTER TABLE cogdb.sessions ALTER COLUMN agent SET STATISTICS 0;
ALTER TABLE cogdb.sessions ALTER COLUMN metadata SET STATISTICS 0;
ALTER TABLE cogdb.sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.sessions FORCE ROW LEVEL SECURITY;
GRANT SELECT ON cogdb.sessions TO cogdb_app;
COMMENT ON TABLE cogdb.sessions IS
    'Sessions of a tenant (usually of a user): mode or agent, parent session, start and end, metadata, and the count of their events. Fenced by tenant (RLS), private ones seen by their owner only.';
-- <<< sql/tables/sessions.sql

-- >>> sql/tables/events.sql
-- The event stream (the seeds' blackboard): every agent and user interaction of a session as
-- an immutable event with its sequence number in the session, a type, source and target
-- agents, a JSON payload and the event it follows from (parent_event_id; event_chain walks
-- the chain back). Appending is the only write: the app may INSERT and SELECT, nobody has
-- UPDATE or DELETE, and the trigger refuse_event_change refuses both (and TRUNCATE) for
-- every role, the owner included. Deleting the whole tenant is the only thing that removes
-- events today; retention, when it exists, will remove them in bulk and audited.
-- check_event_row fills seq (gapless per session: the next number under the session's row
-- lock), created_at (the clock after that lock, so time order is seq order within a
-- session), who appended it, and the session's owner and visibility, which the policies
-- read.
CREATE TABLE cogdb.events (
    tenant_id       uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    session_id      uuid NOT NULL,
    seq             bigint NOT NULL CHECK (seq >= 1),
    event_type      text NOT NULL
                    CHECK (length(event_type) <= 64 AND event_type ~ '^[A-Za-z][A-Za-z0-9_.:-]*$'),
    source_agent    text CHECK (length(source_agent) BETWEEN 1 AND 255),
    target_agent    text CHECK (length(target_agent) BETWEEN 1 AND 255),
    payload         jsonb NOT NULL DEFAULT '{}' CHECK (pg_column_size(payload) <= 262144),
    parent_event_id uuid,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    appended_by     uuid,
    -- copies of the session's (which never change): what the policies read
    owner_user_id   uuid,
    visibility      text NOT NULL CHECK (visibility IN ('private', 'tenant')),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT events_tenant_id_session_id_seq_key UNIQUE (tenant_id, session_id, seq),
    FOREIGN KEY (tenant_id, session_id) REFERENCES cogdb.sessions (tenant_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, parent_event_id) REFERENCES cogdb.events (tenant_id, id),
    CONSTRAINT events_private_has_owner CHECK (visibility = 'tenant' OR owner_user_id IS NOT NULL)
);
-- Readers page by time within a session (list_events since/until).
CREATE INDEX events_tenant_session_created_idx ON cogdb.events (tenant_id, session_id, created_at);
-- The children of an event (the self-referencing foreign key's checks).
CREATE INDEX events_tenant_parent_idx ON cogdb.events (tenant_id, parent_event_id)
    WHERE parent_event_id IS NOT NULL;
-- No value statistics: the planner's estimates are visible through EXPLAIN to every login.
ALTER TABLE cogdb.events ALTER COLUMN event_type SET STATISTICS 0;
ALTER TABLE cogdb.events ALTER COLUMN source_agent SET STATISTICS 0;
ALTER TABLE cogdb.events ALTER COLUMN target_agent SET STATISTICS 0;
ALTER TABLE cogdb.events ALTER COLUMN payload SET STATISTICS 0;
CREATE TRIGGER events_check_row BEFORE INSERT ON cogdb.events
    FOR EACH ROW EXECUTE FUNCTION cogdb.check_event_row();
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON cogdb.events
    FOR EACH ROW EXECUTE FUNCTION cogdb.refuse_event_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON cogdb.events
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.refuse_event_change();
ALTER TABLE cogdb.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.events FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON cogdb.events TO cogdb_app;
COMMENT ON TABLE cogdb.events IS
    'The append-only event stream: each session''s events with a gapless sequence, type, source and target agents, payload and parent event. Never updated or deleted; fenced by tenant (RLS).';
-- <<< sql/tables/events.sql

-- >>> sql/tables/working_context.sql
-- Working context: key/value state of a session or an agent (or both, or neither: the
-- tenant's or the user's own), in two tiers: private (to the context's user) and shared
-- (in the tenant, or, on a private session, with whoever sees the session: its owner). Each
-- entry has a version; set_working_entry and delete_working_entry name the version they
-- read and are refused (CGC02, with the current version) when it is stale. An entry with
-- expires_at is invisible from that instant on (policy working_context__not_expired for
-- the app's own queries, and every function), and a create replaces it.
-- The app only reads this table; writes go through the definer functions, which enforce
-- compare-and-set. Private entries go with their user (foreign key, ON DELETE CASCADE).
CREATE TABLE cogdb.working_context (
    tenant_id     uuid NOT NULL DEFAULT cogdb.current_tenant_id()
                  REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    session_id    uuid,
    agent         text CHECK (length(agent) BETWEEN 1 AND 255),
    tier          text NOT NULL CHECK (tier IN ('private', 'shared')),
    -- private: the user; shared: NULL, or the session's owner on a private session
    owner_user_id uuid,
    value         jsonb NOT NULL CHECK (pg_column_size(value) <= 262144),
    version       bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    expires_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    uuid,
    PRIMARY KEY (tenant_id, id),
    -- One entry per key in its namespace; NULL session/agent/owner is a namespace of its own.
    CONSTRAINT working_context_entry_key UNIQUE NULLS NOT DISTINCT
        (tenant_id, key, session_id, agent, tier, owner_user_id),
    FOREIGN KEY (tenant_id, session_id) REFERENCES cogdb.sessions (tenant_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, owner_user_id) REFERENCES cogdb.users (tenant_id, id)
        ON DELETE CASCADE,
    CONSTRAINT working_context_private_has_owner CHECK (tier <> 'private' OR owner_user_id IS NOT NULL)
);
CREATE INDEX working_context_tenant_session_idx ON cogdb.working_context (tenant_id, session_id, key);
-- No value statistics: the planner's estimates are visible through EXPLAIN to every login.
ALTER TABLE cogdb.working_context ALTER COLUMN key SET STATISTICS 0;
ALTER TABLE cogdb.working_context ALTER COLUMN agent SET STATISTICS 0;
ALTER TABLE cogdb.working_context ALTER COLUMN value SET STATISTICS 0;
ALTER TABLE cogdb.working_context ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.working_context FORCE ROW LEVEL SECURITY;
GRANT SELECT ON cogdb.working_context TO cogdb_app;
COMMENT ON TABLE cogdb.working_context IS
    'Working context: versioned key/value entries of a session or agent, private or shared, with expiry; written by compare-and-set only. Fenced by tenant (RLS).';
-- <<< sql/tables/working_context.sql

-- >>> sql/policies/sessions__tenant_fence.sql
-- The tenant fence on sessions: a row is readable and writable only inside its own tenant's
-- context. RESTRICTIVE, so no permissive policy added later can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS sessions__tenant_fence ON cogdb.sessions;
CREATE POLICY sessions__tenant_fence ON cogdb.sessions
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/sessions__tenant_fence.sql

-- >>> sql/policies/sessions__visible_to_user.sql
-- Inside the fence: tenant sessions, plus the context user's own private ones. The only
-- permissive policy on sessions, so without it nothing is visible at all.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS sessions__visible_to_user ON cogdb.sessions;
CREATE POLICY sessions__visible_to_user ON cogdb.sessions
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()))
    WITH CHECK (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()));
-- <<< sql/policies/sessions__visible_to_user.sql

-- >>> sql/policies/events__tenant_fence.sql
-- The tenant fence on events: a row is readable and writable only inside its own tenant's
-- context. RESTRICTIVE, so no permissive policy added later can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS events__tenant_fence ON cogdb.events;
CREATE POLICY events__tenant_fence ON cogdb.events
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/events__tenant_fence.sql

-- >>> sql/policies/events__visible_to_user.sql
-- Inside the fence: the events of tenant sessions, plus those of the context user's own
-- private sessions (each event carries its session's owner and visibility, which never
-- change). The only permissive policy on events.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS events__visible_to_user ON cogdb.events;
CREATE POLICY events__visible_to_user ON cogdb.events
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()))
    WITH CHECK (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()));
-- <<< sql/policies/events__visible_to_user.sql

-- >>> sql/policies/working_context__tenant_fence.sql
-- The tenant fence on working_context: a row is readable and writable only inside its own tenant's
-- context. RESTRICTIVE, so no permissive policy added later can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS working_context__tenant_fence ON cogdb.working_context;
CREATE POLICY working_context__tenant_fence ON cogdb.working_context
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/working_context__tenant_fence.sql

-- >>> sql/policies/working_context__visible_to_user.sql
-- Inside the fence: entries without an owner (shared in the tenant), plus the context
-- user's own (private entries, and shared entries of the user's private sessions). The only
-- permissive policy on working_context.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS working_context__visible_to_user ON cogdb.working_context;
CREATE POLICY working_context__visible_to_user ON cogdb.working_context
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id()))
    WITH CHECK (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id()));
-- <<< sql/policies/working_context__visible_to_user.sql

-- >>> sql/policies/working_context__not_expired.sql
-- An entry is invisible to the app from its expires_at on (now() is the transaction's
-- start, so one transaction sees a consistent set). RESTRICTIVE, for the app's reads only:
-- the definer write functions run as the owner and must see an expired entry to replace it
-- (a create over an expired key continues its version numbers, so a stale compare-and-set
-- can never match a recreated entry).
DROP POLICY IF EXISTS working_context__not_expired ON cogdb.working_context;
CREATE POLICY working_context__not_expired ON cogdb.working_context
    AS RESTRICTIVE FOR SELECT TO cogdb_app
    USING (expires_at IS NULL OR expires_at > now());
-- <<< sql/policies/working_context__not_expired.sql

-- >>> step 10_memories.sql
-- Memories name the session they were made in (the table comes from sql/tables/sessions.sql,
-- applied before this step); check_memory_row checks it is one the context can see.
ALTER TABLE cogdb.memories ADD COLUMN session_id uuid;
ALTER TABLE cogdb.memories ADD FOREIGN KEY (tenant_id, session_id)
    REFERENCES cogdb.sessions (tenant_id, id);
CREATE INDEX memories_tenant_session_idx ON cogdb.memories (tenant_id, session_id, created_at, id)
    WHERE session_id IS NOT NULL;
-- Offloaded contexts are memories of their own context type (offload_context).
INSERT INTO cogdb.vocabularies (field, value, description)
VALUES ('context_type', 'offload', 'a large context kept whole and compressed (offload_context)')
ON CONFLICT (field, value) DO NOTHING;
-- <<< step 10_memories.sql

-- >>> sql/functions/memories/check_memory_row.sql
-- Trigger: validates a memory row before it is written and fills the tenant's default model,
-- so a direct INSERT/UPDATE is checked like remember(). Each refusal names the field (the
-- error's COLUMN) and what is allowed. The CHECK constraints on cogdb.memories hold the same
-- rules declaratively; this function exists to explain them and to check what a CHECK cannot
-- (the context, the embedding's dimension for its model, a session the context can see, and
-- the fixed visibility of an offloaded context). Vocabularies and tags are checked once per
-- statement by check_memory_batch.
CREATE OR REPLACE FUNCTION cogdb.check_memory_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid;
    v_dims integer;
    v_item text[];
BEGIN
    -- Deleting a user sets owner_user_id to NULL on their shared memories: the foreign key's
    -- action runs as the table owner, changes nothing else, and is let through without a
    -- context. Nobody else may change an owner.
    IF TG_OP = 'UPDATE' AND NEW.owner_user_id IS DISTINCT FROM OLD.owner_user_id THEN
        IF current_user = 'cogdb_owner' AND NEW.owner_user_id IS NULL
           AND to_jsonb(NEW) - 'owner_user_id' = to_jsonb(OLD) - 'owner_user_id' THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'owner_user_id cannot be changed'
            USING ERRCODE = 'CGA02', COLUMN = 'owner_user_id',
                  HINT = 'Store a new memory under the new owner and forget the old one.';
    END IF;
    v_tenant := cogdb.require_tenant('writing memories');
    IF NEW.tenant_id IS DISTINCT FROM v_tenant THEN
        RAISE EXCEPTION 'tenant_id must be the tenant of the context (%)', v_tenant
            USING ERRCODE = 'CGA02', COLUMN = 'tenant_id',
                  HINT = 'Leave tenant_id out: it defaults to the context''s tenant.';
    END IF;
    IF TG_OP = 'INSERT' AND NEW.owner_user_id IS NOT NULL
       AND NEW.owner_user_id IS DISTINCT FROM cogdb.current_user_id() THEN
        RAISE EXCEPTION 'owner_user_id must be the user of the context'
            USING ERRCODE = 'CGA02', COLUMN = 'owner_user_id',
                  HINT = 'Leave owner_user_id out: it defaults to the context''s user.';
    END IF;
    -- A memory names a session the context can see (sessions' policies apply here): the
    -- foreign key alone would accept another user's private session.
    IF NEW.session_id IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.session_id IS DISTINCT FROM OLD.session_id)
       AND NOT EXISTS (SELECT FROM cogdb.sessions s
                        WHERE s.tenant_id = v_tenant AND s.id = NEW.session_id) THEN
        RAISE EXCEPTION 'no session % (memory %)', NEW.session_id, NEW.id
            USING ERRCODE = 'CGN01', COLUMN = 'session_id',
                  HINT = 'Start one with cogdb.start_session(); other users'' private sessions '
                         'do not exist here.';
    END IF;
    -- An offloaded context's text carries its memory's visibility (offloaded_contexts'
    -- policies read the copy), so an offload memory keeps its visibility and context type.
    IF TG_OP = 'UPDATE' AND OLD.context_type = 'offload'
       AND (NEW.visibility IS DISTINCT FROM OLD.visibility
            OR NEW.context_type IS DISTINCT FROM OLD.context_type) THEN
        RAISE EXCEPTION 'an offloaded context keeps its visibility and context type (memory %)', NEW.id
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN NEW.visibility IS DISTINCT FROM OLD.visibility
                                THEN 'visibility' ELSE 'context_type' END,
                  HINT = 'Offload it again with the visibility wanted, and forget this one.';
    END IF;

    -- length + an unbounded class: the same rule as {0,127}, whose bounded repetition made
    -- PostgreSQL's regex engine spend ~35 us per row.
    IF NEW.id IS NULL OR length(NEW.id) > 128 OR NEW.id !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' THEN
        RAISE EXCEPTION 'id must be 1-128 characters of letters, digits and _ . : - (got %)',
                        coalesce(quote_literal(left(NEW.id, 40)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'id',
                  HINT = 'Leave id out to get a server-made mem_<hex> id.';
    END IF;

    SELECT r.name, r.dimensions INTO NEW.model, v_dims FROM cogdb.resolve_model(NEW.model) r;
    IF NEW.embedding IS NULL THEN
        RAISE EXCEPTION 'embedding is required' USING ERRCODE = 'CGV01', COLUMN = 'embedding',
              HINT = 'Pass the vector of the memory''s text, embedded with its model.';
    END IF;
    IF public.vector_dims(NEW.embedding) <> v_dims THEN
        RAISE EXCEPTION 'embedding has % dimensions; model % needs %',
                        public.vector_dims(NEW.embedding), quote_literal(NEW.model), v_dims
            USING ERRCODE = 'CGV01', COLUMN = 'embedding',
                  HINT = 'Embed with the model named, or pass the model the vector came from.';
    END IF;
    IF public.vector_norm(NEW.embedding) = 0 THEN
        RAISE EXCEPTION 'embedding is a zero vector; cosine similarity is undefined for it'
            USING ERRCODE = 'CGV01', COLUMN = 'embedding',
                  HINT = 'Check the embedder: a real embedding has a non-zero norm.';
    END IF;

    -- Fast path for bulk writes: one expression (no queries) that is true only when every
    -- check below would pass; anything else (NULLs included) takes the detailed checks,
    -- which name the field. Chat-export sources always take them (the tenant's toggle).
    IF (NEW.visibility IN ('private', 'tenant')
        AND NEW.source <> ALL (cogdb.chat_export_sources())
        AND (NEW.visibility = 'tenant' OR NEW.owner_user_id IS NOT NULL)
        AND length(NEW.human_content) <= 100000 AND length(NEW.assistant_content) <= 100000
        AND coalesce(length(NEW.summary) <= 10000, true)
        AND coalesce(length(NEW.conversation_id) <= 255, true)
        AND coalesce(length(NEW.cluster_label) <= 255, true)
        AND (NEW.human_content <> '' OR NEW.assistant_content <> '')
        AND coalesce(NEW.technical_depth BETWEEN 0 AND 10, true)
        AND coalesce(NEW.cluster_confidence BETWEEN 0 AND 1, true)
        AND NEW.sequence_index >= 0 AND NEW.access_count >= 0 AND NEW.cluster_id >= -1
        AND coalesce(NEW.expires_at > NEW.created_at, true)
        AND jsonb_typeof(NEW.tags) IN ('array', 'object') AND pg_column_size(NEW.tags) <= 16384
        AND jsonb_typeof(NEW.metadata) = 'object' AND pg_column_size(NEW.metadata) <= 65536
        ) IS TRUE THEN
        RETURN NEW;
    END IF;

    IF NEW.visibility IS NULL OR NEW.visibility NOT IN ('private', 'tenant') THEN
        RAISE EXCEPTION 'visibility must be one of private, tenant, got %',
                        coalesce(quote_literal(left(NEW.visibility, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'private: the context''s user only; tenant: everyone in the tenant.';
    END IF;
    -- The tenant setting features.chat_import (default: on for personal tenants, off for
    -- enterprise ones) gates memories made from providers' chat exports, whichever client
    -- writes them. Checked on INSERT and when an UPDATE turns a memory into one.
    IF NEW.source = ANY (cogdb.chat_export_sources())
       AND (TG_OP = 'INSERT' OR NEW.source IS DISTINCT FROM OLD.source)
       AND (SELECT (cogdb.effective_settings(t.mode, t.settings)
                    #>> '{features,chat_import}')::boolean
              FROM cogdb.tenants t WHERE t.id = v_tenant) IS NOT TRUE THEN
        RAISE EXCEPTION 'chat import is disabled for this tenant; enterprise memory is built from the assistant''s own conversations'
            USING ERRCODE = 'CGF01', COLUMN = 'source',
                  HINT = 'An admin can allow it: cogdb tenant set <tenant> '
                         'features.chat_import=true (cogdb.set_tenant_setting).';
    END IF;
    IF NEW.visibility = 'private' AND NEW.owner_user_id IS NULL THEN
        RAISE EXCEPTION 'a private memory needs a user in the context'
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'Pass a user to set_context, or use visibility ''tenant''.';
    END IF;

    FOREACH v_item SLICE 1 IN ARRAY ARRAY[
        ARRAY['human_content', NEW.human_content, '100000'],
        ARRAY['assistant_content', NEW.assistant_content, '100000'],
        ARRAY['summary', NEW.summary, '10000'],
        ARRAY['conversation_id', NEW.conversation_id, '255'],
        ARRAY['cluster_label', NEW.cluster_label, '255']]
    LOOP
        IF length(v_item[2]) > v_item[3]::integer THEN
            RAISE EXCEPTION '% is % characters; at most % are allowed',
                            v_item[1], length(v_item[2]), v_item[3]
                USING ERRCODE = 'CGV01', COLUMN = v_item[1],
                      HINT = 'Split long documents into several memories.';
        END IF;
    END LOOP;
    IF coalesce(NEW.human_content, '') = '' AND coalesce(NEW.assistant_content, '') = '' THEN
        RAISE EXCEPTION 'a memory needs human_content or assistant_content'
            USING ERRCODE = 'CGV01', COLUMN = 'human_content',
                  HINT = 'Store the question, the answer, or both.';
    END IF;

    IF NEW.technical_depth NOT BETWEEN 0 AND 10 THEN
        RAISE EXCEPTION 'technical_depth must be between 0 and 10, got %', NEW.technical_depth
            USING ERRCODE = 'CGV01', COLUMN = 'technical_depth',
                  HINT = 'Use 0 (none) to 10 (expert), or leave it out.';
    END IF;
    IF NOT NEW.cluster_confidence BETWEEN 0 AND 1 THEN  -- NaN sorts above 1: refused too
        RAISE EXCEPTION 'cluster_confidence must be between 0 and 1, got %', NEW.cluster_confidence
            USING ERRCODE = 'CGV01', COLUMN = 'cluster_confidence',
                  HINT = 'Use a probability from 0 to 1, or leave it out.';
    END IF;
    IF NEW.sequence_index < 0 OR NEW.access_count < 0 OR NEW.cluster_id < -1 THEN
        RAISE EXCEPTION 'sequence_index and access_count must be >= 0, cluster_id >= -1'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN NEW.sequence_index < 0 THEN 'sequence_index'
                                WHEN NEW.access_count < 0 THEN 'access_count'
                                ELSE 'cluster_id' END,
                  HINT = 'cluster_id -1 means no cluster.';
    END IF;
    IF NEW.expires_at <= NEW.created_at THEN
        RAISE EXCEPTION 'expires_at must be later than created_at'
            USING ERRCODE = 'CGV01', COLUMN = 'expires_at',
                  HINT = 'Leave expires_at out for a memory that never expires.';
    END IF;

    IF jsonb_typeof(NEW.tags) IS DISTINCT FROM 'array'
       AND jsonb_typeof(NEW.tags) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'tags must be a JSON list of strings or a JSON object, got %',
                        coalesce(jsonb_typeof(NEW.tags), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'tags',
                  HINT = 'e.g. ["ops", "deploy"] or {"project": "billing"}';
    END IF;
    IF jsonb_typeof(NEW.metadata) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'metadata must be a JSON object, got %',
                        coalesce(jsonb_typeof(NEW.metadata), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'metadata',
                  HINT = 'e.g. {"customer": "acme", "priority": 2}; search filters its top-level keys.';
    END IF;
    IF pg_column_size(NEW.tags) > 16384 OR pg_column_size(NEW.metadata) > 65536 THEN
        RAISE EXCEPTION '% is % bytes; at most % are allowed',
                        CASE WHEN pg_column_size(NEW.tags) > 16384 THEN 'tags' ELSE 'metadata' END,
                        greatest(pg_column_size(NEW.tags), pg_column_size(NEW.metadata)),
                        CASE WHEN pg_column_size(NEW.tags) > 16384 THEN 16384 ELSE 65536 END
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN pg_column_size(NEW.tags) > 16384 THEN 'tags' ELSE 'metadata' END,
                  HINT = 'Keep tags and metadata small: they are filters, not documents.';
    END IF;
    RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_memory_row() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.check_memory_row() IS
    'Row trigger on memories: validates a row before it is written (context, owner, id, model and embedding, sizes, ranges) and names the field it refuses.';
-- <<< sql/functions/memories/check_memory_row.sql

-- >>> sql/functions/memories/remember_many.sql
-- Stores a batch of memories in one statement and returns (ordinality, id) in input order.
-- `memories` is a JSON array of objects keyed by memory column names; `embeddings` holds one
-- vector per object, same order. All-or-nothing: one bad row refuses the whole batch.
-- Tenant and owner come from the context, never from the input (such keys are refused).
CREATE OR REPLACE FUNCTION cogdb.remember_many(memories jsonb, embeddings public.vector[],
                                               model text DEFAULT NULL)
    RETURNS TABLE (ordinality bigint, id text)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_unknown text;
    v_bad_ord bigint;
    v_bad_key text;
    v_bad_type text;
BEGIN
    PERFORM cogdb.require_tenant('writing memories');
    IF jsonb_typeof(memories) IS DISTINCT FROM 'array'
       OR EXISTS (SELECT FROM jsonb_array_elements(memories) e WHERE jsonb_typeof(e) <> 'object')
    THEN
        RAISE EXCEPTION 'memories must be a JSON array of objects'
            USING ERRCODE = 'CGV01', COLUMN = 'memories',
                  HINT = 'e.g. ''[{"human_content": "…", "assistant_content": "…"}]''';
    END IF;
    IF jsonb_array_length(memories) <> coalesce(cardinality(embeddings), 0) THEN
        RAISE EXCEPTION '% memories but % embeddings; they must pair up one to one',
                        jsonb_array_length(memories), coalesce(cardinality(embeddings), 0)
            USING ERRCODE = 'CGV01', COLUMN = 'embeddings',
                  HINT = 'Pass one vector per memory, in the same order.';
    END IF;
    SELECT string_agg(DISTINCT k, ', ' ORDER BY k) INTO v_unknown
      FROM jsonb_array_elements(memories) e, jsonb_object_keys(e) k
     WHERE k <> ALL (ARRAY['id', 'conversation_id', 'sequence_index', 'human_content',
                           'assistant_content', 'summary', 'context_type', 'source',
                           'created_at', 'expires_at', 'visibility', 'intent_type',
                           'complexity', 'technical_depth', 'emotional_valence', 'urgency',
                           'conversation_mode', 'action_required', 'has_code', 'has_error',
                           'tags', 'metadata', 'cluster_id', 'cluster_label',
                           'cluster_confidence', 'access_count', 'last_accessed', 'session_id']);
    IF v_unknown IS NOT NULL THEN
        RAISE EXCEPTION 'unknown memory field(s): %', v_unknown
            USING ERRCODE = 'CGV01', COLUMN = split_part(v_unknown, ',', 1),
                  HINT = 'tenant_id and owner_user_id come from the context; other names are '
                         'the columns of cogdb.memories.';
    END IF;

    BEGIN
    RETURN QUERY
    WITH input AS (
        SELECT r.ord, coalesce(r.id, cogdb.new_memory_id()) AS id, r.conversation_id,
               coalesce(r.sequence_index, 0) AS sequence_index,
               coalesce(r.human_content, '') AS human_content,
               coalesce(r.assistant_content, '') AS assistant_content, r.summary,
               coalesce(r.context_type, 'conversation') AS context_type,
               coalesce(r.source, 'api') AS source, coalesce(r.created_at, now()) AS created_at,
               r.expires_at, coalesce(r.visibility, 'tenant') AS visibility, r.intent_type,
               r.complexity, r.technical_depth, r.emotional_valence, r.urgency,
               r.conversation_mode, coalesce(r.action_required, false) AS action_required,
               coalesce(r.has_code, false) AS has_code, coalesce(r.has_error, false) AS has_error,
               coalesce(r.tags, '[]') AS tags, coalesce(r.metadata, '{}') AS metadata,
               coalesce(r.cluster_id, -1) AS cluster_id,
               r.cluster_label, r.cluster_confidence,
               coalesce(r.access_count, 0) AS access_count, r.last_accessed,
               r.session_id, embeddings[r.ord] AS embedding
          FROM ROWS FROM (jsonb_to_recordset(memories) AS (
                   id text, conversation_id text, sequence_index integer, human_content text,
                   assistant_content text, summary text, context_type text, source text,
                   created_at timestamptz, expires_at timestamptz, visibility text,
                   intent_type text, complexity text, technical_depth smallint,
                   emotional_valence text, urgency text, conversation_mode text,
                   action_required boolean, has_code boolean, has_error boolean, tags jsonb,
                   metadata jsonb, cluster_id integer, cluster_label text, cluster_confidence real,
                   access_count integer, last_accessed timestamptz, session_id uuid))
               WITH ORDINALITY AS r(id, conversation_id, sequence_index, human_content,
                   assistant_content, summary, context_type, source, created_at, expires_at,
                   visibility, intent_type, complexity, technical_depth, emotional_valence,
                   urgency, conversation_mode, action_required, has_code, has_error, tags,
                   metadata, cluster_id, cluster_label, cluster_confidence, access_count,
                   last_accessed, session_id, ord)
    ), inserted AS (
        INSERT INTO cogdb.memories AS m (
            id, conversation_id, sequence_index, human_content, assistant_content, summary,
            context_type, source, created_at, expires_at, visibility, intent_type, complexity,
            technical_depth, emotional_valence, urgency, conversation_mode, action_required,
            has_code, has_error, tags, metadata, cluster_id, cluster_label, cluster_confidence,
            access_count, last_accessed, session_id, model, embedding)
        SELECT i.id, i.conversation_id, i.sequence_index, i.human_content, i.assistant_content,
               i.summary, i.context_type, i.source, i.created_at, i.expires_at, i.visibility,
               i.intent_type, i.complexity, i.technical_depth, i.emotional_valence, i.urgency,
               i.conversation_mode, i.action_required, i.has_code, i.has_error, i.tags,
               i.metadata, i.cluster_id, i.cluster_label, i.cluster_confidence, i.access_count,
               i.last_accessed, i.session_id, remember_many.model, i.embedding
          FROM input i ORDER BY i.ord
        RETURNING m.id
    )
    SELECT i.ord, i.id FROM input i JOIN inserted USING (id) ORDER BY i.ord;
    EXCEPTION WHEN data_exception THEN
        -- A JSON value that does not convert to its column's type. Only this error path
        -- pays for finding which memory and field it was.
        SELECT e.ord, t.key, t.typ INTO v_bad_ord, v_bad_key, v_bad_type
          FROM jsonb_array_elements(memories) WITH ORDINALITY AS e(obj, ord),
               (VALUES ('sequence_index', 'integer'), ('technical_depth', 'smallint'),
                       ('cluster_id', 'integer'), ('access_count', 'integer'),
                       ('cluster_confidence', 'real'), ('created_at', 'timestamptz'),
                       ('expires_at', 'timestamptz'), ('last_accessed', 'timestamptz'),
                       ('action_required', 'boolean'), ('has_code', 'boolean'),
                       ('has_error', 'boolean'), ('session_id', 'uuid')) AS t(key, typ)
         WHERE jsonb_typeof(e.obj -> t.key) NOT IN ('null')
           AND (jsonb_typeof(e.obj -> t.key) IN ('array', 'object')
                OR NOT pg_input_is_valid(e.obj ->> t.key, t.typ))
         ORDER BY e.ord
         LIMIT 1;
        IF v_bad_key IS NULL THEN
            RAISE;
        END IF;
        RAISE EXCEPTION '% of memory #% must be of type %, got %', v_bad_key, v_bad_ord,
                        v_bad_type, left((memories -> (v_bad_ord::integer - 1) -> v_bad_key)::text, 60)
            USING ERRCODE = 'CGV01', COLUMN = v_bad_key,
                  HINT = 'Numbers as JSON numbers, timestamps as ISO 8601 strings, session_id as a UUID string.';
    END;
END
$$;

REVOKE ALL ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) IS
    'Stores a batch of memories in one statement and returns (ordinality, id) in input order.';
-- <<< sql/functions/memories/remember_many.sql

-- >>> sql/functions/sessions/check_offload_row.sql
-- Trigger (BEFORE INSERT ON offloaded_contexts): the text belongs to a memory of context
-- type 'offload' that the context can see (else CGN01, like a missing id), and copies its
-- owner and visibility, which the policies read (they never change for an offload memory:
-- check_memory_row refuses it).
CREATE OR REPLACE FUNCTION cogdb.check_offload_row() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.require_tenant('offloading a context');
    v_type text;
BEGIN
    IF NEW.tenant_id IS DISTINCT FROM v_tenant THEN
        RAISE EXCEPTION 'tenant_id must be the tenant of the context (%)', v_tenant
            USING ERRCODE = 'CGA02', COLUMN = 'tenant_id',
                  HINT = 'Leave tenant_id out: it defaults to the context''s tenant.';
    END IF;
    SELECT m.context_type, m.owner_user_id, m.visibility
      INTO v_type, NEW.owner_user_id, NEW.visibility
      FROM cogdb.memories m WHERE m.tenant_id = v_tenant AND m.id = NEW.memory_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no memory %', coalesce(quote_literal(NEW.memory_id), 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'memory_id',
                  HINT = 'Offload with cogdb.offload_context(), which stores the memory first.';
    END IF;
    IF v_type <> 'offload' THEN
        RAISE EXCEPTION 'memory % has context_type %, not offload', NEW.memory_id, quote_literal(v_type)
            USING ERRCODE = 'CGV01', COLUMN = 'memory_id',
                  HINT = 'Offload with cogdb.offload_context(), which stores the memory first.';
    END IF;
    RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_offload_row() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.check_offload_row() IS
    'Row trigger on offloaded_contexts: the text belongs to a visible offload memory, whose owner and visibility it copies.';
-- <<< sql/functions/sessions/check_offload_row.sql

-- >>> sql/tables/offloaded_contexts.sql
-- Offloaded contexts: a large text (a conversation's context moved out of the prompt) kept
-- whole and compressed, beside the memory that makes it searchable: the memory (context_type
-- 'offload') holds its embedding, summary, session and visibility, so cogdb.search finds it
-- like any memory, and this row holds the full text under the same key. TOAST compresses
-- the text (the column's compression method, pglz unless the server was built with lz4 and
-- an operator chose it); get_offloaded reports octet_length vs pg_column_size as the ratio.
-- Forgetting the memory deletes the row (ON DELETE CASCADE). The memory's owner and
-- visibility are copied here (check_offload_row) and never change (check_memory_row refuses
-- it for an 'offload' memory), so the policies read them like memories' own.
CREATE TABLE cogdb.offloaded_contexts (
    tenant_id     uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    memory_id     text NOT NULL,
    owner_user_id uuid,
    visibility    text NOT NULL CHECK (visibility IN ('private', 'tenant')),
    content       text NOT NULL CHECK (octet_length(content) BETWEEN 1 AND 10485760),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, memory_id),
    FOREIGN KEY (tenant_id, memory_id) REFERENCES cogdb.memories (tenant_id, id)
        ON DELETE CASCADE,
    CONSTRAINT offloaded_contexts_private_has_owner
        CHECK (visibility = 'tenant' OR owner_user_id IS NOT NULL)
)
-- Compress any text over 128 bytes, not only rows past the default 2 kB.
WITH (toast_tuple_target = 128);
ALTER TABLE cogdb.offloaded_contexts ALTER COLUMN content SET STATISTICS 0;
CREATE TRIGGER offloaded_contexts_check_row BEFORE INSERT ON cogdb.offloaded_contexts
    FOR EACH ROW EXECUTE FUNCTION cogdb.check_offload_row();
ALTER TABLE cogdb.offloaded_contexts ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.offloaded_contexts FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON cogdb.offloaded_contexts TO cogdb_app;
COMMENT ON TABLE cogdb.offloaded_contexts IS
    'Large contexts kept whole and compressed (TOAST) beside the memory that makes them searchable; fenced by tenant (RLS), private ones seen by their owner only.';
-- <<< sql/tables/offloaded_contexts.sql

-- >>> sql/policies/offloaded_contexts__tenant_fence.sql
-- The tenant fence on offloaded_contexts: a row is readable and writable only inside its own tenant's
-- context. RESTRICTIVE, so no permissive policy added later can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS offloaded_contexts__tenant_fence ON cogdb.offloaded_contexts;
CREATE POLICY offloaded_contexts__tenant_fence ON cogdb.offloaded_contexts
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/offloaded_contexts__tenant_fence.sql

-- >>> sql/policies/offloaded_contexts__visible_to_user.sql
-- Inside the fence: the texts of tenant-visible offload memories, plus the context user's
-- own private ones (each row carries its memory's owner and visibility, which never change
-- for an offload memory). The only permissive policy on offloaded_contexts.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS offloaded_contexts__visible_to_user ON cogdb.offloaded_contexts;
CREATE POLICY offloaded_contexts__visible_to_user ON cogdb.offloaded_contexts
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()))
    WITH CHECK (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()));
-- <<< sql/policies/offloaded_contexts__visible_to_user.sql

-- >>> sql/functions/sessions/start_session.sql
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
-- <<< sql/functions/sessions/start_session.sql

-- >>> sql/functions/sessions/end_session.sql
-- Ends a session the context can see and returns when it ended; ending an ended session
-- returns its end again. From then on it takes no events: the end takes the session's row
-- lock, so an append that waited for it is refused, and every event of the session comes
-- before its end. CGN01 for a session the context cannot see, like a missing one. Definer,
-- like start_session.
CREATE OR REPLACE FUNCTION cogdb.end_session(session_id uuid) RETURNS timestamptz
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.require_tenant('ending a session');
    v_ended timestamptz;
BEGIN
    UPDATE cogdb.sessions s SET ended_at = greatest(clock_timestamp(), s.started_at)
     WHERE s.tenant_id = v_tenant AND s.id = session_id AND s.ended_at IS NULL
    RETURNING s.ended_at INTO v_ended;
    IF NOT FOUND THEN
        SELECT s.ended_at INTO v_ended FROM cogdb.sessions s
         WHERE s.tenant_id = v_tenant AND s.id = session_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no session %', session_id
                USING ERRCODE = 'CGN01', COLUMN = 'session_id',
                      HINT = 'Sessions of other tenants, and other users'' private sessions, do not exist here.';
        END IF;
    END IF;
    RETURN v_ended;
END
$$;

REVOKE ALL ON FUNCTION cogdb.end_session(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.end_session(uuid) TO cogdb_app;
COMMENT ON FUNCTION cogdb.end_session(uuid) IS
    'Ends a session the context can see and returns when it ended (idempotent); it takes no more events.';
-- <<< sql/functions/sessions/end_session.sql

-- >>> sql/functions/sessions/get_session.sql
-- The session with this id if the context can see it, else no row; event_count is how many
-- events it has (their seq runs 1 … event_count without gaps: one index probe).
CREATE OR REPLACE FUNCTION cogdb.get_session(session_id uuid)
    RETURNS TABLE (id uuid, owner_user_id uuid, visibility text, mode text, agent text,
                   parent_session_id uuid, started_at timestamptz, ended_at timestamptz,
                   metadata jsonb, event_count bigint)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.id, s.owner_user_id, s.visibility, s.mode, s.agent, s.parent_session_id,
           s.started_at, s.ended_at, s.metadata,
           (SELECT coalesce(max(e.seq), 0) FROM cogdb.events e
             WHERE e.tenant_id = s.tenant_id AND e.session_id = s.id)
      FROM cogdb.sessions s WHERE s.id = get_session.session_id
$$;

REVOKE ALL ON FUNCTION cogdb.get_session(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get_session(uuid) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get_session(uuid) IS
    'The session with this id if the context can see it, with how many events it has.';
-- <<< sql/functions/sessions/get_session.sql

-- >>> sql/functions/sessions/list_sessions.sql
-- The sessions the context can see, newest first (started_at, then id, both descending), at
-- most page_size, after the keyset cursor (before_started_at, before_id) when given: pass
-- the last row's started_at and id for the next page. Optional filters: owner, mode, agent,
-- parent session, and only_open (not ended). event_count: as get_session. No context: no
-- rows.
CREATE OR REPLACE FUNCTION cogdb.list_sessions(page_size integer DEFAULT 20,
                                               before_started_at timestamptz DEFAULT NULL,
                                               before_id uuid DEFAULT NULL,
                                               only_owner uuid DEFAULT NULL,
                                               only_mode text DEFAULT NULL,
                                               only_agent text DEFAULT NULL,
                                               only_parent uuid DEFAULT NULL,
                                               only_open boolean DEFAULT false)
    RETURNS TABLE (id uuid, owner_user_id uuid, visibility text, mode text, agent text,
                   parent_session_id uuid, started_at timestamptz, ended_at timestamptz,
                   metadata jsonb, event_count bigint)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF list_sessions.page_size IS NULL OR list_sessions.page_size NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'page_size must be between 1 and 1000, got %',
                        coalesce(list_sessions.page_size::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'page_size',
                  HINT = 'Page through more with the cursor: the last row''s started_at and id.';
    END IF;
    IF (list_sessions.before_started_at IS NULL) <> (list_sessions.before_id IS NULL) THEN
        RAISE EXCEPTION 'before_started_at and before_id go together (the last row of the previous page)'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN list_sessions.before_id IS NULL THEN 'before_id'
                                ELSE 'before_started_at' END,
                  HINT = 'Pass both, or neither for the first page.';
    END IF;
    RETURN QUERY
    SELECT s.id, s.owner_user_id, s.visibility, s.mode, s.agent, s.parent_session_id,
           s.started_at, s.ended_at, s.metadata,
           (SELECT coalesce(max(e.seq), 0) FROM cogdb.events e
             WHERE e.tenant_id = s.tenant_id AND e.session_id = s.id)
      FROM cogdb.sessions s
     WHERE (list_sessions.before_started_at IS NULL
            OR (s.started_at, s.id) < (list_sessions.before_started_at, list_sessions.before_id))
       AND (list_sessions.only_owner IS NULL OR s.owner_user_id = list_sessions.only_owner)
       AND (list_sessions.only_mode IS NULL OR s.mode = list_sessions.only_mode)
       AND (list_sessions.only_agent IS NULL OR s.agent = list_sessions.only_agent)
       AND (list_sessions.only_parent IS NULL OR s.parent_session_id = list_sessions.only_parent)
       AND (NOT coalesce(list_sessions.only_open, false) OR s.ended_at IS NULL)
     ORDER BY s.started_at DESC, s.id DESC
     LIMIT list_sessions.page_size;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_sessions(integer, timestamptz, uuid, uuid, text, text, uuid, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_sessions(integer, timestamptz, uuid, uuid, text, text, uuid, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_sessions(integer, timestamptz, uuid, uuid, text, text, uuid, boolean) IS
    'The sessions the context can see, newest first, at most page_size, after the keyset cursor (before_started_at, before_id) when given.';
-- <<< sql/functions/sessions/list_sessions.sql

-- >>> sql/functions/sessions/session_memories.sql
-- "What was remembered in session S": the memories of a session the context can see, in the
-- order they were made (created_at, then id), at most page_size, after the keyset cursor
-- (after_created_at, after_id) when given. Expired memories are not listed; a session the
-- context cannot see lists nothing (even memories of it that are tenant-visible).
CREATE OR REPLACE FUNCTION cogdb.session_memories(session_id uuid, page_size integer DEFAULT 100,
                                                  after_created_at timestamptz DEFAULT NULL,
                                                  after_id text DEFAULT NULL)
    RETURNS SETOF cogdb.memories
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
BEGIN
    IF page_size IS NULL OR page_size NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'page_size must be between 1 and 1000, got %', coalesce(page_size::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'page_size',
                  HINT = 'Page through more with the cursor: the last row''s created_at and id.';
    END IF;
    IF (after_created_at IS NULL) <> (after_id IS NULL) THEN
        RAISE EXCEPTION 'after_created_at and after_id go together (the last row of the previous page)'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN after_id IS NULL THEN 'after_id' ELSE 'after_created_at' END,
                  HINT = 'Pass both, or neither for the first page.';
    END IF;
    RETURN QUERY
    SELECT m.* FROM cogdb.memories m
     WHERE m.session_id = session_memories.session_id
       AND EXISTS (SELECT FROM cogdb.sessions s
                    WHERE s.tenant_id = m.tenant_id AND s.id = m.session_id)
       AND (m.expires_at IS NULL OR m.expires_at > now())
       AND (after_created_at IS NULL OR (m.created_at, m.id) > (after_created_at, after_id))
     ORDER BY m.created_at, m.id
     LIMIT page_size;
END
$$;

REVOKE ALL ON FUNCTION cogdb.session_memories(uuid, integer, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.session_memories(uuid, integer, timestamptz, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.session_memories(uuid, integer, timestamptz, text) IS
    'The memories of a session the context can see, oldest first, at most page_size, after the keyset cursor (after_created_at, after_id) when given.';
-- <<< sql/functions/sessions/session_memories.sql

-- >>> sql/functions/sessions/search_sessions.sql
-- "The sessions where X came up": the sessions (that the context can see) of the memories
-- nearest to `query`, best first. It ranks with cogdb.search itself (the same plan choice,
-- filters of visibility and expiry, and model), taking its `candidates` nearest memories
-- (1 … settings.search.max_k), then groups them by session: similarity is the best of the
-- session's memories among them, matches how many there were, best_memory_id the nearest.
-- Memories without a session are left out. Ties: by session id.
CREATE OR REPLACE FUNCTION cogdb.search_sessions(query public.vector, k integer DEFAULT 10,
                                                 model text DEFAULT NULL,
                                                 candidates integer DEFAULT 200)
    RETURNS TABLE (session_id uuid, similarity double precision, matches bigint,
                   best_memory_id text, owner_user_id uuid, visibility text, mode text,
                   agent text, parent_session_id uuid, started_at timestamptz,
                   ended_at timestamptz, plan text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF search_sessions.k IS NULL OR search_sessions.k NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'k must be between 1 and 1000, got %', coalesce(search_sessions.k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'k', HINT = 'k is how many sessions to return.';
    END IF;
    RETURN QUERY
    SELECT s.id, max(h.similarity), count(*),
           (array_agg(h.id ORDER BY h.similarity DESC, h.id))[1],
           s.owner_user_id, s.visibility, s.mode, s.agent, s.parent_session_id, s.started_at,
           s.ended_at, min(h.plan)
      FROM cogdb.search(search_sessions.query, k => search_sessions.candidates,
                        model => search_sessions.model) h
      JOIN cogdb.memories m ON m.id = h.id
      JOIN cogdb.sessions s ON s.tenant_id = m.tenant_id AND s.id = m.session_id
     GROUP BY s.tenant_id, s.id
     ORDER BY 2 DESC, 1
     LIMIT search_sessions.k;
END
$$;

REVOKE ALL ON FUNCTION cogdb.search_sessions(public.vector, integer, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.search_sessions(public.vector, integer, text, integer) TO cogdb_app;
COMMENT ON FUNCTION cogdb.search_sessions(public.vector, integer, text, integer) IS
    'The sessions whose memories are nearest to `query` (ranked by cogdb.search), best first.';
-- <<< sql/functions/sessions/search_sessions.sql

-- >>> sql/functions/sessions/append_event.sql
-- Appends one event to a session and returns its id, its seq (the session's next number)
-- and its time. The trigger check_event_row does the work, so a direct INSERT INTO
-- cogdb.events is appended the same way. `id` lets a client that retries after a lost
-- reply make the append idempotent: a second append with the same id is refused (CGC01)
-- instead of doubled.
CREATE OR REPLACE FUNCTION cogdb.append_event(session_id uuid, event_type text,
                                              payload jsonb DEFAULT '{}',
                                              source_agent text DEFAULT NULL,
                                              target_agent text DEFAULT NULL,
                                              parent_event_id uuid DEFAULT NULL,
                                              id uuid DEFAULT NULL)
    RETURNS TABLE (id uuid, seq bigint, created_at timestamptz)
    LANGUAGE sql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO cogdb.events AS e (id, session_id, event_type, payload, source_agent,
                                   target_agent, parent_event_id)
    VALUES (coalesce(append_event.id, gen_random_uuid()), append_event.session_id,
            append_event.event_type, coalesce(append_event.payload, '{}'),
            append_event.source_agent, append_event.target_agent,
            append_event.parent_event_id)
    RETURNING e.id, e.seq, e.created_at
$$;

REVOKE ALL ON FUNCTION cogdb.append_event(uuid, text, jsonb, text, text, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.append_event(uuid, text, jsonb, text, text, uuid, uuid) TO cogdb_app;
COMMENT ON FUNCTION cogdb.append_event(uuid, text, jsonb, text, text, uuid, uuid) IS
    'Appends one event to a session and returns its id, seq (gapless within the session) and time.';
-- <<< sql/functions/sessions/append_event.sql

-- >>> sql/functions/sessions/list_events.sql
-- "What happened in session S": its events in order (seq), at most page_size, after the
-- cursor after_seq (the last seq of the previous page; 0 for the start), optionally only
-- those at or after `since` and before `until` (time order is seq order within a session)
-- and of one type. A session the context cannot see lists nothing. Readers that follow a
-- live session poll with the last seq they saw: appends are visible once committed, and a
-- later commit never gets a lower seq, so nothing is skipped.
CREATE OR REPLACE FUNCTION cogdb.list_events(session_id uuid, after_seq bigint DEFAULT 0,
                                             page_size integer DEFAULT 100,
                                             since timestamptz DEFAULT NULL,
                                             until timestamptz DEFAULT NULL,
                                             only_type text DEFAULT NULL)
    RETURNS SETOF cogdb.events
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
BEGIN
    IF page_size IS NULL OR page_size NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'page_size must be between 1 and 1000, got %', coalesce(page_size::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'page_size',
                  HINT = 'Page through more with after_seq: the last seq of the previous page.';
    END IF;
    IF since IS NULL AND until IS NULL THEN
        RETURN QUERY
        SELECT e.* FROM cogdb.events e
         WHERE e.session_id = list_events.session_id AND e.seq > coalesce(after_seq, 0)
           AND (only_type IS NULL OR e.event_type = only_type)
         ORDER BY e.seq LIMIT page_size;
    ELSE
        -- By time: the (session, created_at) index finds the start.
        RETURN QUERY
        SELECT e.* FROM cogdb.events e
         WHERE e.session_id = list_events.session_id AND e.seq > coalesce(after_seq, 0)
           AND (since IS NULL OR e.created_at >= since)
           AND (until IS NULL OR e.created_at < until)
           AND (only_type IS NULL OR e.event_type = only_type)
         ORDER BY e.created_at, e.seq LIMIT page_size;
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_events(uuid, bigint, integer, timestamptz, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_events(uuid, bigint, integer, timestamptz, timestamptz, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_events(uuid, bigint, integer, timestamptz, timestamptz, text) IS
    'The events of a session in seq order, at most page_size, after the cursor after_seq, optionally within a time range and of one type.';
-- <<< sql/functions/sessions/list_events.sql

-- >>> sql/functions/sessions/event_chain.sql
-- The causal chain of an event: the event itself, then its parent, its parent's parent, …
-- back to the root (nearest first), at most max_depth + 1 events. Parents are appended
-- before their children and never change, so a chain has no cycles; and a reader who sees
-- an event sees its whole chain (check_event_row refuses a parent its readers could not
-- see). An event the context cannot see has no chain (no rows).
CREATE OR REPLACE FUNCTION cogdb.event_chain(event_id uuid, max_depth integer DEFAULT 1000)
    RETURNS SETOF cogdb.events
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE chain AS (
        SELECT e, 0 AS depth FROM cogdb.events e WHERE e.id = event_chain.event_id
        UNION ALL
        SELECT p, c.depth + 1 FROM chain c
          JOIN cogdb.events p ON p.tenant_id = (c.e).tenant_id AND p.id = (c.e).parent_event_id
         WHERE c.depth < least(greatest(event_chain.max_depth, 0), 100000)
    )
    SELECT (c.e).* FROM chain c ORDER BY c.depth
$$;

REVOKE ALL ON FUNCTION cogdb.event_chain(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.event_chain(uuid, integer) TO cogdb_app;
COMMENT ON FUNCTION cogdb.event_chain(uuid, integer) IS
    'The causal chain of an event: the event, its parent, and so on back to the root (nearest first).';
-- <<< sql/functions/sessions/event_chain.sql

-- >>> sql/functions/sessions/working_entry_owner.sql
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
-- <<< sql/functions/sessions/working_entry_owner.sql

-- >>> sql/functions/sessions/raise_stale_version.sql
-- Raises CGC02 for a compare-and-set of a working-context entry that named a stale version,
-- with the entry's current version (0: it does not exist or has expired) in the message,
-- the HINT and the DETAIL (JSON {"current_version": n}, which the Python client reads).
-- Reads the entry afresh (a new statement: a concurrent winner's commit is visible).
CREATE OR REPLACE FUNCTION cogdb.raise_stale_version(key text, session_id uuid, agent text,
                                                     tier text, owner_user_id uuid,
                                                     expected_version bigint)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_current bigint;
BEGIN
    SELECT w.version INTO v_current FROM cogdb.working_context w
     WHERE w.tenant_id = cogdb.current_tenant_id() AND w.key = key
       AND w.session_id IS NOT DISTINCT FROM session_id AND w.agent IS NOT DISTINCT FROM agent
       AND w.tier = tier AND w.owner_user_id IS NOT DISTINCT FROM owner_user_id
       AND (w.expires_at IS NULL OR w.expires_at > now());
    v_current := coalesce(v_current, 0);
    RAISE EXCEPTION 'stale version: working context entry % is at version %, the write named %',
                    quote_literal(key), v_current, expected_version
        USING ERRCODE = 'CGC02', COLUMN = 'expected_version',
              DETAIL = jsonb_build_object('current_version', v_current)::text,
              HINT = format('Read it again and retry with expected_version => %s (0 creates an '
                            'entry that does not exist).', v_current);
END
$$;

REVOKE ALL ON FUNCTION cogdb.raise_stale_version(text, uuid, text, text, uuid, bigint) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.raise_stale_version(text, uuid, text, text, uuid, bigint) IS
    'Raises CGC02 for a stale compare-and-set of a working-context entry, with its current version (0: none).';
-- <<< sql/functions/sessions/raise_stale_version.sql

-- >>> sql/functions/sessions/get_working_entry.sql
-- The live (not expired) working-context entry with this key in its namespace (session,
-- agent, tier), if the context can see it; else no row. The private tier is the context
-- user's own.
CREATE OR REPLACE FUNCTION cogdb.get_working_entry(key text, session_id uuid DEFAULT NULL,
                                                   agent text DEFAULT NULL,
                                                   tier text DEFAULT 'shared')
    RETURNS SETOF cogdb.working_context
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT w.* FROM cogdb.working_context w
     WHERE w.key = get_working_entry.key
       AND w.session_id IS NOT DISTINCT FROM get_working_entry.session_id
       AND w.agent IS NOT DISTINCT FROM get_working_entry.agent
       AND w.tier = get_working_entry.tier
       AND (w.tier = 'shared' OR w.owner_user_id = cogdb.current_user_id())
       AND (w.expires_at IS NULL OR w.expires_at > now())
$$;

REVOKE ALL ON FUNCTION cogdb.get_working_entry(text, uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get_working_entry(text, uuid, text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get_working_entry(text, uuid, text, text) IS
    'The live working-context entry with this key in its namespace (session, agent, tier), if the context can see it.';
-- <<< sql/functions/sessions/get_working_entry.sql

-- >>> sql/functions/sessions/list_working_entries.sql
-- The live working-context entries of one namespace (session_id and agent, each matched
-- exactly, NULL included) that the context can see, by key, optionally of one tier and
-- only keys starting with key_prefix; at most page_size, after the cursor (after_key,
-- after_tier): the last row's key and tier.
CREATE OR REPLACE FUNCTION cogdb.list_working_entries(session_id uuid DEFAULT NULL,
                                                      agent text DEFAULT NULL,
                                                      tier text DEFAULT NULL,
                                                      key_prefix text DEFAULT NULL,
                                                      page_size integer DEFAULT 100,
                                                      after_key text DEFAULT NULL,
                                                      after_tier text DEFAULT NULL)
    RETURNS SETOF cogdb.working_context
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
BEGIN
    IF page_size IS NULL OR page_size NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'page_size must be between 1 and 1000, got %', coalesce(page_size::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'page_size',
                  HINT = 'Page through more with after_key and after_tier: the last row''s key and tier.';
    END IF;
    RETURN QUERY
    SELECT w.* FROM cogdb.working_context w
     WHERE w.session_id IS NOT DISTINCT FROM list_working_entries.session_id
       AND w.agent IS NOT DISTINCT FROM list_working_entries.agent
       AND (tier IS NULL OR w.tier = tier)
       AND (w.tier = 'shared' OR w.owner_user_id = cogdb.current_user_id())
       AND (key_prefix IS NULL OR starts_with(w.key, key_prefix))
       AND (after_key IS NULL OR (w.key, w.tier) > (after_key, coalesce(after_tier, '')))
       AND (w.expires_at IS NULL OR w.expires_at > now())
     ORDER BY w.key, w.tier
     LIMIT page_size;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_working_entries(uuid, text, text, text, integer, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_working_entries(uuid, text, text, text, integer, text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_working_entries(uuid, text, text, text, integer, text, text) IS
    'The live working-context entries of one namespace (session, agent) that the context can see, by key, at most page_size, after the cursor (after_key, after_tier).';
-- <<< sql/functions/sessions/list_working_entries.sql

-- >>> sql/functions/sessions/set_working_entry.sql
-- Writes a working-context entry by compare-and-set and returns its new version.
-- expected_version is the version the writer read: 0 creates the entry (refused if a live
-- one exists), n > 0 replaces version n (refused if the entry is at another version, or
-- gone). A refusal is CGC02 with the current version (raise_stale_version). Of several
-- writers naming the same version, exactly one wins: the update re-checks the version after
-- waiting for the row's lock (READ COMMITTED; under REPEATABLE READ the loser gets a
-- serialization failure instead). An expired entry counts as gone: a create replaces it and
-- continues its version numbers, so a writer still holding an old version never matches.
-- The entry lives in its namespace: session_id and/or agent (either may be NULL), tier
-- (private or shared), key. expires_at, if given, must be in the future. Definer: the app
-- only reads working_context; the owner is fenced by the same policies (FORCE RLS).
CREATE OR REPLACE FUNCTION cogdb.set_working_entry(key text, value jsonb, expected_version bigint,
                                                   session_id uuid DEFAULT NULL,
                                                   agent text DEFAULT NULL,
                                                   tier text DEFAULT 'shared',
                                                   expires_at timestamptz DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.require_tenant('writing working context');
    v_owner uuid;
    v_version bigint;
BEGIN
    IF coalesce(length(set_working_entry.key), 0) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'key must be 1-255 characters' USING ERRCODE = 'CGV01', COLUMN = 'key',
              HINT = 'e.g. plan, user.preferences, step:3';
    END IF;
    IF set_working_entry.value IS NULL OR pg_column_size(set_working_entry.value) > 262144 THEN
        RAISE EXCEPTION 'value must be JSON of at most 256 kB' USING ERRCODE = 'CGV01',
              COLUMN = 'value', HINT = 'Offload large contexts (cogdb.offload_context).';
    END IF;
    IF expected_version IS NULL OR expected_version < 0 THEN
        RAISE EXCEPTION 'expected_version must be the version the write read (0 for a new entry), got %',
                        coalesce(expected_version::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'expected_version',
                  HINT = 'Every write is a compare-and-set: read the entry, then name its version.';
    END IF;
    IF length(set_working_entry.agent) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'agent must be 1-255 characters' USING ERRCODE = 'CGV01',
              COLUMN = 'agent', HINT = 'Name the agent, or leave it out.';
    END IF;
    IF set_working_entry.expires_at <= now() THEN
        RAISE EXCEPTION 'expires_at must be in the future, got %', set_working_entry.expires_at
            USING ERRCODE = 'CGV01', COLUMN = 'expires_at',
                  HINT = 'Leave it out for an entry that never expires.';
    END IF;
    v_owner := cogdb.working_entry_owner(set_working_entry.tier, set_working_entry.session_id);

    IF expected_version = 0 THEN
        INSERT INTO cogdb.working_context AS w (tenant_id, key, session_id, agent, tier,
                                                owner_user_id, value, expires_at, updated_by)
        VALUES (v_tenant, set_working_entry.key, set_working_entry.session_id,
                set_working_entry.agent, set_working_entry.tier, v_owner,
                set_working_entry.value, set_working_entry.expires_at, cogdb.current_user_id())
        ON CONFLICT ON CONSTRAINT working_context_entry_key DO UPDATE
           SET value = excluded.value, version = w.version + 1, expires_at = excluded.expires_at,
               created_at = now(), updated_at = now(), updated_by = excluded.updated_by
         WHERE w.expires_at IS NOT NULL AND w.expires_at <= now()
        RETURNING w.version INTO v_version;
    ELSE
        UPDATE cogdb.working_context w
           SET value = set_working_entry.value, version = w.version + 1,
               expires_at = set_working_entry.expires_at, updated_at = now(),
               updated_by = cogdb.current_user_id()
         WHERE w.tenant_id = v_tenant AND w.key = set_working_entry.key
           AND w.session_id IS NOT DISTINCT FROM set_working_entry.session_id
           AND w.agent IS NOT DISTINCT FROM set_working_entry.agent
           AND w.tier = set_working_entry.tier AND w.owner_user_id IS NOT DISTINCT FROM v_owner
           AND w.version = expected_version
           AND (w.expires_at IS NULL OR w.expires_at > now())
        RETURNING w.version INTO v_version;
    END IF;
    IF v_version IS NULL THEN
        PERFORM cogdb.raise_stale_version(set_working_entry.key, set_working_entry.session_id,
                                          set_working_entry.agent, set_working_entry.tier,
                                          v_owner, expected_version);
    END IF;
    RETURN v_version;
END
$$;

REVOKE ALL ON FUNCTION cogdb.set_working_entry(text, jsonb, bigint, uuid, text, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.set_working_entry(text, jsonb, bigint, uuid, text, text, timestamptz) TO cogdb_app;
COMMENT ON FUNCTION cogdb.set_working_entry(text, jsonb, bigint, uuid, text, text, timestamptz) IS
    'Writes a working-context entry by compare-and-set (expected_version: the version read, 0 to create) and returns its new version; CGC02 with the current version when stale.';
-- <<< sql/functions/sessions/set_working_entry.sql

-- >>> sql/functions/sessions/delete_working_entry.sql
-- Deletes a working-context entry by compare-and-set: expected_version is the version the
-- caller read; true once deleted. A stale version, or an entry that is gone or expired, is
-- refused with CGC02 and the current version (0: none). Definer, like set_working_entry.
CREATE OR REPLACE FUNCTION cogdb.delete_working_entry(key text, expected_version bigint,
                                                      session_id uuid DEFAULT NULL,
                                                      agent text DEFAULT NULL,
                                                      tier text DEFAULT 'shared')
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.require_tenant('deleting working context');
    v_owner uuid;
BEGIN
    IF expected_version IS NULL OR expected_version < 1 THEN
        RAISE EXCEPTION 'expected_version must be the version the caller read, got %',
                        coalesce(expected_version::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'expected_version',
                  HINT = 'Read the entry, then name its version.';
    END IF;
    v_owner := cogdb.working_entry_owner(delete_working_entry.tier, delete_working_entry.session_id);
    DELETE FROM cogdb.working_context w
     WHERE w.tenant_id = v_tenant AND w.key = delete_working_entry.key
       AND w.session_id IS NOT DISTINCT FROM delete_working_entry.session_id
       AND w.agent IS NOT DISTINCT FROM delete_working_entry.agent
       AND w.tier = delete_working_entry.tier AND w.owner_user_id IS NOT DISTINCT FROM v_owner
       AND w.version = expected_version AND (w.expires_at IS NULL OR w.expires_at > now());
    IF NOT FOUND THEN
        PERFORM cogdb.raise_stale_version(delete_working_entry.key, delete_working_entry.session_id,
                                          delete_working_entry.agent, delete_working_entry.tier,
                                          v_owner, expected_version);
    END IF;
    RETURN true;
END
$$;

REVOKE ALL ON FUNCTION cogdb.delete_working_entry(text, bigint, uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.delete_working_entry(text, bigint, uuid, text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.delete_working_entry(text, bigint, uuid, text, text) IS
    'Deletes a working-context entry by compare-and-set (expected_version: the version read); CGC02 with the current version when stale.';
-- <<< sql/functions/sessions/delete_working_entry.sql

-- >>> sql/functions/sessions/offload_context.sql
-- Offloads a large context and returns its id: one memory (context_type 'offload', with the
-- embedding, so cogdb.search finds it like any memory) plus the whole text, compressed by
-- TOAST, in offloaded_contexts under the same id. `fields` takes remember's memory fields
-- (summary, session_id, visibility, tags, metadata, conversation_id, expires_at, …) except
-- the contents and context_type, which this sets: the memory's human_content is the summary,
-- or the text's first 2,000 characters. The text is 1 byte to 10 MB. All or nothing.
CREATE OR REPLACE FUNCTION cogdb.offload_context(content text, embedding public.vector,
                                                 fields jsonb DEFAULT '{}',
                                                 model text DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_fields jsonb := coalesce(offload_context.fields, '{}');
    v_id text;
BEGIN
    PERFORM cogdb.require_tenant('offloading a context');
    IF coalesce(octet_length(offload_context.content), 0) NOT BETWEEN 1 AND 10485760 THEN
        RAISE EXCEPTION 'content must be 1 byte to 10 MB of text, got % bytes',
                        coalesce(octet_length(offload_context.content), 0)
            USING ERRCODE = 'CGV01', COLUMN = 'content',
                  HINT = 'Split larger contexts into several offloads.';
    END IF;
    IF jsonb_typeof(v_fields) <> 'object'
       OR v_fields ?| ARRAY['human_content', 'assistant_content', 'context_type'] THEN
        RAISE EXCEPTION 'fields must be a JSON object of memory fields other than human_content, assistant_content and context_type'
            USING ERRCODE = 'CGV01', COLUMN = 'fields',
                  HINT = 'e.g. {"summary": "…", "session_id": "…", "visibility": "private"}';
    END IF;
    v_id := cogdb.remember(coalesce(nullif(v_fields ->> 'summary', ''),
                                    left(offload_context.content, 2000)),
                           '', offload_context.embedding,
                           v_fields || '{"context_type": "offload"}', offload_context.model);
    INSERT INTO cogdb.offloaded_contexts (memory_id, content) VALUES (v_id, offload_context.content);
    RETURN v_id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.offload_context(text, public.vector, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.offload_context(text, public.vector, jsonb, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.offload_context(text, public.vector, jsonb, text) IS
    'Offloads a large context: a searchable memory (context_type offload) plus the whole text, compressed; returns their id.';
-- <<< sql/functions/sessions/offload_context.sql

-- >>> sql/functions/sessions/get_offloaded.sql
-- An offloaded context by id, if the context can see its memory and it has not expired:
-- the whole text, its size (original_bytes, octet_length) and what it takes on disk
-- (stored_bytes, pg_column_size: after TOAST compression), their ratio, and the memory's
-- summary, session, owner, visibility, tags, metadata and time. Else no row.
CREATE OR REPLACE FUNCTION cogdb.get_offloaded(id text)
    RETURNS TABLE (id text, content text, original_bytes integer, stored_bytes integer,
                   compression_ratio double precision, summary text, session_id uuid,
                   owner_user_id uuid, visibility text, tags jsonb, metadata jsonb,
                   created_at timestamptz, expires_at timestamptz, model text)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT o.memory_id, o.content, octet_length(o.content), pg_column_size(o.content),
           round((octet_length(o.content)::numeric / pg_column_size(o.content)), 2)::double precision,
           m.summary, m.session_id, m.owner_user_id, m.visibility, m.tags, m.metadata,
           m.created_at, m.expires_at, m.model
      FROM cogdb.offloaded_contexts o
      JOIN cogdb.memories m ON m.tenant_id = o.tenant_id AND m.id = o.memory_id
     WHERE o.memory_id = get_offloaded.id AND (m.expires_at IS NULL OR m.expires_at > now())
$$;

REVOKE ALL ON FUNCTION cogdb.get_offloaded(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get_offloaded(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get_offloaded(text) IS
    'An offloaded context by id: the whole text, its size before and after compression and their ratio, with its memory''s fields.';
-- <<< sql/functions/sessions/get_offloaded.sql

-- >>> sql/functions/sessions/search_offloaded.sql
-- The k offloaded contexts nearest to `query`, nearest first: cogdb.search itself (same
-- plan choice, visibility, expiry and model) restricted to context_type 'offload', with
-- each one's session and sizes; the text itself comes from get_offloaded.
CREATE OR REPLACE FUNCTION cogdb.search_offloaded(query public.vector, k integer DEFAULT 10,
                                                  model text DEFAULT NULL)
    RETURNS TABLE (id text, similarity double precision, summary text, preview text,
                   session_id uuid, original_bytes integer, stored_bytes integer,
                   compression_ratio double precision, created_at timestamptz, plan text)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT h.id, h.similarity, h.summary, h.human_content, m.session_id,
           octet_length(o.content), pg_column_size(o.content),
           round((octet_length(o.content)::numeric / pg_column_size(o.content)), 2)::double precision,
           h.created_at, h.plan
      FROM cogdb.search(search_offloaded.query, k => search_offloaded.k,
                        model => search_offloaded.model, only_context_type => 'offload') h
      JOIN cogdb.memories m ON m.id = h.id
      JOIN cogdb.offloaded_contexts o ON o.tenant_id = m.tenant_id AND o.memory_id = m.id
     ORDER BY h.similarity DESC, h.id
$$;

REVOKE ALL ON FUNCTION cogdb.search_offloaded(public.vector, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.search_offloaded(public.vector, integer, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.search_offloaded(public.vector, integer, text) IS
    'The k offloaded contexts nearest to `query` (ranked by cogdb.search), with their session and sizes.';
-- <<< sql/functions/sessions/search_offloaded.sql

RESET ROLE;
