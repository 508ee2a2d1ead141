-- Grants that name entities only go (they would share nothing, and the old scope check
-- refuses them); the others lose their entity criteria. FORCE RLS fences the owner too:
-- each tenant's rows are deleted inside its context (enter_tenant), audited as usual.
DO $$
DECLARE
    v_tenant uuid;
BEGIN
    FOR v_tenant IN SELECT t.id FROM cogdb.tenants t ORDER BY t.id LOOP
        PERFORM cogdb.enter_tenant(v_tenant);
        DELETE FROM cogdb.share_receipts r
         WHERE r.tenant_id = v_tenant
           AND r.context_types IS NULL AND r.tags IS NULL AND r.memory_ids IS NULL;
        DELETE FROM cogdb.share_grants g
         WHERE g.tenant_id = v_tenant
           AND g.context_types IS NULL AND g.tags IS NULL AND g.memory_ids IS NULL;
    END LOOP;
    PERFORM set_config('app.tenant_id', '', true);
    PERFORM set_config('app.user_id', '', true);
    PERFORM set_config('app.context_xact', '', true);
END
$$;
ALTER TABLE cogdb.share_receipts DROP CONSTRAINT share_receipts_has_scope;
ALTER TABLE cogdb.share_receipts DROP COLUMN entity_types, DROP COLUMN entity_ids;
ALTER TABLE cogdb.share_receipts ADD CONSTRAINT share_receipts_has_scope
    CHECK (context_types IS NOT NULL OR tags IS NOT NULL OR memory_ids IS NOT NULL);
ALTER TABLE cogdb.share_grants DROP CONSTRAINT share_grants_has_scope;
ALTER TABLE cogdb.share_grants DROP COLUMN entity_types, DROP COLUMN entity_ids;
ALTER TABLE cogdb.share_grants ADD CONSTRAINT share_grants_has_scope
    CHECK (context_types IS NOT NULL OR tags IS NOT NULL OR memory_ids IS NOT NULL);
COMMENT ON TABLE cogdb.share_grants IS
    'Read grants a tenant gives another (context types, tags, memory ids; optional expiry; revocation). Fenced by the granting tenant (RLS); written by grant_share/revoke_share only.';
