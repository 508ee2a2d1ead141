-- Tenant sizes are read and written by the owner only (the count_memory_changes trigger and
-- `cogdb maintain`); no other role has any privilege on the table.
DROP POLICY IF EXISTS memory_counts__registry_owner ON cogdb.memory_counts;
CREATE POLICY memory_counts__registry_owner ON cogdb.memory_counts
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
