-- Audit records of the transactions in flight, before they join their tenant's chain. The
-- statement trigger cogdb.audit_rows (and cogdb.audit_note) write here, with everything but
-- the chain fields (seq, prev_hash, hash): when, who, what, the keys, the content hash. At
-- commit, the deferred constraint trigger audit_pending_flush (cogdb.audit_flush) moves the
-- transaction's rows into cogdb.audit_records, in statement order, under the lock of each
-- tenant's chain head: a tenant's writers queue only for the moment of their commit, not
-- from their first write, and a rolled-back transaction leaves nothing. Rows never outlive
-- their transaction: the table is empty for every other reader. Owner-only, like
-- memory_counts: no other role has any privilege on it.
CREATE TABLE cogdb.audit_pending (
    tenant_id       uuid NOT NULL,
    -- the writing transaction and the order of its records
    xact            xid8 NOT NULL DEFAULT pg_current_xact_id(),
    ord             integer NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    login           text NOT NULL DEFAULT session_user,
    context_user    uuid,
    operation       text NOT NULL,
    table_name      text,
    action          text,
    row_count       integer NOT NULL DEFAULT 0,
    row_keys        text[],
    changed_columns text[],
    content_hash    bytea,
    details         jsonb,
    PRIMARY KEY (tenant_id, xact, ord)
);
CREATE INDEX audit_pending_xact_idx ON cogdb.audit_pending (xact, ord);
CREATE CONSTRAINT TRIGGER audit_pending_flush AFTER INSERT ON cogdb.audit_pending
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION cogdb.audit_flush();
ALTER TABLE cogdb.audit_pending ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.audit_pending FORCE ROW LEVEL SECURITY;
REVOKE ALL ON cogdb.audit_pending FROM PUBLIC;
COMMENT ON TABLE cogdb.audit_pending IS
    'Audit records of transactions in flight, moved into their tenants'' chains at commit (cogdb.audit_flush); owner-only.';
