-- federated_participants is read and written by the owner only (the federated definer functions); no other
-- role has any privilege on the table.
DROP POLICY IF EXISTS federated_participants__registry_owner ON cogdb.federated_participants;
CREATE POLICY federated_participants__registry_owner ON cogdb.federated_participants
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
