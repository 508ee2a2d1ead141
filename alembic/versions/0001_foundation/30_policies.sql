-- cogdb revision 0001 (foundation): policies, copied from sql/policies/. FROZEN: never edit.
SET LOCAL ROLE cogdb_owner;

-- sql/policies/identities__registry_owner.sql
-- The identities directory is read and written only by the owner's definer functions
-- (create_user, resolve_identity); no other role has any privilege on the table.
DROP POLICY IF EXISTS identities__registry_owner ON cogdb.identities;
CREATE POLICY identities__registry_owner ON cogdb.identities
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);

-- sql/policies/memories__owner_deletes.sql
-- Only a memory's owner may delete (forget) it; ownerless memories stay deletable by the
-- tenant. RESTRICTIVE, like memories__owner_updates.
DROP POLICY IF EXISTS memories__owner_deletes ON cogdb.memories;
CREATE POLICY memories__owner_deletes ON cogdb.memories
    AS RESTRICTIVE FOR DELETE TO PUBLIC
    USING (owner_user_id IS NULL OR owner_user_id = cogdb.current_user_id());

-- sql/policies/memories__owner_updates.sql
-- Only a memory's owner may change it; ownerless (tenant-wide) memories stay editable by the
-- tenant. RESTRICTIVE: it narrows the visibility policy for UPDATE, it never widens it.
DROP POLICY IF EXISTS memories__owner_updates ON cogdb.memories;
CREATE POLICY memories__owner_updates ON cogdb.memories
    AS RESTRICTIVE FOR UPDATE TO PUBLIC
    USING (owner_user_id IS NULL OR owner_user_id = cogdb.current_user_id())
    WITH CHECK (owner_user_id IS NULL OR owner_user_id = cogdb.current_user_id());

-- sql/policies/memories__tenant_fence.sql
-- The tenant fence: a row is readable and writable only inside its own tenant's context.
-- RESTRICTIVE, so no permissive policy added later (visibility, sharing) can widen it.
DROP POLICY IF EXISTS memories__tenant_fence ON cogdb.memories;
CREATE POLICY memories__tenant_fence ON cogdb.memories
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = cogdb.current_tenant_id())
    WITH CHECK (tenant_id = cogdb.current_tenant_id());

-- sql/policies/memories__visible_to_user.sql
-- Inside the fence: tenant-visible memories, plus the context user's own private ones.
-- The only permissive policy on memories, so without it nothing is visible at all.
DROP POLICY IF EXISTS memories__visible_to_user ON cogdb.memories;
CREATE POLICY memories__visible_to_user ON cogdb.memories
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (visibility = 'tenant' OR owner_user_id = cogdb.current_user_id())
    WITH CHECK (visibility = 'tenant' OR owner_user_id = cogdb.current_user_id());

-- sql/policies/tenants__own_row.sql
-- A tenant's context reads its own tenant row (name, mode, settings, default model) only.
-- The app role has SELECT alone on tenants: it can never change its own settings.
DROP POLICY IF EXISTS tenants__own_row ON cogdb.tenants;
CREATE POLICY tenants__own_row ON cogdb.tenants
    AS PERMISSIVE FOR SELECT TO PUBLIC
    USING (id = cogdb.current_tenant_id());

-- sql/policies/tenants__registry_owner.sql
-- The owner (so: the definer provisioning functions) manages the whole tenants registry.
-- No login is a member of cogdb_owner except the migrating role; the app never is.
DROP POLICY IF EXISTS tenants__registry_owner ON cogdb.tenants;
CREATE POLICY tenants__registry_owner ON cogdb.tenants
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);

-- sql/policies/users__inside_fence.sql
-- Lets rows through the fence: RLS shows nothing without at least one permissive policy.
-- All filtering is the fence's (users__tenant_fence); this one adds no condition of its own.
DROP POLICY IF EXISTS users__inside_fence ON cogdb.users;
CREATE POLICY users__inside_fence ON cogdb.users
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (true)
    WITH CHECK (true);

-- sql/policies/users__tenant_fence.sql
-- The tenant fence on users: a tenant's context sees and writes only its own users.
DROP POLICY IF EXISTS users__tenant_fence ON cogdb.users;
CREATE POLICY users__tenant_fence ON cogdb.users
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = cogdb.current_tenant_id())
    WITH CHECK (tenant_id = cogdb.current_tenant_id());
