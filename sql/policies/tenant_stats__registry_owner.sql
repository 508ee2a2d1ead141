-- Tenant statistics are written by the count_tenant_stats trigger and read by stats() and
-- tenant_stats() (definer functions that filter the tenant themselves) and compacted by
-- `cogdb maintain`; no other role has any privilege on the table.
DROP POLICY IF EXISTS tenant_stats__registry_owner ON cogdb.tenant_stats;
CREATE POLICY tenant_stats__registry_owner ON cogdb.tenant_stats
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
