-- Back to the spend in the budget rows only: the trigger and every spend sequence go. The
-- rows' epsilon_spent is first brought up to the sequences, so a downgrade forgets no charge.
DROP TRIGGER IF EXISTS tenants_privacy_sequence ON cogdb.tenants;
DO $$
DECLARE
    v_tenant uuid;
    v_seq regclass;
BEGIN
    FOR v_tenant IN SELECT t.id FROM cogdb.tenants t ORDER BY t.id LOOP
        v_seq := to_regclass('cogdb.privacy_spent_' || md5(v_tenant::text));
        CONTINUE WHEN v_seq IS NULL;
        PERFORM cogdb.enter_tenant(v_tenant);
        UPDATE cogdb.privacy_budgets b
           SET epsilon_spent = least(b.epsilon_total, greatest(b.epsilon_spent,
                   coalesce(pg_catalog.pg_sequence_last_value(v_seq), 0)::numeric / 1000000))
         WHERE b.tenant_id = v_tenant;
        EXECUTE format('DROP SEQUENCE %s', v_seq);
    END LOOP;
    PERFORM set_config('app.tenant_id', '', true);
    PERFORM set_config('app.user_id', '', true);
    PERFORM set_config('app.context_xact', '', true);
END
$$;
