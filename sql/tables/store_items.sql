-- LangGraph's BaseStore items (cogdb.integrations.langgraph): a JSON object stored under a
-- namespace and a key inside a tenant. The namespace is its labels joined by '.', which a
-- label may not contain (LangGraph's own rule), so 'a.b' holds exactly the labels a, b and a
-- prefix search for 'a' is namespace = 'a' OR namespace in ['a.', 'a/') — a range on the
-- primary key in the "C" collation, where '/' follows '.'. Items are tenant-wide: every
-- user of the tenant sees and changes them (namespaces are the application's to define).
-- expires_at / ttl_minutes: LangGraph's TTL, refreshed on read; expired rows are deleted by
-- cogdb.store_sweep (the store) and cogdb.store_sweep_all (`cogdb maintain`).
CREATE TABLE cogdb.store_items (
    tenant_id   uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    namespace   text COLLATE "C" NOT NULL
                CHECK (length(namespace) <= 1024 AND namespace ~ '^[^.]+(\.[^.]+)*$'),
    key         text NOT NULL CHECK (length(key) <= 1024),
    value       jsonb NOT NULL CHECK (jsonb_typeof(value) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    ttl_minutes double precision CHECK (ttl_minutes > 0),
    PRIMARY KEY (tenant_id, namespace, key),
    FOREIGN KEY (tenant_id) REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    CONSTRAINT store_items_ttl_check CHECK ((expires_at IS NULL) = (ttl_minutes IS NULL))
);
-- The sweep finds a tenant's expired items without reading the others.
CREATE INDEX store_items_expiry_idx ON cogdb.store_items (tenant_id, expires_at)
    WHERE expires_at IS NOT NULL;
-- No value statistics for content columns (see cogdb.memories).
ALTER TABLE cogdb.store_items ALTER COLUMN namespace SET STATISTICS 0;
ALTER TABLE cogdb.store_items ALTER COLUMN key SET STATISTICS 0;
ALTER TABLE cogdb.store_items ALTER COLUMN value SET STATISTICS 0;
-- No statistics on tenant_id: EXPLAIN (any login with SELECT) would estimate another
-- tenant's row count from them (docs/trust-model.md, known limits).
ALTER TABLE cogdb.store_items ALTER COLUMN tenant_id SET STATISTICS 0;
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.namespace || '/' || r.key.
CREATE TRIGGER store_items_audit_inserts AFTER INSERT ON cogdb.store_items
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.namespace || ''/'' || r.key');
CREATE TRIGGER store_items_audit_updates AFTER UPDATE ON cogdb.store_items
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.namespace || ''/'' || r.key');
CREATE TRIGGER store_items_audit_deletes AFTER DELETE ON cogdb.store_items
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.namespace || ''/'' || r.key');
ALTER TABLE cogdb.store_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.store_items FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON cogdb.store_items TO cogdb_app;
COMMENT ON TABLE cogdb.store_items IS
    'LangGraph store items: a JSON object under a namespace (labels joined by ''.'') and a key, tenant-wide, with an optional TTL. Fenced by tenant (RLS).';
