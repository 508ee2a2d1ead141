-- The head of each tenant's audit chain: how many records it has and the last one's hash.
-- cogdb.audit_append locks the tenant's row (FOR UPDATE) before it appends, at commit
-- (cogdb.audit_flush), which serialises a tenant's audited commits (other tenants never
-- wait): the next writer reads the head its predecessor committed, so the chain never forks. Under REPEATABLE READ
-- or SERIALIZABLE a concurrent append is a serialization failure (retry), never a fork.
-- Owner-only, like memory_counts: written and read by the audit definer functions only,
-- which name the tenant; no other role has any privilege on it. verify compares it with the
-- chain, so records appended or cut off behind the trigger's back show.
CREATE TABLE cogdb.audit_heads (
    tenant_id   uuid PRIMARY KEY,
    seq         bigint NOT NULL CHECK (seq >= 0),
    hash        bytea NOT NULL CHECK (length(hash) = 32),
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
ALTER TABLE cogdb.audit_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.audit_heads FORCE ROW LEVEL SECURITY;
REVOKE ALL ON cogdb.audit_heads FROM PUBLIC;
COMMENT ON TABLE cogdb.audit_heads IS
    'The head (record count and last hash) of each tenant''s audit chain; its row lock serialises a tenant''s audited writers. Owner-only.';
