-- Appends one record to a tenant's audit chain and returns its number. Locks the tenant's
-- chain head (cogdb.audit_heads, created at the first record) FOR UPDATE until the caller's
-- transaction ends; called at commit (cogdb.audit_flush), so a tenant's audited writers
-- queue only for their commits: each reads the head the previous one committed and the
-- chain never forks (other tenants never wait). Enters the tenant's context for its own
-- statements when the caller's is another tenant's or none (the fence on audit_records).
-- recorded_at, login and context_user are what cogdb.audit_pend captured at the write.
-- Internal: called by cogdb.audit_flush, which runs as the owner; no other grants.
CREATE OR REPLACE FUNCTION cogdb.audit_append(tenant_id uuid, recorded_at timestamptz,
                                              login text, context_user uuid, operation text,
                                              table_name text, action text, row_count integer,
                                              row_keys text[], changed_columns text[],
                                              content_hash bytea, details jsonb)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_enter boolean := cogdb.current_tenant_id() IS DISTINCT FROM tenant_id;
    v_caller text[];
    v_seq bigint;
    v_prev bytea;
    v_rec cogdb.audit_records;
BEGIN
    IF v_enter THEN
        v_caller := cogdb.enter_tenant(tenant_id, NULL);
    END IF;
    SELECT h.seq, h.hash INTO v_seq, v_prev
      FROM cogdb.audit_heads h WHERE h.tenant_id = tenant_id FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO cogdb.audit_heads AS h (tenant_id, seq, hash)
        VALUES (tenant_id, 0, decode(repeat('00', 32), 'hex'))
        ON CONFLICT ON CONSTRAINT audit_heads_pkey DO NOTHING;
        SELECT h.seq, h.hash INTO v_seq, v_prev
          FROM cogdb.audit_heads h WHERE h.tenant_id = tenant_id FOR UPDATE;
    END IF;
    v_rec := ROW(tenant_id, v_seq + 1, recorded_at, login, context_user, operation,
                 table_name, action, row_count, row_keys, changed_columns, content_hash,
                 details, v_prev, NULL)::cogdb.audit_records;
    v_rec.hash := cogdb.audit_record_hash(v_rec);
    INSERT INTO cogdb.audit_records SELECT v_rec.*;
    UPDATE cogdb.audit_heads h SET seq = v_rec.seq, hash = v_rec.hash, updated_at = v_rec.recorded_at
     WHERE h.tenant_id = tenant_id;
    IF v_enter THEN
        PERFORM cogdb.restore_context(v_caller);
    END IF;
    RETURN v_rec.seq;
END
$$;

REVOKE ALL ON FUNCTION cogdb.audit_append(uuid, timestamptz, text, uuid, text, text, text, integer, text[], text[], bytea, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.audit_append(uuid, timestamptz, text, uuid, text, text, text, integer, text[], text[], bytea, jsonb) IS
    'Appends one record to a tenant''s hash-chained audit trail under the lock of its chain head; internal (audit_rows, audit_note).';
