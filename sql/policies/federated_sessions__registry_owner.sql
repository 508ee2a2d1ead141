-- federated_sessions is read and written by the owner only (the federated definer functions); no other
-- role has any privilege on the table.
DROP POLICY IF EXISTS federated_sessions__registry_owner ON cogdb.federated_sessions;
CREATE POLICY federated_sessions__registry_owner ON cogdb.federated_sessions
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
