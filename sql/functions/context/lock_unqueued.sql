-- Takes, for the rest of the transaction, a lock that writers of one tenant wait for,
-- without queueing ahead of them while it cannot have it: the tenant's gate (tenant_gate)
-- exclusively when share_table is NULL, else share_table (the tenant's own partition of
-- memories) in SHARE mode. A queued request makes every later conflicting one wait behind
-- it, so a wait for someone else (a transaction of the tenant left open; for the partition,
-- also any tenant's UPDATE or DELETE naming no tenant, which locks every partition in ROW
-- EXCLUSIVE mode) would stall the tenant's traffic for as long as the request waits. So it
-- first tries without queueing, every 10 ms, for the caller's lock_timeout less 200 ms (1 s
-- when there is no lock_timeout), which lets the tenant's traffic through meanwhile; only
-- then does it queue, for at most 200 ms, so a tenant whose transactions always overlap is
-- still served: its running transactions end, its new ones wait at most that long. Times
-- out with 55P03, as a lock wait does (the callers' retries expect it), a caller without a
-- lock_timeout too (revision 0032, from its review: with none, 0031's gate queued without a
-- bound, holding the tenant's traffic for as long as it waited). Revision 0031 for the gate (close_tenant_gate), 0032 for the
-- partition (a model migration's cutover that swaps a promoted tenant's rows).
CREATE OR REPLACE FUNCTION cogdb.lock_unqueued(tenant_id uuid, share_table regclass DEFAULT NULL)
    RETURNS void
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
        IF share_table IS NULL THEN
            IF pg_try_advisory_xact_lock(v_key) THEN
                RETURN;
            END IF;
        ELSE
            BEGIN
                EXECUTE format('LOCK TABLE %s IN SHARE MODE NOWAIT', share_table);
                RETURN;
            EXCEPTION WHEN lock_not_available THEN
                NULL;
            END;
        END IF;
        EXIT WHEN clock_timestamp() >= v_until;
        PERFORM pg_sleep(0.01);
    END LOOP;
    IF v_ms = 0 OR v_ms > v_queue_ms THEN
        PERFORM set_config('lock_timeout', v_queue_ms || 'ms', true);
    END IF;
    IF share_table IS NULL THEN
        PERFORM pg_advisory_xact_lock(v_key);
    ELSE
        EXECUTE format('LOCK TABLE %s IN SHARE MODE', share_table);
    END IF;
    PERFORM set_config('lock_timeout', v_timeout, true);
END
$$;

REVOKE ALL ON FUNCTION cogdb.lock_unqueued(uuid, regclass) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.lock_unqueued(uuid, regclass) IS
    'Takes a tenant''s gate exclusively, or its partition in SHARE mode: tries without queueing for most of lock_timeout (the tenant''s traffic goes on), then queues for at most 200 ms.';
