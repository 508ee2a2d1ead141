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
-- No statistics on tenant_id: EXPLAIN (any login with SELECT) would estimate another
-- tenant's row count from them (docs/trust-model.md, known limits).
ALTER TABLE cogdb.working_context ALTER COLUMN tenant_id SET STATISTICS 0;
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER working_context_audit_inserts AFTER INSERT ON cogdb.working_context
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER working_context_audit_updates AFTER UPDATE ON cogdb.working_context
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER working_context_audit_deletes AFTER DELETE ON cogdb.working_context
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
ALTER TABLE cogdb.working_context ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.working_context FORCE ROW LEVEL SECURITY;
GRANT SELECT ON cogdb.working_context TO cogdb_app;
COMMENT ON TABLE cogdb.working_context IS
    'Working context: versioned key/value entries of a session or agent, private or shared, with expiry; written by compare-and-set only. Fenced by tenant (RLS).';
