-- Chain heads are read and written by the owner only (cogdb.audit_append, which names the
-- tenant, and cogdb.audit_verify); no other role has any privilege on the table.
DROP POLICY IF EXISTS audit_heads__registry_owner ON cogdb.audit_heads;
CREATE POLICY audit_heads__registry_owner ON cogdb.audit_heads
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
