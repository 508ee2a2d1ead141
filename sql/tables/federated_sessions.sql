-- Federated sessions: a topic on which tenants at isolation_level 'federated' pool aggregate
-- insights (docs/federated.md). A session spans tenants, so it belongs to none: owner-only
-- (policy federated_sessions__registry_owner, no grants), reached through the federated
-- definer functions, which never return opener_tenant_id to another tenant (named for the
-- tenant it holds: a column ending in _by or _user is a user's, docs/governance.md). k is the
-- least number of distinct contributing tenants a bucket needs to be shown (never below 5, nor below the
-- deployment's federated.min_k); max_buckets and max_per_bucket bound one tenant's
-- contribution to a noisy histogram (the Laplace scale is their product over epsilon).
CREATE TABLE cogdb.federated_sessions (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    topic          text NOT NULL CHECK (length(topic) BETWEEN 1 AND 200),
    opener_tenant_id uuid NOT NULL REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    k              integer NOT NULL CHECK (k BETWEEN 5 AND 1000),
    max_buckets    integer NOT NULL DEFAULT 10 CHECK (max_buckets BETWEEN 1 AND 1000),
    max_per_bucket integer NOT NULL DEFAULT 100 CHECK (max_per_bucket BETWEEN 1 AND 1000000),
    opened_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX federated_sessions_opener_tenant_id_idx ON cogdb.federated_sessions (opener_tenant_id);
ALTER TABLE cogdb.federated_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.federated_sessions FORCE ROW LEVEL SECURITY;
COMMENT ON TABLE cogdb.federated_sessions IS
    'Federated sessions: a topic, the opening tenant, k and the contribution bounds; owner-only, reached through the federated definer functions.';
-- The audit trail (cogdb.audit_rows): one record per statement, in the opening tenant's chain.
CREATE TRIGGER federated_sessions_audit_inserts AFTER INSERT ON cogdb.federated_sessions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text', 'r.opener_tenant_id');
CREATE TRIGGER federated_sessions_audit_updates AFTER UPDATE ON cogdb.federated_sessions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text', 'r.opener_tenant_id');
CREATE TRIGGER federated_sessions_audit_deletes AFTER DELETE ON cogdb.federated_sessions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text', 'r.opener_tenant_id');
