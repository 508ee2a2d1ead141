-- cogdb revision 0020 (sharing_knowledge): written by `python -m tools.freeze 0020` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> sql/functions/federated/privacy_spend_sequence.sql
-- The sequence that holds one tenant's privacy spend, in integer micro-units of epsilon
-- (cogdb.privacy_spent_<tenant id without dashes>), or NULL if the tenant has none. The
-- spend lives in a sequence, not in a table row, because a sequence is not transactional:
-- setval is never undone by a rollback (PostgreSQL manual, "Sequence Manipulation
-- Functions"), so an asker that rolls back after reading a noisy answer keeps its charge
-- (docs/federated.md "A charge the asker cannot undo"). Owner-only; the app has no
-- privilege on the sequences.
CREATE OR REPLACE FUNCTION cogdb.privacy_spend_sequence(tenant uuid)
    RETURNS regclass
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT to_regclass('cogdb.privacy_spent_' || replace(tenant::text, '-', ''))
$$;

REVOKE ALL ON FUNCTION cogdb.privacy_spend_sequence(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.privacy_spend_sequence(uuid) IS
    'The sequence holding a tenant''s privacy spend in micro-epsilon (NULL if none); owner-only.';
-- <<< sql/functions/federated/privacy_spend_sequence.sql

-- >>> sql/functions/federated/privacy_spent.sql
-- What a tenant has spent of its privacy budget, in epsilon: its spend sequence's value
-- (micro-units, cogdb.privacy_spend_sequence) divided by 10^6, trailing zeros trimmed; 0 for
-- a tenant without a sequence or without any charge. Reads the sequence as it is now, not as
-- of a snapshot: a charge made by a transaction that later rolled back is counted.
-- Owner-only: the app reads its own spend through cogdb.privacy_budget().
CREATE OR REPLACE FUNCTION cogdb.privacy_spent(tenant uuid)
    RETURNS numeric
    LANGUAGE sql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT trim_scale(coalesce(pg_catalog.pg_sequence_last_value(
               cogdb.privacy_spend_sequence(tenant)), 0)::numeric / 1000000)
$$;

REVOKE ALL ON FUNCTION cogdb.privacy_spent(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.privacy_spent(uuid) IS
    'A tenant''s privacy spend in epsilon, read from its spend sequence (never rolled back); owner-only.';
-- <<< sql/functions/federated/privacy_spent.sql

-- >>> sql/functions/federated/tenants_privacy_sequence.sql
-- Trigger on cogdb.tenants: creates a tenant's privacy spend sequence when the tenant is
-- created, and drops it when the tenant is deleted. The sequence exists from the tenant's
-- creation (an admin's transaction), never created by the transaction of an asker: were it
-- created next to a budget row by a join, BEGIN; join; noisy query; ROLLBACK would roll the
-- sequence, and its spend, back with the join. Owned by the function's owner (the schema
-- owner); no privilege is granted on it to anyone. Counts from 0 in micro-epsilon; a
-- sequence never cycles, so at its maximum a charge fails rather than wrapping.
CREATE OR REPLACE FUNCTION cogdb.tenants_privacy_sequence()
    RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_name text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        v_name := 'privacy_spent_' || replace(NEW.id::text, '-', '');
        EXECUTE format('CREATE SEQUENCE IF NOT EXISTS cogdb.%I AS bigint MINVALUE 0 START 0 NO CYCLE',
                       v_name);
        EXECUTE format('REVOKE ALL ON SEQUENCE cogdb.%I FROM PUBLIC', v_name);
        EXECUTE format('COMMENT ON SEQUENCE cogdb.%I IS %L', v_name,
                       'Privacy spend of tenant ' || NEW.id || ' in micro-epsilon; advanced by '
                       || 'cogdb.charge_privacy_budget, never rolled back.');
        RETURN NEW;
    END IF;
    EXECUTE format('DROP SEQUENCE IF EXISTS cogdb.%I',
                   'privacy_spent_' || replace(OLD.id::text, '-', ''));
    RETURN OLD;
END
$$;

REVOKE ALL ON FUNCTION cogdb.tenants_privacy_sequence() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.tenants_privacy_sequence() IS
    'Trigger: creates a tenant''s privacy spend sequence with the tenant, drops it with the tenant.';
-- <<< sql/functions/federated/tenants_privacy_sequence.sql

-- >>> sql/functions/federated/charge_privacy_budget.sql
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
-- <<< sql/functions/federated/charge_privacy_budget.sql

-- >>> sql/functions/federated/privacy_budget.sql
-- The context tenant's privacy budget: epsilon_total, epsilon_spent and epsilon_left; before
-- its first session, the deployment's federated.epsilon_budget. Spent is read from the
-- tenant's spend sequence (cogdb.privacy_spent), which counts every charge, including those
-- of transactions that rolled back. Definer, because the app has no privilege on the spend
-- sequences; it reads the budget row through the fence, in the caller's context, and the
-- sequence of the context's tenant only (require_tenant).
CREATE OR REPLACE FUNCTION cogdb.privacy_budget()
    RETURNS TABLE (epsilon_total numeric, epsilon_spent numeric, epsilon_left numeric)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.total, t.spent, greatest(t.total - t.spent, 0)
      FROM (SELECT coalesce(b.epsilon_total, d.total) AS total,
                   cogdb.privacy_spent(d.tenant) AS spent
              FROM (SELECT coalesce((SELECT (s.value #>> '{}')::numeric FROM cogdb.settings s
                                      WHERE s.key = 'federated.epsilon_budget'), 1) AS total,
                           cogdb.require_tenant('reading the privacy budget') AS tenant) d
              LEFT JOIN cogdb.privacy_budgets b ON b.tenant_id = d.tenant) t
$$;

REVOKE ALL ON FUNCTION cogdb.privacy_budget() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.privacy_budget() TO cogdb_app;
COMMENT ON FUNCTION cogdb.privacy_budget() IS
    'The context tenant''s privacy budget (epsilon total, spent, left); spent counts charges a rollback did not undo.';
-- <<< sql/functions/federated/privacy_budget.sql

-- >>> sql/functions/federated/set_privacy_budget.sql
-- Sets a tenant's privacy budget total (epsilon, 0 to 1000) and returns {tenant_id,
-- epsilon_total, epsilon_spent}. Spent is never reset: it lives in the tenant's spend
-- sequence (cogdb.privacy_spent), which nothing here moves; a total below it is refused
-- (CGV01 naming epsilon_total), as privacy loss cannot be undone; raising the total is how
-- an administrator grants more. The total itself is transactional (the budget row). The row
-- is locked before the spend is read, as charge_privacy_budget does, so a charge cannot slip
-- between the check and the new total. Definer for cogdb_admin; acts in the tenant's
-- context (enter_tenant: the budgets are fenced).
CREATE OR REPLACE FUNCTION cogdb.set_privacy_budget(tenant_id text, epsilon_total numeric)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_saved text[];
    v_row cogdb.privacy_budgets;
    v_spent numeric;
BEGIN
    IF epsilon_total IS NULL OR epsilon_total NOT BETWEEN 0 AND 1000 THEN
        RAISE EXCEPTION 'epsilon_total must be between 0 and 1000, got %',
                        coalesce(epsilon_total::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'epsilon_total',
                  HINT = 'The total privacy loss the tenant accepts over all federated queries; '
                         '1 to 10 is usual.';
    END IF;
    v_saved := cogdb.enter_tenant(v_tenant);
    PERFORM FROM cogdb.privacy_budgets b WHERE b.tenant_id = v_tenant FOR UPDATE;
    v_spent := cogdb.privacy_spent(v_tenant);
    IF v_spent > epsilon_total THEN
        RAISE EXCEPTION 'epsilon_total % is below what the tenant has spent (%)', epsilon_total, v_spent
            USING ERRCODE = 'CGV01', COLUMN = 'epsilon_total',
                  HINT = 'Spent privacy cannot be given back; set a total at least as large as '
                         'epsilon_spent (cogdb federated budget).';
    END IF;
    INSERT INTO cogdb.privacy_budgets AS b (tenant_id, epsilon_total, epsilon_spent)
    VALUES (v_tenant, epsilon_total, v_spent)
    ON CONFLICT ON CONSTRAINT privacy_budgets_pkey DO UPDATE SET epsilon_total = excluded.epsilon_total,
                                                                 epsilon_spent = excluded.epsilon_spent,
                                                                 updated_at = now()
    RETURNING * INTO v_row;
    PERFORM cogdb.restore_context(v_saved);
    RETURN jsonb_build_object('tenant_id', v_row.tenant_id, 'epsilon_total', v_row.epsilon_total,
                              'epsilon_spent', v_row.epsilon_spent);
END
$$;

REVOKE ALL ON FUNCTION cogdb.set_privacy_budget(text, numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.set_privacy_budget(text, numeric) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.set_privacy_budget(text, numeric) IS
    'Sets a tenant''s privacy budget total (never below what it has spent); returns the budget.';
-- <<< sql/functions/federated/set_privacy_budget.sql

-- >>> step 10_privacy_spend_sequences.sql
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
        v_name := 'privacy_spent_' || replace(v_tenant::text, '-', '');
        EXECUTE format('CREATE SEQUENCE IF NOT EXISTS cogdb.%I AS bigint MINVALUE 0 START 0 NO CYCLE',
                       v_name);
        EXECUTE format('REVOKE ALL ON SEQUENCE cogdb.%I FROM PUBLIC', v_name);
        EXECUTE format('COMMENT ON SEQUENCE cogdb.%I IS %L', v_name,
                       'Privacy spend of tenant ' || v_tenant || ' in micro-epsilon; advanced by '
                       || 'cogdb.charge_privacy_budget, never rolled back.');
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
-- <<< step 10_privacy_spend_sequences.sql

RESET ROLE;
