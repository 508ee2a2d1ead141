-- Puts back the context that enter_tenant() returned (tenant, user, transaction stamp).
-- Owner-only, like enter_tenant().
CREATE OR REPLACE FUNCTION cogdb.restore_context(saved text[]) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM set_config('app.tenant_id', saved[1], true);
    PERFORM set_config('app.user_id', saved[2], true);
    PERFORM set_config('app.context_xact', saved[3], true);
END
$$;

REVOKE ALL ON FUNCTION cogdb.restore_context(text[]) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.restore_context(text[]) IS
    'Puts back the context that enter_tenant() returned (tenant, user, transaction stamp).';
