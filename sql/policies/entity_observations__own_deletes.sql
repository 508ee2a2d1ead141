-- A shared observation is never deleted: DELETE (the app holds it, for forget_observations)
-- reaches the own tenant's rows only, even in a transaction that asked for shared rows.
-- RESTRICTIVE; the (SELECT …) is an InitPlan. (The app has no UPDATE on this table.)
DROP POLICY IF EXISTS entity_observations__own_deletes ON cogdb.entity_observations;
CREATE POLICY entity_observations__own_deletes ON cogdb.entity_observations
    AS RESTRICTIVE FOR DELETE TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()));
