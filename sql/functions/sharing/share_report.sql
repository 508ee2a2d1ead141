-- The DBA's list of every live grant in the deployment (not revoked, not expired): who
-- shares with whom, what, since when, until when, granted by which login. Not findings:
-- policy_report stays about the deployment's safety, this lists the sharing it allows on
-- purpose. Definer for cogdb_admin and cogdb_auditor: FORCE RLS fences the owner too, so it
-- reads each sharing tenant's grants inside that tenant (enter_tenant), strict ones skipped.
CREATE OR REPLACE FUNCTION cogdb.share_report()
    RETURNS TABLE (id uuid, tenant_id uuid, tenant_name text, grantee_id uuid,
                   grantee_name text, context_types text[], tags text[], memory_ids text[],
                   expires_at timestamptz, created_at timestamptz, granted_by text,
                   entity_types text[], entity_ids text[])
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    t record;
    v_saved text[];
BEGIN
    FOR t IN SELECT x.id, x.name FROM cogdb.tenants x
              WHERE x.isolation_level <> 'strict' ORDER BY x.name, x.id LOOP
        v_saved := cogdb.enter_tenant(t.id);
        RETURN QUERY
        SELECT g.id, g.tenant_id, t.name, g.grantee_id,
               (SELECT e.name FROM cogdb.tenants e WHERE e.id = g.grantee_id),
               g.context_types, g.tags, g.memory_ids, g.expires_at, g.created_at, g.granted_by,
               g.entity_types, g.entity_ids
          FROM cogdb.share_grants g
         WHERE g.tenant_id = t.id AND g.revoked_at IS NULL
           AND (g.expires_at IS NULL OR g.expires_at > now())
         ORDER BY g.created_at, g.id;
        PERFORM cogdb.restore_context(v_saved);
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION cogdb.share_report() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.share_report() TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.share_report() IS
    'Every live read grant between tenants (who, to whom, what, until when, granted by): the DBA''s list of what sharing the deployment allows.';
