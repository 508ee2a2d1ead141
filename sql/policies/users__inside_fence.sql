-- Lets rows through the fence: RLS shows nothing without at least one permissive policy.
-- All filtering is the fence's (users__tenant_fence); this one adds no condition of its own.
DROP POLICY IF EXISTS users__inside_fence ON cogdb.users;
CREATE POLICY users__inside_fence ON cogdb.users
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (true)
    WITH CHECK (true);
