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
