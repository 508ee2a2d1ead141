-- Migration states are read and written by the owner only (cogdb_admin's definer functions,
-- migration_target for the app's own tenant, `cogdb maintain`); no other role has any
-- privilege on the table.
DROP POLICY IF EXISTS model_migrations__registry_owner ON cogdb.model_migrations;
CREATE POLICY model_migrations__registry_owner ON cogdb.model_migrations
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
