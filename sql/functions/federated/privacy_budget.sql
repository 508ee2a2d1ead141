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
