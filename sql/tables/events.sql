-- The event stream (the seeds' blackboard): every agent and user interaction of a session as
-- an immutable event with its sequence number in the session, a type, source and target
-- agents, a JSON payload and the event it follows from (parent_event_id; event_chain walks
-- the chain back). Appending is the only write: the app may INSERT and SELECT, nobody has
-- UPDATE or DELETE, and the trigger refuse_event_change refuses both (and TRUNCATE) for
-- every role, the owner included. Deleting the whole tenant removes events, and so does a
-- GDPR erasure (cogdb.erase_user): the erased user's sessions go whole, audited
-- (docs/governance.md).
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
-- No statistics on tenant_id: EXPLAIN (any login with SELECT) would estimate another
-- tenant's row count from them (docs/trust-model.md, known limits).
ALTER TABLE cogdb.events ALTER COLUMN tenant_id SET STATISTICS 0;
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER events_audit_inserts AFTER INSERT ON cogdb.events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER events_audit_updates AFTER UPDATE ON cogdb.events
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER events_audit_deletes AFTER DELETE ON cogdb.events
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
ALTER TABLE cogdb.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.events FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON cogdb.events TO cogdb_app;
COMMENT ON TABLE cogdb.events IS
    'The append-only event stream: each session''s events with a gapless sequence, type, source and target agents, payload and parent event. Never updated or deleted; fenced by tenant (RLS).';
