-- The access log is written by record_access() and folded by `cogdb maintain`; no other role
-- has any privilege on the table.
DROP POLICY IF EXISTS memory_accesses__registry_owner ON cogdb.memory_accesses;
CREATE POLICY memory_accesses__registry_owner ON cogdb.memory_accesses
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
