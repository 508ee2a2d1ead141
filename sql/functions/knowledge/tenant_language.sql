-- The text search configuration of a tenant: its setting search.language (the name of a
-- configuration in pg_ts_config, set by an admin with set_tenant_setting), else english. Read when text is indexed
-- (index_text) and when a query is parsed (text_query), so both use the same one.
CREATE OR REPLACE FUNCTION cogdb.tenant_language(tenant_id uuid) RETURNS regconfig
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT c.oid::regconfig
                       FROM cogdb.tenants t
                       JOIN pg_ts_config c ON c.cfgname = t.settings #>> '{search,language}'
                      WHERE t.id = tenant_language.tenant_id
                      ORDER BY c.cfgnamespace <> 'pg_catalog'::regnamespace, c.oid
                      LIMIT 1),
                    'pg_catalog.english'::regconfig)
$$;

REVOKE ALL ON FUNCTION cogdb.tenant_language(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.tenant_language(uuid) TO cogdb_app;
COMMENT ON FUNCTION cogdb.tenant_language(uuid) IS
    'The text search configuration of a tenant (setting search.language, default english).';
