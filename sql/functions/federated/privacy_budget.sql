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
