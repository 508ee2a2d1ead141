-- Grants that name entities only go (they would share nothing, and the old scope check
-- refuses them); the others lose their entity criteria.
DELETE FROM cogdb.share_receipts
 WHERE context_types IS NULL AND tags IS NULL AND memory_ids IS NULL;
DELETE FROM cogdb.share_grants
 WHERE context_types IS NULL AND tags IS NULL AND memory_ids IS NULL;
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
