-- btree_gin gives GIN indexes uuid equality, so the text index's GIN index is
-- (tenant_id, tsv): one index scan finds a tenant's matching rows. Like pgvector in 0001
-- it is created by the migrating role (btree_gin is a trusted extension: CREATE on the
-- database is enough), in schema public unless it is already installed elsewhere; the
-- objects that follow are created as cogdb_owner again.
RESET ROLE;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'btree_gin') THEN
        CREATE EXTENSION btree_gin WITH SCHEMA public;
    END IF;
END $$;
SET LOCAL ROLE cogdb_owner;
