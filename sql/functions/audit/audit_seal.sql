-- Seals the audit chain of one tenant (or of every tenant with a chain): records its current
-- head (record count and last hash) in cogdb.audit_seals, unless that head is sealed
-- already. Returns one row per tenant: the sealed count and head hash (hex; copy it out of the
-- database for an anchor that a superuser cannot rewrite) and whether a new seal was written.
-- Reads each head as committed (the statement's snapshot sees a head and the records it
-- counts together), so it waits for no writer. Run by `cogdb maintain` and `cogdb audit seal`.
-- Definer: no role writes the audit tables directly.
CREATE OR REPLACE FUNCTION cogdb.audit_seal(tenant uuid DEFAULT NULL)
    RETURNS TABLE (tenant_id uuid, seq bigint, head_hash text, sealed boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_caller text[] := ARRAY[coalesce(current_setting('app.tenant_id', true), ''),
                             coalesce(current_setting('app.user_id', true), ''),
                             coalesce(current_setting('app.context_xact', true), '')];
    h record;
    v_new boolean;
BEGIN
    FOR h IN SELECT ah.tenant_id, ah.seq, ah.hash FROM cogdb.audit_heads ah
              WHERE (audit_seal.tenant IS NULL OR ah.tenant_id = audit_seal.tenant)
                AND ah.seq > 0
              ORDER BY ah.tenant_id
    LOOP
        PERFORM cogdb.enter_tenant(h.tenant_id, NULL);
        INSERT INTO cogdb.audit_seals AS s (tenant_id, seq, head_hash, sealed_by)
        VALUES (h.tenant_id, h.seq, h.hash, session_user)
        ON CONFLICT ON CONSTRAINT audit_seals_pkey DO NOTHING;
        v_new := FOUND;
        tenant_id := h.tenant_id;
        seq := h.seq;
        head_hash := encode(h.hash, 'hex');
        sealed := v_new;
        RETURN NEXT;
    END LOOP;
    PERFORM cogdb.restore_context(v_caller);
END
$$;

REVOKE ALL ON FUNCTION cogdb.audit_seal(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.audit_seal(uuid) TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.audit_seal(uuid) IS
    'Seals the audit chain of a tenant (or of every tenant): records its record count and head hash, which audit_verify checks.';
