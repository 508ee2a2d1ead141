-- Places a legal hold on a tenant (user_id NULL) or one of its users, with the reason, and
-- returns the tenant's policies and holds. While it holds, cogdb.purge_retention removes or
-- anonymises nothing of the tenant / nothing the user owns. Placing it again updates the
-- reason. Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.place_legal_hold(tenant_id text, user_id text DEFAULT NULL,
                                                  reason text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_user uuid := cogdb.parse_uuid(user_id, 'user_id');
    v_saved text[];
BEGIN
    IF reason IS NULL OR btrim(reason) = '' OR length(reason) > 1000 THEN
        RAISE EXCEPTION 'reason must be 1 to 1000 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'reason',
                  HINT = 'Say why the data is held, e.g. the case or request reference.';
    END IF;
    v_saved := cogdb.enter_tenant(v_tenant);
    IF v_user IS NOT NULL AND NOT EXISTS (SELECT FROM cogdb.users u
                                           WHERE u.tenant_id = v_tenant AND u.id = v_user) THEN
        RAISE EXCEPTION 'no user % in tenant %', v_user, v_tenant
            USING ERRCODE = 'CGN01', COLUMN = 'user_id',
                  HINT = 'List users with `cogdb user list --tenant <tenant>`.';
    END IF;
    INSERT INTO cogdb.retention_holds AS h (tenant_id, user_id, reason)
    VALUES (v_tenant, v_user, btrim(reason))
    ON CONFLICT ON CONSTRAINT retention_holds_tenant_user_key DO UPDATE
       SET reason = EXCLUDED.reason;
    PERFORM cogdb.restore_context(v_saved);
    RETURN cogdb.list_retention(v_tenant::text);
END
$$;

REVOKE ALL ON FUNCTION cogdb.place_legal_hold(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.place_legal_hold(text, text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.place_legal_hold(text, text, text) IS
    'Places a legal hold on a tenant (user_id NULL) or one of its users: the retention purge skips what it holds.';
