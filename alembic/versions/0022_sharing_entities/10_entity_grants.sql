-- A grant may name entities: entity_types (any of them) and entity_ids, beside the memory
-- criteria. A grant's memory criteria choose memories, its entity criteria entities; a grant
-- needs at least one criterion of either kind. The grantee's copy carries the same.
ALTER TABLE cogdb.share_grants
    ADD COLUMN entity_types text[] CHECK (cardinality(entity_types) BETWEEN 1 AND 64),
    ADD COLUMN entity_ids   text[] CHECK (cardinality(entity_ids) BETWEEN 1 AND 10000);
ALTER TABLE cogdb.share_grants DROP CONSTRAINT share_grants_has_scope;
ALTER TABLE cogdb.share_grants ADD CONSTRAINT share_grants_has_scope
    CHECK (context_types IS NOT NULL OR tags IS NOT NULL OR memory_ids IS NOT NULL
           OR entity_types IS NOT NULL OR entity_ids IS NOT NULL);
ALTER TABLE cogdb.share_receipts
    ADD COLUMN entity_types text[],
    ADD COLUMN entity_ids   text[];
ALTER TABLE cogdb.share_receipts DROP CONSTRAINT share_receipts_has_scope;
ALTER TABLE cogdb.share_receipts ADD CONSTRAINT share_receipts_has_scope
    CHECK (context_types IS NOT NULL OR tags IS NOT NULL OR memory_ids IS NOT NULL
           OR entity_types IS NOT NULL OR entity_ids IS NOT NULL);
COMMENT ON TABLE cogdb.share_grants IS
    'Read grants a tenant gives another (context types, tags, memory ids, entity types, entity ids; optional expiry; revocation). Fenced by the granting tenant (RLS); written by grant_share/revoke_share only.';
