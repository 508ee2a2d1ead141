-- Offloaded contexts: a large text (a conversation's context moved out of the prompt) kept
-- whole and compressed, beside the memory that makes it searchable: the memory (context_type
-- 'offload') holds its embedding, summary, session and visibility, so cogdb.search finds it
-- like any memory, and this row holds the full text under the same key. TOAST compresses
-- the text (the column's compression method, pglz unless the server was built with lz4 and
-- an operator chose it); get_offloaded reports octet_length vs pg_column_size as the ratio.
-- Forgetting the memory deletes the row (ON DELETE CASCADE). The memory's owner and
-- visibility are copied here (check_offload_row) and never change (check_memory_row refuses
-- it for an 'offload' memory), so the policies read them like memories' own.
CREATE TABLE cogdb.offloaded_contexts (
    tenant_id     uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    memory_id     text NOT NULL,
    owner_user_id uuid,
    visibility    text NOT NULL CHECK (visibility IN ('private', 'tenant')),
    content       text NOT NULL CHECK (octet_length(content) BETWEEN 1 AND 10485760),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, memory_id),
    FOREIGN KEY (tenant_id, memory_id) REFERENCES cogdb.memories (tenant_id, id)
        ON DELETE CASCADE,
    CONSTRAINT offloaded_contexts_private_has_owner
        CHECK (visibility = 'tenant' OR owner_user_id IS NOT NULL)
)
-- Compress any text over 128 bytes, not only rows past the default 2 kB.
WITH (toast_tuple_target = 128);
ALTER TABLE cogdb.offloaded_contexts ALTER COLUMN content SET STATISTICS 0;
CREATE TRIGGER offloaded_contexts_check_row BEFORE INSERT ON cogdb.offloaded_contexts
    FOR EACH ROW EXECUTE FUNCTION cogdb.check_offload_row();
-- No statistics on tenant_id: EXPLAIN (any login with SELECT) would estimate another
-- tenant's row count from them (docs/trust-model.md, known limits).
ALTER TABLE cogdb.offloaded_contexts ALTER COLUMN tenant_id SET STATISTICS 0;
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.memory_id.
CREATE TRIGGER offloaded_contexts_audit_inserts AFTER INSERT ON cogdb.offloaded_contexts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.memory_id');
CREATE TRIGGER offloaded_contexts_audit_updates AFTER UPDATE ON cogdb.offloaded_contexts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.memory_id');
CREATE TRIGGER offloaded_contexts_audit_deletes AFTER DELETE ON cogdb.offloaded_contexts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.memory_id');
ALTER TABLE cogdb.offloaded_contexts ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.offloaded_contexts FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON cogdb.offloaded_contexts TO cogdb_app;
COMMENT ON TABLE cogdb.offloaded_contexts IS
    'Large contexts kept whole and compressed (TOAST) beside the memory that makes them searchable; fenced by tenant (RLS), private ones seen by their owner only.';
