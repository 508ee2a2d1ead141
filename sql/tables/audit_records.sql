-- The audit trail: one record per audited statement (and per note), per tenant, numbered
-- 1, 2, 3, … and hash-chained: each record carries the hash of the one before it
-- (prev_hash; 32 zero bytes for the first) and its own hash over all of its fields
-- (cogdb.audit_record_hash). The statement trigger cogdb.audit_rows and cogdb.audit_note
-- queue records in cogdb.audit_pending; at commit cogdb.audit_flush appends them here
-- (cogdb.audit_append), serialised per tenant by the row lock on the tenant's
-- cogdb.audit_heads row, so the chain is in commit order and never forks.
--
-- Never content: the row keys, the names of the changed columns (updates), how many rows, and
-- content_hash, a SHA-256 over the new rows (sha256 of each row's binary form, in key order;
-- NULL for deletes). An erasure therefore leaves no content behind here.
--
-- Append-only for every role, the owner included (trigger cogdb.audit_refuse_change; no
-- grants at all: the auditor reads through cogdb.audit_log and cogdb.audit_verify). No foreign
-- key to cogdb.tenants: a deleted tenant's chain stays, ending with the record of its deletion.
CREATE TABLE cogdb.audit_records (
    tenant_id       uuid NOT NULL,
    seq             bigint NOT NULL CHECK (seq >= 1),
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- session_user: the login that connected (a definer function does not change it)
    login           text NOT NULL,
    -- the context's user (cogdb.current_user_id()) when the write happened, if any
    context_user    uuid,
    -- INSERT, UPDATE or DELETE of table_name's rows; NOTE for cogdb.audit_note (action, details)
    operation       text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'NOTE')),
    table_name      text,
    action          text CHECK (length(action) <= 64),
    row_count       integer NOT NULL DEFAULT 0 CHECK (row_count >= 0),
    row_keys        text[],
    changed_columns text[],
    content_hash    bytea,
    details         jsonb,
    prev_hash       bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash            bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (tenant_id, seq),
    CONSTRAINT audit_records_kind_check CHECK (
        (operation = 'NOTE') = (action IS NOT NULL AND table_name IS NULL))
);
-- `cogdb audit log --since`: a tenant's records by time.
CREATE INDEX audit_records_tenant_recorded_idx ON cogdb.audit_records (tenant_id, recorded_at);
-- No value statistics: the planner's estimates are visible through EXPLAIN to every login.
ALTER TABLE cogdb.audit_records ALTER COLUMN row_keys SET STATISTICS 0;
ALTER TABLE cogdb.audit_records ALTER COLUMN details SET STATISTICS 0;
CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON cogdb.audit_records
    FOR EACH ROW EXECUTE FUNCTION cogdb.audit_refuse_change();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON cogdb.audit_records
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_refuse_change();
ALTER TABLE cogdb.audit_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.audit_records FORCE ROW LEVEL SECURITY;
REVOKE ALL ON cogdb.audit_records FROM PUBLIC;
COMMENT ON TABLE cogdb.audit_records IS
    'The tamper-evident audit trail: one hash-chained record per audited statement or note, per tenant; row keys, changed column names and content hashes, never content. Append-only for every role; fenced by tenant (RLS).';
