-- Makes tenant_id (and user_id) the context of the calling definer function's own
-- statements and returns the caller's context, for restore_context() to put back before the
-- function returns. FORCE RLS fences cogdb_owner too, so provisioning functions act inside
-- their target tenant this way. An error needs no restore: it aborts the transaction, or
-- rolls back to a savepoint, and either reverts the settings. Like set_context, it takes the
-- tenant's gate (tenant_gate) until the transaction ends. Owner-only: the app sets its
-- context with set_context(), which checks it.
CREATE OR REPLACE FUNCTION cogdb.enter_tenant(tenant_id uuid, user_id uuid DEFAULT NULL)
    RETURNS text[]
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller text[] := ARRAY[coalesce(current_setting('app.tenant_id', true), ''),
                             coalesce(current_setting('app.user_id', true), ''),
                             coalesce(current_setting('app.context_xact', true), '')];
BEGIN
    PERFORM pg_advisory_xact_lock_shared(cogdb.tenant_gate(enter_tenant.tenant_id));
    -- Transaction-local, and not in this function's SET clause: they outlast the call.
    PERFORM set_config('app.tenant_id', enter_tenant.tenant_id::text, true);
    PERFORM set_config('app.user_id', coalesce(enter_tenant.user_id::text, ''), true);
    PERFORM set_config('app.context_xact', cogdb.context_stamp(), true);
    RETURN v_caller;
END
$$;

REVOKE ALL ON FUNCTION cogdb.enter_tenant(uuid, uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.enter_tenant(uuid, uuid) IS
    'Makes tenant_id (and user_id) the context of the calling definer function''s own statements and returns the caller''s context, for restore_context() to put back before the function returns.';
