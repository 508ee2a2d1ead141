-- Records in flight are written and moved by the owner only (cogdb.audit_rows,
-- cogdb.audit_note, cogdb.audit_flush); no other role has any privilege on the table.
DROP POLICY IF EXISTS audit_pending__registry_owner ON cogdb.audit_pending;
CREATE POLICY audit_pending__registry_owner ON cogdb.audit_pending
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
