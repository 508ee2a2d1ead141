-- Lets rows through the fence: RLS shows nothing without at least one permissive policy.
-- All filtering is the fence's (relationship_types__tenant_fence): a tenant's types are
-- shared by all of its users.
DROP POLICY IF EXISTS relationship_types__inside_fence ON cogdb.relationship_types;
CREATE POLICY relationship_types__inside_fence ON cogdb.relationship_types
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (true)
    WITH CHECK (true);
