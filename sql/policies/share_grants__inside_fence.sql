-- Lets rows through the fence: RLS shows nothing without at least one permissive policy.
-- All filtering is the fence's (share_grants__tenant_fence); only cogdb_admin's definer
-- functions write the table (the app has SELECT only).
DROP POLICY IF EXISTS share_grants__inside_fence ON cogdb.share_grants;
CREATE POLICY share_grants__inside_fence ON cogdb.share_grants
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (true)
    WITH CHECK (true);
