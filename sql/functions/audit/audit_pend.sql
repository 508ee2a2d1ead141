-- Queues one audit record of the current transaction for its tenant (cogdb.audit_pending),
-- numbered after the transaction's earlier ones; cogdb.audit_flush appends it to the chain
-- at commit. Captures now what the record says about the write: when (clock_timestamp),
-- session_user and the context's user. Internal: called by cogdb.audit_rows and
-- cogdb.audit_note, which run as the owner; no other grants.
CREATE OR REPLACE FUNCTION cogdb.audit_pend(tenant_id uuid, operation text, table_name text,
                                            action text, row_count integer, row_keys text[],
                                            changed_columns text[], content_hash bytea,
                                            details jsonb)
    RETURNS void
    LANGUAGE sql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO cogdb.audit_pending (tenant_id, ord, context_user, operation, table_name,
                                     action, row_count, row_keys, changed_columns,
                                     content_hash, details)
    SELECT audit_pend.tenant_id,
           (SELECT count(*) + 1 FROM cogdb.audit_pending ap
             WHERE ap.xact = pg_current_xact_id()),
           cogdb.current_user_id(), audit_pend.operation, audit_pend.table_name,
           audit_pend.action, audit_pend.row_count, audit_pend.row_keys,
           audit_pend.changed_columns, audit_pend.content_hash, audit_pend.details
$$;

REVOKE ALL ON FUNCTION cogdb.audit_pend(uuid, text, text, text, integer, text[], text[], bytea, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.audit_pend(uuid, text, text, text, integer, text[], text[], bytea, jsonb) IS
    'Queues one audit record of the current transaction (audit_pending); audit_flush chains it at commit. Internal.';
