-- A tenant's audit records, oldest first: when, which login and context user, the operation
-- and table (or a note's action and details), the row count and keys, the changed columns,
-- the content hash and the record's own hash (hex). Never content: the records hold none.
-- `since`: only records from that time on; `after_seq`: only records after that number (to
-- page); at most `max_rows` (1-100000). For the auditor (cogdb_auditor), who has no
-- privilege on any table: definer, reading inside the tenant's context (the fence of
-- audit_records is what keeps other tenants' records out).
CREATE OR REPLACE FUNCTION cogdb.audit_log(tenant uuid, since timestamptz DEFAULT NULL,
                                           after_seq bigint DEFAULT 0,
                                           max_rows integer DEFAULT 1000)
    RETURNS TABLE (seq bigint, recorded_at timestamptz, login text, context_user uuid,
                   operation text, table_name text, action text, row_count integer,
                   row_keys text[], changed_columns text[], content_hash text, details jsonb,
                   hash text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_caller text[];
BEGIN
    IF audit_log.tenant IS NULL THEN
        RAISE EXCEPTION 'tenant is required' USING ERRCODE = 'CGV01', COLUMN = 'tenant',
              HINT = 'Pass the tenant whose audit records to list.';
    END IF;
    IF audit_log.max_rows IS NULL OR audit_log.max_rows NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'max_rows must be between 1 and 100000, got %',
                        coalesce(audit_log.max_rows::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'max_rows',
                  HINT = 'Page with after_seq (the last seq you got).';
    END IF;
    v_caller := cogdb.enter_tenant(audit_log.tenant, NULL);
    RETURN QUERY
        SELECT r.seq, r.recorded_at, r.login, r.context_user, r.operation, r.table_name,
               r.action, r.row_count, r.row_keys, r.changed_columns,
               encode(r.content_hash, 'hex'), r.details, encode(r.hash, 'hex')
          FROM cogdb.audit_records r
         WHERE r.seq > coalesce(audit_log.after_seq, 0)
           AND (audit_log.since IS NULL OR r.recorded_at >= audit_log.since)
         ORDER BY r.seq
         LIMIT audit_log.max_rows;
    PERFORM cogdb.restore_context(v_caller);
END
$$;

REVOKE ALL ON FUNCTION cogdb.audit_log(uuid, timestamptz, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.audit_log(uuid, timestamptz, bigint, integer) TO cogdb_auditor;
COMMENT ON FUNCTION cogdb.audit_log(uuid, timestamptz, bigint, integer) IS
    'A tenant''s audit records, oldest first (keys, changed columns, hashes; never content), for the auditor.';
