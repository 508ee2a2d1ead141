-- Seals anchor a tenant's audit chain: at sealing time, how many records it had (seq) and
-- the hash of the last one (head_hash). Written by cogdb.audit_seal (`cogdb audit seal`,
-- `cogdb maintain`); cogdb.audit_verify checks that the record at each sealed seq still
-- exists and still has the sealed hash, so cutting off the newest records, or rewriting a
-- record and recomputing the hashes after it, is reported. Seals are append-only like the
-- records. A superuser can rewrite
-- seals too: copy the head hashes out of the database for an anchor one cannot.
CREATE TABLE cogdb.audit_seals (
    tenant_id      uuid NOT NULL,
    seq            bigint NOT NULL CHECK (seq >= 0),
    head_hash      bytea NOT NULL CHECK (length(head_hash) = 32),
    sealed_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    sealed_by      text NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON cogdb.audit_seals
    FOR EACH ROW EXECUTE FUNCTION cogdb.audit_refuse_change();
CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON cogdb.audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_refuse_change();
ALTER TABLE cogdb.audit_seals ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.audit_seals FORCE ROW LEVEL SECURITY;
REVOKE ALL ON cogdb.audit_seals FROM PUBLIC;
COMMENT ON TABLE cogdb.audit_seals IS
    'Seals of each tenant''s audit chain (record count and head hash at sealing time), which audit_verify checks; append-only; fenced by tenant (RLS).';
