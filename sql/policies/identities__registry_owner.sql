-- The identities directory is read and written only by the owner's definer functions
-- (create_user, resolve_identity); no other role has any privilege on the table.
DROP POLICY IF EXISTS identities__registry_owner ON cogdb.identities;
CREATE POLICY identities__registry_owner ON cogdb.identities
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
