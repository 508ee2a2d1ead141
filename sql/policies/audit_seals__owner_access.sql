-- Inside the fence, only the owner (the audit definer functions) reads and appends; no other
-- role has any privilege on audit_seals either. Never widens the fence: it is restrictive.
DROP POLICY IF EXISTS audit_seals__owner_access ON cogdb.audit_seals;
CREATE POLICY audit_seals__owner_access ON cogdb.audit_seals
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
