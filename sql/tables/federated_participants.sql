-- Which tenants take part in which federated session: joined_at, and withdrawn_at once the
-- tenant withdrew (its data then no longer counts; joining again clears it). Owner-only
-- (policy federated_participants__registry_owner, no grants): the aggregate definer functions
-- enumerate a session's participants across tenants, which a tenant fence would hide from
-- them; a tenant reads its own participation through list_federated_sessions().
CREATE TABLE cogdb.federated_participants (
    tenant_id    uuid NOT NULL REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    session_id   uuid NOT NULL REFERENCES cogdb.federated_sessions (id) ON DELETE CASCADE,
    joined_at    timestamptz NOT NULL DEFAULT now(),
    withdrawn_at timestamptz CHECK (withdrawn_at >= joined_at),
    PRIMARY KEY (tenant_id, session_id)
);
CREATE INDEX federated_participants_session_idx ON cogdb.federated_participants (session_id);
ALTER TABLE cogdb.federated_participants ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.federated_participants FORCE ROW LEVEL SECURITY;
COMMENT ON TABLE cogdb.federated_participants IS
    'The tenants of each federated session, with when they joined and withdrew; owner-only, reached through the federated definer functions.';
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.session_id::text.
CREATE TRIGGER federated_participants_audit_inserts AFTER INSERT ON cogdb.federated_participants
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.session_id::text');
CREATE TRIGGER federated_participants_audit_updates AFTER UPDATE ON cogdb.federated_participants
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.session_id::text');
CREATE TRIGGER federated_participants_audit_deletes AFTER DELETE ON cogdb.federated_participants
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.session_id::text');
