-- Deferred constraint trigger (AFTER INSERT on audit_pending, row, INITIALLY DEFERRED): at
-- commit, moves the committing transaction's pending audit records into their tenants'
-- chains (cogdb.audit_append), tenant by tenant in id order (so two transactions that wrote
-- to the same tenants lock their heads in the same order), each tenant's in statement order.
-- The first firing moves them all; the others find nothing. A transaction that runs
-- `SET CONSTRAINTS ALL IMMEDIATE` chains at that statement instead, and holds its tenants'
-- heads from then on. Definer: the app has no privilege on the audit tables.
CREATE OR REPLACE FUNCTION cogdb.audit_flush() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p record;
BEGIN
    FOR p IN WITH moved AS (
                 DELETE FROM cogdb.audit_pending ap WHERE ap.xact = pg_current_xact_id()
                 RETURNING ap.*)
             SELECT * FROM moved ORDER BY moved.tenant_id, moved.ord
    LOOP
        PERFORM cogdb.audit_append(p.tenant_id, p.recorded_at, p.login, p.context_user,
                                   p.operation, p.table_name, p.action, p.row_count,
                                   p.row_keys, p.changed_columns, p.content_hash, p.details);
    END LOOP;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION cogdb.audit_flush() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.audit_flush() IS
    'Deferred trigger on audit_pending: at commit, appends the transaction''s pending audit records to their tenants'' hash chains.';
