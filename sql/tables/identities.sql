-- The directory of authenticated identities: (provider, external id) is unique across the
-- whole deployment, so its key cannot lead with tenant_id. Only the owner's definer
-- functions (create_user, resolve_identity, list_users) touch it: policy
-- identities__registry_owner, and no grants to any other role.
CREATE TABLE cogdb.identities (
    auth_provider text NOT NULL CHECK (length(auth_provider) BETWEEN 1 AND 64),
    external_id   text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 255),
    tenant_id     uuid NOT NULL,
    user_id       uuid NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT identities_pkey PRIMARY KEY (auth_provider, external_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES cogdb.users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX identities_tenant_user_idx ON cogdb.identities (tenant_id, user_id);
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.user_id::text || '/' || r.auth_provider.
CREATE TRIGGER identities_audit_inserts AFTER INSERT ON cogdb.identities
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.user_id::text || ''/'' || r.auth_provider');
CREATE TRIGGER identities_audit_updates AFTER UPDATE ON cogdb.identities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.user_id::text || ''/'' || r.auth_provider');
CREATE TRIGGER identities_audit_deletes AFTER DELETE ON cogdb.identities
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.user_id::text || ''/'' || r.auth_provider');
ALTER TABLE cogdb.identities ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.identities FORCE ROW LEVEL SECURITY;
COMMENT ON TABLE cogdb.identities IS
    'Authenticated identities (provider, external id) mapped to their tenant and user; owner-only.';
