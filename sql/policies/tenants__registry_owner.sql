-- The owner (so: the definer provisioning functions) manages the whole tenants registry.
-- No login is a member of cogdb_owner except the migrating role; the app never is.
DROP POLICY IF EXISTS tenants__registry_owner ON cogdb.tenants;
CREATE POLICY tenants__registry_owner ON cogdb.tenants
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
