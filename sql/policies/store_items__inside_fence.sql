-- Lets rows through the fence: RLS shows nothing without at least one permissive policy.
-- Store items are tenant-wide (every user of the tenant), so all filtering is the fence's
-- (store_items__tenant_fence); this one adds no condition of its own.
DROP POLICY IF EXISTS store_items__inside_fence ON cogdb.store_items;
CREATE POLICY store_items__inside_fence ON cogdb.store_items
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (true)
    WITH CHECK (true);
