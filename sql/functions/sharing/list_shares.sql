-- A tenant's grants, given (direction 'given': it is source_tenant_id) and received
-- ('received': it is grantee_id), newest first, revoked and expired ones included (`live` says which still
-- apply; entity criteria last, revision 0022). Definer for cogdb_admin: it reads each side inside its own tenant (enter_tenant).
CREATE OR REPLACE FUNCTION cogdb.list_shares(tenant_id text)
    RETURNS TABLE (direction text, id uuid, source_tenant_id uuid, grantee_id uuid,
                   context_types text[], tags text[], memory_ids text[],
                   expires_at timestamptz, created_at timestamptz, revoked_at timestamptz,
                   live boolean, entity_types text[], entity_ids text[])
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := cogdb.known_tenant(list_shares.tenant_id);
    v_saved text[] := cogdb.enter_tenant(v_tenant);
BEGIN
    RETURN QUERY
    SELECT x.* FROM (
        SELECT 'given'::text, g.id, g.tenant_id, g.grantee_id, g.context_types, g.tags,
               g.memory_ids, g.expires_at, g.created_at, g.revoked_at,
               g.revoked_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > now()),
               g.entity_types, g.entity_ids
          FROM cogdb.share_grants g WHERE g.tenant_id = v_tenant
        UNION ALL
        SELECT 'received'::text, r.id, r.source_tenant_id, r.tenant_id, r.context_types, r.tags,
               r.memory_ids, r.expires_at, r.created_at, r.revoked_at,
               r.revoked_at IS NULL AND (r.expires_at IS NULL OR r.expires_at > now()),
               r.entity_types, r.entity_ids
          FROM cogdb.share_receipts r WHERE r.tenant_id = v_tenant) x
     ORDER BY x.created_at DESC, x.id;
    PERFORM cogdb.restore_context(v_saved);
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_shares(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_shares(text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.list_shares(text) IS
    'A tenant''s read grants, given and received, with whether each is still live.';
