-- The hash of an audit record: SHA-256 over every field but the hash itself, prev_hash
-- included, so each record vouches for the whole chain before it. Each field is rendered by
-- quote_nullable (NULL and '' differ) and the timestamp as epoch seconds (independent of
-- TimeZone and DateStyle); fields are joined by '|'. cogdb.audit_append computes it when it
-- appends, cogdb.audit_verify recomputes it. Owner-only, like the records.
CREATE OR REPLACE FUNCTION cogdb.audit_record_hash(r cogdb.audit_records) RETURNS bytea
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.concat_ws('|',
        'cogdb-audit-v1', quote_nullable(r.tenant_id), quote_nullable(r.seq),
        quote_nullable(extract(epoch FROM r.recorded_at)), quote_nullable(r.login),
        quote_nullable(r.context_user), quote_nullable(r.operation),
        quote_nullable(r.table_name), quote_nullable(r.action), quote_nullable(r.row_count),
        quote_nullable(r.row_keys), quote_nullable(r.changed_columns),
        quote_nullable(encode(r.content_hash, 'hex')), quote_nullable(r.details),
        quote_nullable(encode(r.prev_hash, 'hex'))), 'UTF8'))
$$;

REVOKE ALL ON FUNCTION cogdb.audit_record_hash(cogdb.audit_records) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.audit_record_hash(cogdb.audit_records) IS
    'SHA-256 over every field of an audit record but its own hash (prev_hash included): what chains the records.';
