-- Every tenant gets its privacy spend sequence (cogdb.tenants_privacy_sequence; from now on
-- the trigger creates it with the tenant), starting at what its budget row says it spent,
-- rounded up to a micro-epsilon: the spend carried over is never less than was charged.
CREATE TRIGGER tenants_privacy_sequence AFTER INSERT OR DELETE ON cogdb.tenants
    FOR EACH ROW EXECUTE FUNCTION cogdb.tenants_privacy_sequence();
DO $$
DECLARE
    v_tenant uuid;
    v_name text;
    v_spent numeric;
BEGIN
    FOR v_tenant IN SELECT t.id FROM cogdb.tenants t ORDER BY t.id LOOP
        v_name := 'privacy_spent_' || md5(v_tenant::text);
        EXECUTE format('CREATE SEQUENCE IF NOT EXISTS cogdb.%I AS bigint MINVALUE 0 START 0 NO CYCLE',
                       v_name);
        EXECUTE format('REVOKE ALL ON SEQUENCE cogdb.%I FROM PUBLIC', v_name);
        EXECUTE format('COMMENT ON SEQUENCE cogdb.%I IS %L', v_name,
                       'A tenant''s privacy spend in micro-epsilon (cogdb.privacy_spend_sequence); '
                       || 'advanced by cogdb.charge_privacy_budget, never rolled back.');
        PERFORM cogdb.enter_tenant(v_tenant);  -- the budgets are fenced
        SELECT b.epsilon_spent INTO v_spent FROM cogdb.privacy_budgets b WHERE b.tenant_id = v_tenant;
        IF v_spent > 0 THEN
            PERFORM pg_catalog.setval(format('cogdb.%I', v_name)::regclass,
                                      ceil(v_spent * 1000000)::bigint, true);
        END IF;
    END LOOP;
    PERFORM set_config('app.tenant_id', '', true);
    PERFORM set_config('app.user_id', '', true);
    PERFORM set_config('app.context_xact', '', true);
END
$$;
