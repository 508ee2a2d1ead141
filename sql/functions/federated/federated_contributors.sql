-- The tenants whose data a federated session's aggregates read, in id order (the order the
-- budget charge locks them in): active participants (not withdrawn) still at isolation_level
-- 'federated'. Owner-only: the ids never leave the definer functions.
CREATE OR REPLACE FUNCTION cogdb.federated_contributors(session_id uuid) RETURNS uuid[]
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(p.tenant_id ORDER BY p.tenant_id), '{}')
      FROM cogdb.federated_participants p
      JOIN cogdb.tenants t ON t.id = p.tenant_id AND t.isolation_level = 'federated'
     WHERE p.session_id = federated_contributors.session_id AND p.withdrawn_at IS NULL
$$;

REVOKE ALL ON FUNCTION cogdb.federated_contributors(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.federated_contributors(uuid) IS
    'The active, still-federated participants of a federated session, in id order; owner-only.';
