-- Lets rows through the fence: RLS shows nothing without at least one permissive policy.
-- Store items are tenant-wide (every user of the tenant), so all filtering is the fence's
-- (store_vectors__tenant_fence); this one adds no condition of its own.
DROP POLICY IF EXISTS store_vectors__inside_fence ON cogdb.store_vectors;
CREATE POLICY store_vectors__inside_fence ON cogdb.store_vectors
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (true)
    WITH CHECK (true);
