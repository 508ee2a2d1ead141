-- Charges epsilon to the privacy budget of every tenant in `tenants` (the contributors of a
-- noisy aggregate: it is their data's privacy loss), or to none. Each row is raised in its
-- tenant's context (enter_tenant; the budgets are fenced) by one UPDATE that checks and adds
-- at once, in tenant id order: the row lock serialises concurrent charges of one tenant, and
-- READ COMMITTED re-checks the condition on the row it waited for, so no interleaving
-- overspends; the order rules out deadlocks between charges. A budget that cannot pay raises
-- CGP01, which aborts the caller's statement and undoes every charge made before it. The
-- message names whether the caller's own budget or another contributor's is short, never
-- which tenant. The caller's context is put back. Owner-only.
CREATE OR REPLACE FUNCTION cogdb.charge_privacy_budget(tenants uuid[], epsilon numeric,
                                                       caller uuid)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_saved text[];
    v_tenant uuid;
    v_left numeric;
BEGIN
    FOREACH v_tenant IN ARRAY tenants LOOP
        IF v_saved IS NULL THEN
            v_saved := cogdb.enter_tenant(v_tenant);
        ELSE
            PERFORM cogdb.enter_tenant(v_tenant);
        END IF;
        UPDATE cogdb.privacy_budgets b
           SET epsilon_spent = b.epsilon_spent + epsilon, updated_at = now()
         WHERE b.tenant_id = v_tenant AND b.epsilon_spent + epsilon <= b.epsilon_total;
        IF NOT FOUND THEN
            IF v_tenant = caller THEN
                SELECT b.epsilon_total - b.epsilon_spent INTO v_left
                  FROM cogdb.privacy_budgets b WHERE b.tenant_id = v_tenant;
                RAISE EXCEPTION 'this tenant''s privacy budget cannot pay epsilon % (% left)',
                                epsilon, coalesce(v_left, 0)
                    USING ERRCODE = 'CGP01', COLUMN = 'epsilon',
                          HINT = 'Ask without noise, with a smaller epsilon, or ask an '
                                 'administrator to raise the budget (cogdb federated set-budget).';
            END IF;
            RAISE EXCEPTION 'the privacy budget of a contributing tenant cannot pay epsilon %', epsilon
                USING ERRCODE = 'CGP01', COLUMN = 'epsilon',
                      HINT = 'Nothing was charged. Ask without noise or with a smaller epsilon; '
                             'each contributor''s budget pays for a noisy aggregate.';
        END IF;
    END LOOP;
    IF v_saved IS NOT NULL THEN
        PERFORM cogdb.restore_context(v_saved);
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.charge_privacy_budget(uuid[], numeric, uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.charge_privacy_budget(uuid[], numeric, uuid) IS
    'Charges epsilon to every contributing tenant''s privacy budget, or to none (CGP01); owner-only.';
