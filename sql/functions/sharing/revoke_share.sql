-- The granting tenant's admin revokes a grant: the grant and the grantee's copy get
-- revoked_at (kept, audited), and the grantee's next statement no longer sees what it
-- covered (live_grants reads the copy at each statement). True if the grant was live-or-
-- expired and unrevoked; false if already revoked; CGN01 for an id tenant_id never granted.
-- Definer for cogdb_admin, like grant_share.
CREATE OR REPLACE FUNCTION cogdb.revoke_share(tenant_id text, grant_id text)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_id uuid := cogdb.parse_uuid(grant_id, 'grant_id');
    v_grantee uuid;
    v_revoked timestamptz;
    v_saved text[];
BEGIN
    v_saved := cogdb.enter_tenant(v_tenant);
    SELECT g.grantee_id, g.revoked_at INTO v_grantee, v_revoked
      FROM cogdb.share_grants g WHERE g.tenant_id = v_tenant AND g.id = v_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'tenant % has no grant %', v_tenant, coalesce(v_id::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'grant_id',
                  HINT = 'List the tenant''s grants with cogdb.list_shares(tenant_id).';
    END IF;
    IF v_revoked IS NOT NULL THEN
        PERFORM cogdb.restore_context(v_saved);
        RETURN false;
    END IF;
    UPDATE cogdb.share_grants g SET revoked_at = now(), revoked_by = session_user
     WHERE g.tenant_id = v_tenant AND g.id = v_id;
    PERFORM cogdb.restore_context(v_saved);
    v_saved := cogdb.enter_tenant(v_grantee);
    UPDATE cogdb.share_receipts r SET revoked_at = now()
     WHERE r.tenant_id = v_grantee AND r.id = v_id;
    PERFORM cogdb.restore_context(v_saved);
    RETURN true;
END
$$;

REVOKE ALL ON FUNCTION cogdb.revoke_share(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.revoke_share(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.revoke_share(text, text) IS
    'Revokes a tenant''s read grant (kept, with revoked_at); the grantee''s next statement no longer sees what it covered. False if already revoked.';
