-- The tenant fence on relationships: a row is readable only inside its own tenant's context,
-- or, when the caller asked for shared rows (neighbors(…, include_shared => true)), a
-- tenant-visible relationship between two memories of a tenant that shares both with it;
-- writable only inside its own tenant's context (WITH CHECK; relationships__own_updates
-- keeps UPDATE and row locks to the own tenant too; the app has no DELETE on this table and
-- the definer functions that delete name their tenant: a shared relationship is read-only).
-- RESTRICTIVE, so no permissive policy added later can widen it.
-- - `tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])`: the context tenant, plus
--   the sources of its live grants only when it asked; an InitPlan and an index condition,
--   as in memories__tenant_fence: a statement that did not ask reads no other tenant's row.
-- - another tenant's relationship: never one that touches an entity (entities are not
--   shared), and both its memories must be ones the caller reads in that tenant, under
--   memories__tenant_fence (the grants' test, grant_covers on live_grants() computed once).
--   This lookup runs for rows of other tenants only, found by the index condition above;
--   the own tenant's rows take the first branch. It reads both ids in one primary-key scan
--   (revision 0023: OFFSET 0 keeps it per row, and `(… = …) IS TRUE` keeps the tenant
--   comparison a filter, as in relationships__endpoints_visible) and counts them; a
--   relationship from a memory to itself is one id. One lookup, not one per memory
--   (revision 0035): the row's tenant cannot prune the partitions of memories before the
--   statement runs, so every statement on relationships set up this lookup's scan of every
--   partition, though only a statement that asked for shared rows runs it; one lookup
--   halved that. Since revision 0038 the lookup also compares the tenant with
--   cogdb.shared_tenant_floor(): NULL (no partition) unless the transaction asked for shared
--   rows, and evaluated when the statement starts, so a statement that did not ask prunes
--   every partition of this lookup before setting any up; when it asked, every tenant id is
--   at or above the floor and the lookup is as before. It narrows the branch, never widens
--   it. Read once per statement by partition pruning, and as an index condition once per
--   probe of a shared row: docs/conventions.md rule 3's second exception, which
--   cogdb.policy_report() accepts in this policy and this form only.
-- (SELECT …) makes the helpers InitPlans: evaluated once per query, not once per row.
DROP POLICY IF EXISTS relationships__tenant_fence ON cogdb.relationships;
CREATE POLICY relationships__tenant_fence ON cogdb.relationships
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])
           AND (tenant_id = (SELECT cogdb.current_tenant_id())
                OR (visibility = 'tenant' AND from_entity_id IS NULL AND to_entity_id IS NULL
                    AND (SELECT count(*) FROM cogdb.memories m
                          WHERE m.id IN (relationships.from_memory_id,
                                         relationships.to_memory_id)
                            AND m.tenant_id >= cogdb.shared_tenant_floor()
                            AND (m.tenant_id = relationships.tenant_id) IS TRUE
                         OFFSET 0)
                        = CASE WHEN from_memory_id = to_memory_id THEN 1 ELSE 2 END)))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
