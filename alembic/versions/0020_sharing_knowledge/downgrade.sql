-- cogdb revision 0020 (sharing_knowledge): downgrade, written by `python -m tools.freeze 0020` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> step 10_privacy_spend_sequences.down.sql
-- Back to the spend in the budget rows only: the trigger and every spend sequence go. The
-- rows' epsilon_spent is first brought up to the sequences, so a downgrade forgets no charge.
DROP TRIGGER IF EXISTS tenants_privacy_sequence ON cogdb.tenants;
DO $$
DECLARE
    v_tenant uuid;
    v_seq regclass;
BEGIN
    FOR v_tenant IN SELECT t.id FROM cogdb.tenants t ORDER BY t.id LOOP
        v_seq := to_regclass('cogdb.privacy_spent_' || replace(v_tenant::text, '-', ''));
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
-- <<< step 10_privacy_spend_sequences.down.sql

REVOKE ALL ON FUNCTION cogdb.set_privacy_budget(text, numeric) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.set_privacy_budget(text, numeric) IS NULL;
-- sql/functions/federated/set_privacy_budget.sql as frozen in revision 0016
-- Sets a tenant's privacy budget total (epsilon, 0 to 1000) and returns {tenant_id,
-- epsilon_total, epsilon_spent}. Spent is never reset: a total below what the tenant has
-- spent already is refused (CGV01 naming epsilon_total), as privacy loss cannot be undone;
-- raising the total is how an administrator grants more. Definer for cogdb_admin; acts in the
-- tenant's context (enter_tenant: the budgets are fenced).
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
BEGIN
    IF epsilon_total IS NULL OR epsilon_total NOT BETWEEN 0 AND 1000 THEN
        RAISE EXCEPTION 'epsilon_total must be between 0 and 1000, got %',
                        coalesce(epsilon_total::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'epsilon_total',
                  HINT = 'The total privacy loss the tenant accepts over all federated queries; '
                         '1 to 10 is usual.';
    END IF;
    v_saved := cogdb.enter_tenant(v_tenant);
    INSERT INTO cogdb.privacy_budgets AS b (tenant_id, epsilon_total)
    VALUES (v_tenant, epsilon_total)
    ON CONFLICT ON CONSTRAINT privacy_budgets_pkey DO UPDATE SET epsilon_total = excluded.epsilon_total,
                                                                 updated_at = now()
     WHERE b.epsilon_spent <= excluded.epsilon_total
    RETURNING * INTO v_row;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'epsilon_total % is below what the tenant has spent', epsilon_total
            USING ERRCODE = 'CGV01', COLUMN = 'epsilon_total',
                  HINT = 'Spent privacy cannot be given back; set a total at least as large as '
                         'epsilon_spent (cogdb federated budget).';
    END IF;
    PERFORM cogdb.restore_context(v_saved);
    RETURN jsonb_build_object('tenant_id', v_row.tenant_id, 'epsilon_total', v_row.epsilon_total,
                              'epsilon_spent', v_row.epsilon_spent);
END
$$;

REVOKE ALL ON FUNCTION cogdb.set_privacy_budget(text, numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.set_privacy_budget(text, numeric) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.set_privacy_budget(text, numeric) IS
    'Sets a tenant''s privacy budget total (never below what it has spent); returns the budget.';

REVOKE ALL ON FUNCTION cogdb.privacy_budget() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.privacy_budget() IS NULL;
-- sql/functions/federated/privacy_budget.sql as frozen in revision 0016
-- The context tenant's privacy budget: epsilon_total, epsilon_spent and epsilon_left; before
-- its first session, the deployment's federated.epsilon_budget with nothing spent. Runs as
-- its caller: the fence shows the app its own row only.
CREATE OR REPLACE FUNCTION cogdb.privacy_budget()
    RETURNS TABLE (epsilon_total numeric, epsilon_spent numeric, epsilon_left numeric)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(b.epsilon_total, d.total), coalesce(b.epsilon_spent, 0),
           coalesce(b.epsilon_total - b.epsilon_spent, d.total)
      FROM (SELECT coalesce((SELECT (s.value #>> '{}')::numeric FROM cogdb.settings s
                              WHERE s.key = 'federated.epsilon_budget'), 1) AS total,
                   cogdb.require_tenant('reading the privacy budget') AS tenant) d
      LEFT JOIN cogdb.privacy_budgets b ON b.tenant_id = d.tenant
$$;

REVOKE ALL ON FUNCTION cogdb.privacy_budget() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.privacy_budget() TO cogdb_app;
COMMENT ON FUNCTION cogdb.privacy_budget() IS
    'The context tenant''s privacy budget (epsilon total, spent, left).';

REVOKE ALL ON FUNCTION cogdb.charge_privacy_budget(uuid[], numeric, uuid) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.charge_privacy_budget(uuid[], numeric, uuid) IS NULL;
-- sql/functions/federated/charge_privacy_budget.sql as frozen in revision 0016
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

-- sql/functions/federated/tenants_privacy_sequence.sql: new in this revision
DROP FUNCTION cogdb.tenants_privacy_sequence();

-- sql/functions/federated/privacy_spent.sql: new in this revision
DROP FUNCTION cogdb.privacy_spent(uuid);

-- sql/functions/federated/privacy_spend_sequence.sql: new in this revision
DROP FUNCTION cogdb.privacy_spend_sequence(uuid);

RESET ROLE;
