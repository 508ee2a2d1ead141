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
-- No statistics on tenant_id: EXPLAIN (any login with SELECT) would estimate another
-- tenant's row count from them (docs/trust-model.md, known limits).
ALTER TABLE cogdb.sessions ALTER COLUMN tenant_id SET STATISTICS 0;
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER sessions_audit_inserts AFTER INSERT ON cogdb.sessions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER sessions_audit_updates AFTER UPDATE ON cogdb.sessions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER sessions_audit_deletes AFTER DELETE ON cogdb.sessions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
ALTER TABLE cogdb.sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.sessions FORCE ROW LEVEL SECURITY;
GRANT SELECT ON cogdb.sessions TO cogdb_app;
COMMENT ON TABLE cogdb.sessions IS
    'Sessions of a tenant (usually of a user): mode or agent, parent session, start and end, metadata, and the count of their events. Fenced by tenant (RLS), private ones seen by their owner only.';
