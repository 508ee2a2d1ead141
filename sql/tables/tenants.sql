-- Tenants. The app sees its own row only (policy tenants__own_row) and cannot change it;
-- admins change tenants through definer functions (create_tenant, set_tenant_setting).
CREATE TABLE cogdb.tenants (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    external_id     text UNIQUE CHECK (length(external_id) BETWEEN 1 AND 255),
    mode            text NOT NULL DEFAULT 'personal' CHECK (mode IN ('personal', 'enterprise')),
    isolation_level text NOT NULL DEFAULT 'strict'
                    CHECK (isolation_level IN ('strict', 'shared', 'federated')),
    -- e.g. {"features": {"chat_import": false}}; a missing key means the mode's default
    -- (cogdb.effective_settings).
    settings        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    default_model   text REFERENCES cogdb.embedding_models (name),
    created_at      timestamptz NOT NULL DEFAULT now()
);
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER tenants_audit_inserts AFTER INSERT ON cogdb.tenants
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text', 'r.id');
CREATE TRIGGER tenants_audit_updates AFTER UPDATE ON cogdb.tenants
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text', 'r.id');
CREATE TRIGGER tenants_audit_deletes AFTER DELETE ON cogdb.tenants
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text', 'r.id');
-- Each tenant's privacy spend sequence is created with it and dropped with it
-- (cogdb.tenants_privacy_sequence; docs/federated.md "A charge the asker cannot undo").
CREATE TRIGGER tenants_privacy_sequence AFTER INSERT OR DELETE ON cogdb.tenants
    FOR EACH ROW EXECUTE FUNCTION cogdb.tenants_privacy_sequence();
ALTER TABLE cogdb.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.tenants FORCE ROW LEVEL SECURITY;
GRANT SELECT ON cogdb.tenants TO cogdb_app;
COMMENT ON TABLE cogdb.tenants IS
    'Tenants: name, mode (personal or enterprise), isolation level, settings and default model. Each sees only its own row.';
