-- A shared entity is never updated or locked: UPDATE (and SELECT … FOR UPDATE/SHARE, which
-- reads the UPDATE policies) reaches the own tenant's rows only, even in a transaction that
-- asked for shared rows (entities__tenant_fence lets a covered row of another tenant through
-- for reads). RESTRICTIVE; the (SELECT …) is an InitPlan.
DROP POLICY IF EXISTS entities__own_updates ON cogdb.entities;
CREATE POLICY entities__own_updates ON cogdb.entities
    AS RESTRICTIVE FOR UPDATE TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()));
