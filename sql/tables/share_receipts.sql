-- Sharing, the receiving side: the grantee's copy of each grant made to it (tenant_id = the
-- grantee, source_tenant_id = the granting tenant; the same id, criteria, expiry and
-- revocation as cogdb.share_grants, written in the same transaction by grant_share and
-- revoke_share). Fenced like every tenant table, so a grantee learns which grants it holds
-- without reading the granting tenant's rows; cogdb.live_grants() reads it once per query
-- for the memories fence. The app may read it and never write it: a recipient cannot extend,
-- widen or re-share a grant.
CREATE TABLE cogdb.share_receipts (
    tenant_id        uuid NOT NULL DEFAULT cogdb.current_tenant_id()
                     REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL,
    source_tenant_id uuid NOT NULL REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    context_types    text[],
    tags             text[],
    memory_ids       text[],
    expires_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz,
    entity_types     text[],
    entity_ids       text[],
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT share_receipts_not_self CHECK (source_tenant_id <> tenant_id),
    CONSTRAINT share_receipts_has_scope
        CHECK (context_types IS NOT NULL OR tags IS NOT NULL OR memory_ids IS NOT NULL
               OR entity_types IS NOT NULL OR entity_ids IS NOT NULL)
);
-- live_grants(): the grantee's unrevoked receipts.
CREATE INDEX share_receipts_live_idx ON cogdb.share_receipts (tenant_id, source_tenant_id)
    WHERE revoked_at IS NULL;
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER share_receipts_audit_inserts AFTER INSERT ON cogdb.share_receipts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER share_receipts_audit_updates AFTER UPDATE ON cogdb.share_receipts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER share_receipts_audit_deletes AFTER DELETE ON cogdb.share_receipts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
ALTER TABLE cogdb.share_receipts ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.share_receipts FORCE ROW LEVEL SECURITY;
-- Read by live_grants() as the app; written by cogdb_admin's definers only.
GRANT SELECT ON cogdb.share_receipts TO cogdb_app;
COMMENT ON TABLE cogdb.share_receipts IS
    'The grantee''s copy of each read grant made to it (source tenant, criteria, expiry, revocation). Fenced by the receiving tenant (RLS); read by live_grants() for the memories fence; written by grant_share/revoke_share only.';
