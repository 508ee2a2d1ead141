-- A shared entity is never deleted: DELETE reaches the own tenant's rows only, even in a
-- transaction that asked for shared rows (entities__tenant_fence lets a covered row of
-- another tenant through for reads). RESTRICTIVE; the (SELECT …) is an InitPlan.
DROP POLICY IF EXISTS entities__own_deletes ON cogdb.entities;
CREATE POLICY entities__own_deletes ON cogdb.entities
    AS RESTRICTIVE FOR DELETE TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()));
