-- Sharing, the granting side: tenant_id (a tenant at isolation level shared or federated) lets
-- grantee_id (another such tenant) read the subset of its tenant-visible memories that every
-- given memory criterion covers: context_types, tags (any of them), memory_ids; and of its
-- tenant-visible entities (with their observations) that every given entity criterion
-- covers: entity_types (any of them), entity_ids; until expires_at
-- (NULL: until revoked). Written only by cogdb_admin's definer functions (grant_share,
-- revoke_share), which write the grantee's copy (cogdb.share_receipts) in the same
-- transaction; the memories fence reads the copy, never this table. A revoked grant keeps
-- its row (revoked_at, revoked_by): the trail of who shared what, and when it stopped.
CREATE TABLE cogdb.share_grants (
    tenant_id     uuid NOT NULL DEFAULT cogdb.current_tenant_id()
                  REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    grantee_id    uuid NOT NULL REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    -- NULL: not narrowed by this criterion; at least one criterion is given.
    context_types text[] CHECK (cardinality(context_types) BETWEEN 1 AND 64),
    tags          text[] CHECK (cardinality(tags) BETWEEN 1 AND 256),
    memory_ids    text[] CHECK (cardinality(memory_ids) BETWEEN 1 AND 10000),
    expires_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    granted_by    text NOT NULL DEFAULT session_user,
    revoked_at    timestamptz,
    revoked_by    text,
    -- Entities (revision 0022): NULL, not narrowed by this criterion. A grant's memory
    -- criteria choose memories, its entity criteria entities (entities__tenant_fence).
    entity_types  text[] CHECK (cardinality(entity_types) BETWEEN 1 AND 64),
    entity_ids    text[] CHECK (cardinality(entity_ids) BETWEEN 1 AND 10000),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT share_grants_not_self CHECK (grantee_id <> tenant_id),
    CONSTRAINT share_grants_has_scope
        CHECK (context_types IS NOT NULL OR tags IS NOT NULL OR memory_ids IS NOT NULL
               OR entity_types IS NOT NULL OR entity_ids IS NOT NULL),
    CONSTRAINT share_grants_expiry CHECK (expires_at > created_at),
    CONSTRAINT share_grants_revoked CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);
-- The tenant's live grants to one grantee (grant_share's re-assertion, the report).
CREATE INDEX share_grants_grantee_idx ON cogdb.share_grants (tenant_id, grantee_id)
    WHERE revoked_at IS NULL;
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER share_grants_audit_inserts AFTER INSERT ON cogdb.share_grants
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER share_grants_audit_updates AFTER UPDATE ON cogdb.share_grants
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER share_grants_audit_deletes AFTER DELETE ON cogdb.share_grants
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
ALTER TABLE cogdb.share_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.share_grants FORCE ROW LEVEL SECURITY;
-- The app reads what its tenant shares; it never writes grants (cogdb_admin's definers do).
GRANT SELECT ON cogdb.share_grants TO cogdb_app;
COMMENT ON TABLE cogdb.share_grants IS
    'Read grants a tenant gives another (context types, tags, memory ids, entity types, entity ids; optional expiry; revocation). Fenced by the granting tenant (RLS); written by grant_share/revoke_share only.';
