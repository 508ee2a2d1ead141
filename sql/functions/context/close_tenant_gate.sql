-- Takes the tenant's gate (tenant_gate) exclusively for the rest of the transaction, for
-- the short steps that must see none of the tenant's transactions open and let none start
-- (a model migration's cutover that settles or runs in memories_default, and the settle's
-- end). Every transaction of the tenant holds the gate shared (set_context, enter_tenant);
-- lock_unqueued takes it without queueing ahead of them for most of the caller's
-- lock_timeout, then queues for 200 ms at most (55P03 after that). Revision 0031 (review of
-- the cutover on the gate); since 0032 the rule lives in lock_unqueued, which the swapping
-- cutover also uses for its partition.
CREATE OR REPLACE FUNCTION cogdb.close_tenant_gate(tenant_id uuid) RETURNS void
    LANGUAGE sql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT cogdb.lock_unqueued(tenant_id, NULL);
$$;

REVOKE ALL ON FUNCTION cogdb.close_tenant_gate(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.close_tenant_gate(uuid) IS
    'Takes a tenant''s gate exclusively: tries without queueing for most of lock_timeout (the tenant''s traffic goes on), then queues for at most 200 ms.';
