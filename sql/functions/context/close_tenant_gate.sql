-- Takes the tenant's gate (tenant_gate) exclusively for the rest of the transaction, for
-- the short steps that must see none of the tenant's transactions open and let none start
-- (a model migration's cutover that settles or runs in memories_default, and the settle's
-- end). Every transaction of the tenant holds the gate shared (set_context, enter_tenant),
-- and a queued exclusive request makes every later one wait behind it: one of the tenant's
-- transactions left open (idle in transaction) would stall all the tenant's reads and writes
-- for as long as the request waits. So it first tries without queueing, every 10 ms, for
-- the caller's lock_timeout less 200 ms (1 s when there is no lock_timeout), which lets
-- the tenant's traffic through meanwhile; only then does it queue, for at most 200 ms (or
-- without a bound when the caller set none), so a tenant whose transactions always overlap
-- is still served: its running transactions end, its new ones wait at most that long.
-- Times out with 55P03, as a lock wait does (the callers' retries expect it). Revision 0031
-- (review of the cutover on the gate).
CREATE OR REPLACE FUNCTION cogdb.close_tenant_gate(tenant_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_key bigint := cogdb.tenant_gate(tenant_id);
    v_timeout text := current_setting('lock_timeout');
    v_ms bigint := (SELECT s.setting::bigint FROM pg_settings s WHERE s.name = 'lock_timeout');
    v_queue_ms constant bigint := 200;
    v_until timestamptz;
BEGIN
    v_until := clock_timestamp()
               + make_interval(secs => CASE WHEN v_ms = 0 THEN 1000
                                            ELSE greatest(v_ms - v_queue_ms, 0) END / 1000.0);
    LOOP
        IF pg_try_advisory_xact_lock(v_key) THEN
            RETURN;
        END IF;
        EXIT WHEN clock_timestamp() >= v_until;
        PERFORM pg_sleep(0.01);
    END LOOP;
    IF v_ms > v_queue_ms THEN
        PERFORM set_config('lock_timeout', v_queue_ms || 'ms', true);
    END IF;
    PERFORM pg_advisory_xact_lock(v_key);
    PERFORM set_config('lock_timeout', v_timeout, true);
END
$$;

REVOKE ALL ON FUNCTION cogdb.close_tenant_gate(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.close_tenant_gate(uuid) IS
    'Takes a tenant''s gate exclusively: tries without queueing for most of lock_timeout (the tenant''s traffic goes on), then queues for at most 200 ms.';
