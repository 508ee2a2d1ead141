-- Inside the fence, only the owner (the audit definer functions) reads and appends; no other
-- role has any privilege on audit_records either. Never widens the fence: it is restrictive.
DROP POLICY IF EXISTS audit_records__owner_access ON cogdb.audit_records;
CREATE POLICY audit_records__owner_access ON cogdb.audit_records
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
