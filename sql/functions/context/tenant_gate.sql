-- The advisory-lock key of one tenant. Every transaction that works in the tenant's context
-- holds it in shared mode until it ends (set_context and enter_tenant take it); `cogdb
-- maintain` holds it exclusively while it moves the tenant into a partition of its own. So a
-- promotion waits for the tenant's open transactions, and the tenant's next ones wait for the
-- move (tens of milliseconds at search.ann_min_rows), instead of writing through a partition
-- layout that changed under them. Other tenants never wait. Inlinable (no SET clause, every
-- name qualified): set_context calls it in every transaction.
CREATE OR REPLACE FUNCTION cogdb.tenant_gate(tenant_id uuid) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT ('x' OPERATOR(pg_catalog.||) pg_catalog.left(pg_catalog.md5(
                'cogdb.tenant/' OPERATOR(pg_catalog.||) tenant_id::text), 16)
           )::pg_catalog.bit(64)::pg_catalog.int8
$$;

REVOKE ALL ON FUNCTION cogdb.tenant_gate(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.tenant_gate(uuid) TO cogdb_app;
COMMENT ON FUNCTION cogdb.tenant_gate(uuid) IS
    'The advisory-lock key of one tenant: shared by its transactions, exclusive while maintain moves it into its own partition.';
