-- A tenant's retention policies and legal holds as {"policies": [...], "holds": [...]}, most
-- specific policy first. Definer for cogdb_admin (the tables are fenced; the owner reads them
-- inside the tenant's context).
CREATE OR REPLACE FUNCTION cogdb.list_retention(tenant_id text)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_saved text[];
    v_result jsonb;
BEGIN
    v_saved := cogdb.enter_tenant(v_tenant);
    SELECT jsonb_build_object(
               'policies', coalesce((
                   SELECT jsonb_agg(jsonb_build_object(
                              'context_type', p.context_type, 'source', p.source,
                              'max_age', p.max_age::text, 'max_count', p.max_count,
                              'action', p.action, 'updated_at', p.updated_at)
                            ORDER BY p.context_type = '*', p.context_type, p.source = '*', p.source)
                     FROM cogdb.retention_policies p WHERE p.tenant_id = v_tenant), '[]'),
               'holds', coalesce((
                   SELECT jsonb_agg(jsonb_build_object(
                              'user_id', h.user_id, 'reason', h.reason,
                              'placed_at', h.placed_at, 'placed_by', h.placed_by)
                            ORDER BY h.user_id NULLS FIRST)
                     FROM cogdb.retention_holds h WHERE h.tenant_id = v_tenant), '[]'))
      INTO v_result;
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_result;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_retention(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_retention(text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.list_retention(text) IS
    'A tenant''s retention policies and legal holds as {"policies": [...], "holds": [...]}.';
