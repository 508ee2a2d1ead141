-- Charges epsilon to the privacy budget of every tenant in `tenants` (the contributors of a
-- noisy aggregate: it is their data's privacy loss), or to none. The spend is kept in each
-- tenant's spend sequence (cogdb.privacy_spend_sequence, micro-epsilon; epsilon rounded up to
-- a whole micro-unit), which setval advances outside the transaction: a rollback of the
-- asker's transaction, or of a savepoint around the call, does not undo the charge
-- (docs/federated.md "A charge the asker cannot undo").
-- Two passes, in tenant id order. First each budget row is locked (FOR UPDATE, in the
-- tenant's context: the budgets are fenced) and its spend checked against epsilon_total;
-- then, only if every budget can pay, each sequence is advanced and the row's
-- epsilon_spent (the audited, transactional copy) is brought up to it. The row lock
-- serialises everything that reads and sets one tenant's spend (every charge, and
-- set_privacy_budget), so no interleaving overspends: a waiter reads the sequence after the
-- lock is granted, and the sequence shows every charge made before, committed or not. The
-- order rules out deadlocks between charges. A budget that cannot pay raises CGP01 before
-- any sequence moved: nothing is charged. The message names whether the caller's own budget
-- or another contributor's is short, never which tenant. The caller's context is put back.
-- Owner-only.
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
    v_total numeric;
    v_seq regclass;
    v_spent bigint;
    v_units bigint := ceil(epsilon * 1000000)::bigint;
    v_seqs regclass[] := '{}';
    v_new bigint[] := '{}';
    v_i int;
BEGIN
    FOREACH v_tenant IN ARRAY tenants LOOP
        IF v_saved IS NULL THEN
            v_saved := cogdb.enter_tenant(v_tenant);
        ELSE
            PERFORM cogdb.enter_tenant(v_tenant);
        END IF;
        SELECT b.epsilon_total INTO v_total
          FROM cogdb.privacy_budgets b WHERE b.tenant_id = v_tenant FOR UPDATE;
        v_seq := cogdb.privacy_spend_sequence(v_tenant);
        IF v_seq IS NULL THEN  -- fail closed: a spend nobody can record is not made
            RAISE EXCEPTION 'tenant has no privacy spend sequence'
                USING ERRCODE = 'XX000',
                      HINT = 'Revision 0020 creates one per tenant; run alembic upgrade head.';
        END IF;
        v_spent := coalesce(pg_catalog.pg_sequence_last_value(v_seq), 0);
        IF v_total IS NULL OR v_spent + v_units > ceil(v_total * 1000000) THEN
            IF v_tenant = caller THEN
                RAISE EXCEPTION 'this tenant''s privacy budget cannot pay epsilon % (% left)',
                                epsilon,
                                greatest(coalesce(v_total, 0) - trim_scale(v_spent::numeric / 1000000), 0)
                    USING ERRCODE = 'CGP01', COLUMN = 'epsilon',
                          HINT = 'Ask without noise, with a smaller epsilon, or ask an '
                                 'administrator to raise the budget (cogdb federated set-budget).';
            END IF;
            RAISE EXCEPTION 'the privacy budget of a contributing tenant cannot pay epsilon %', epsilon
                USING ERRCODE = 'CGP01', COLUMN = 'epsilon',
                      HINT = 'Nothing was charged. Ask without noise or with a smaller epsilon; '
                             'each contributor''s budget pays for a noisy aggregate.';
        END IF;
        v_seqs := v_seqs || v_seq;
        v_new := v_new || (v_spent + v_units);
    END LOOP;
    -- every budget can pay, and every row is locked: charge, outside the transaction
    FOR v_i IN 1 .. coalesce(array_length(v_seqs, 1), 0) LOOP
        PERFORM pg_catalog.setval(v_seqs[v_i], v_new[v_i], true);
    END LOOP;
    v_i := 0;
    FOREACH v_tenant IN ARRAY tenants LOOP
        v_i := v_i + 1;
        PERFORM cogdb.enter_tenant(v_tenant);
        UPDATE cogdb.privacy_budgets b
           SET epsilon_spent = least(trim_scale(v_new[v_i]::numeric / 1000000), b.epsilon_total),
               updated_at = now()
         WHERE b.tenant_id = v_tenant;
    END LOOP;
    IF v_saved IS NOT NULL THEN
        PERFORM cogdb.restore_context(v_saved);
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.charge_privacy_budget(uuid[], numeric, uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.charge_privacy_budget(uuid[], numeric, uuid) IS
    'Charges epsilon to every contributing tenant''s privacy budget, or to none (CGP01), in spend sequences a rollback does not undo; owner-only.';
