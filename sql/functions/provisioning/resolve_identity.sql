-- Maps an authenticated identity (provider + external id) to its (tenant_id, user_id), or
-- no row. Usable before any context exists, which is why it is a definer function over the
-- owner-only identities directory; it reveals one mapping per exact key and nothing else.
CREATE OR REPLACE FUNCTION cogdb.resolve_identity(auth_provider text, external_id text)
    RETURNS TABLE (tenant_id uuid, user_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT i.tenant_id, i.user_id FROM cogdb.identities i
     WHERE i.auth_provider = resolve_identity.auth_provider
       AND i.external_id = resolve_identity.external_id
$$;

REVOKE ALL ON FUNCTION cogdb.resolve_identity(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.resolve_identity(text, text) TO cogdb_app, cogdb_admin;
COMMENT ON FUNCTION cogdb.resolve_identity(text, text) IS
    'Maps an authenticated identity (provider + external id) to its (tenant_id, user_id), or no row.';
