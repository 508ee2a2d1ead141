-- The vectors of LangGraph store items, one per text the store's index config extracts from
-- an item (`field` names the path it came from: '$' for the whole value, 'a.b', or
-- 'a[*].b#2' for the third of several). Deleted with their item. Any dimensions: a search
-- compares only vectors of its query's dimensions (`dims`, kept by PostgreSQL). Searched
-- exactly within the tenant, or, for a tenant with many vectors of one dimension, through
-- its own partial HNSW index (store_vectors_ann_<hash>, made by `cogdb maintain` from
-- cogdb.plan_store_maintenance), as memories are.
CREATE TABLE cogdb.store_vectors (
    tenant_id  uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    namespace  text COLLATE "C" NOT NULL,
    key        text NOT NULL,
    field      text NOT NULL CHECK (length(field) <= 1024),
    -- A vector pgvector's cosine can rank (cogdb.vector_usable): checked here too, because
    -- the app login may write this table with plain SQL (store_put refuses first, CGV01).
    embedding  public.vector NOT NULL CHECK (cogdb.vector_usable(embedding)),
    dims       integer NOT NULL GENERATED ALWAYS AS (public.vector_dims(embedding)) STORED,
    PRIMARY KEY (tenant_id, namespace, key, field),
    FOREIGN KEY (tenant_id, namespace, key)
        REFERENCES cogdb.store_items (tenant_id, namespace, key) ON DELETE CASCADE
);
ALTER TABLE cogdb.store_vectors ALTER COLUMN embedding SET STORAGE PLAIN;
ALTER TABLE cogdb.store_vectors ALTER COLUMN namespace SET STATISTICS 0;
ALTER TABLE cogdb.store_vectors ALTER COLUMN key SET STATISTICS 0;
ALTER TABLE cogdb.store_vectors ALTER COLUMN field SET STATISTICS 0;
-- No statistics on tenant_id: EXPLAIN (any login with SELECT) would estimate another
-- tenant's row count from them (docs/trust-model.md, known limits).
ALTER TABLE cogdb.store_vectors ALTER COLUMN tenant_id SET STATISTICS 0;
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.namespace || '/' || r.key || '/' || r.field.
CREATE TRIGGER store_vectors_audit_inserts AFTER INSERT ON cogdb.store_vectors
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.namespace || ''/'' || r.key || ''/'' || r.field');
CREATE TRIGGER store_vectors_audit_updates AFTER UPDATE ON cogdb.store_vectors
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.namespace || ''/'' || r.key || ''/'' || r.field');
CREATE TRIGGER store_vectors_audit_deletes AFTER DELETE ON cogdb.store_vectors
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.namespace || ''/'' || r.key || ''/'' || r.field');
ALTER TABLE cogdb.store_vectors ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.store_vectors FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON cogdb.store_vectors TO cogdb_app;
COMMENT ON TABLE cogdb.store_vectors IS
    'Vectors of LangGraph store items, one per indexed text; deleted with their item. Fenced by tenant (RLS).';
