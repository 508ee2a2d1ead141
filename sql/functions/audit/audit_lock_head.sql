-- Statement trigger (BEFORE INSERT, UPDATE or DELETE) on every audited table: locks the
-- context tenant's chain head before the statement takes any row lock of its own, the lock
-- cogdb.audit_append would otherwise take only at the statement's end. Without it, a
-- transaction holding the head (after an earlier write) and one holding a row lock it took
-- in this statement (a session's, for an event) could each wait for the other: a deadlock.
-- Taken here, the head comes first in every audited statement of the app, so they queue.
-- A statement without a context (the owner's housekeeping) or of a tenant without a chain
-- yet locks nothing here. Definer: the app has no privilege on audit_heads.
CREATE OR REPLACE FUNCTION cogdb.audit_lock_head() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
BEGIN
    IF v_tenant IS NOT NULL THEN
        PERFORM FROM cogdb.audit_heads h WHERE h.tenant_id = v_tenant FOR UPDATE;
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION cogdb.audit_lock_head() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.audit_lock_head() IS
    'Statement trigger (BEFORE) on every audited table: locks the context tenant''s audit chain head before the statement''s own row locks, so audited writers queue instead of deadlocking.';
