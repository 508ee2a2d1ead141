-- Lets rows through the fence: RLS shows nothing without at least one permissive policy.
-- All filtering is the fence's (retention_policies__tenant_fence): a tenant's rows are its
-- administrators' to set and every user's to read.
DROP POLICY IF EXISTS retention_policies__inside_fence ON cogdb.retention_policies;
CREATE POLICY retention_policies__inside_fence ON cogdb.retention_policies
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (true)
    WITH CHECK (true);
