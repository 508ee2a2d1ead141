-- Changes one setting of a tenant and returns the tenant's effective settings. Only the
-- listed keys are settable, each with its JSON type; a NULL value removes the key, so the
-- mode's default applies again. default_model (a registered model's name, or NULL for the
-- deployment's default) sets the tenant's default embedding model. search.language (a text
-- search configuration such as english, german or simple) is the language of the tenant's
-- full-text index and queries; changing it indexes the tenant's text again (reindex_text).
-- gdpr.erase_shared (anonymise, the default, or delete) is what cogdb.erase_user does to the
-- tenant-visible content an erased user authored.
-- Definer for cogdb_admin: the app role has no UPDATE on cogdb.tenants and so can never
-- change its own tenant's settings.
CREATE OR REPLACE FUNCTION cogdb.set_tenant_setting(tenant_id text, key text, value jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_type text := CASE key WHEN 'features.chat_import' THEN 'boolean'
                            WHEN 'default_model' THEN 'string'
                            WHEN 'search.language' THEN 'string'
                            WHEN 'gdpr.erase_shared' THEN 'string' END;
    v_path text[] := string_to_array(key, '.');
    v_row cogdb.tenants;
BEGIN
    IF v_type IS NULL THEN
        RAISE EXCEPTION 'unknown tenant setting %; settable: features.chat_import, default_model, search.language, gdpr.erase_shared',
                        coalesce(quote_literal(left(key, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'key',
                  HINT = 'e.g. cogdb tenant set <tenant> features.chat_import=false';
    END IF;
    IF value IS NOT NULL AND jsonb_typeof(value) IS DISTINCT FROM v_type THEN
        RAISE EXCEPTION '% must be a %, got %', key, v_type, left(value::text, 60)
            USING ERRCODE = 'CGV01', COLUMN = 'value',
                  HINT = 'Pass a JSON ' || v_type || ', or NULL for the default.';
    END IF;
    IF key = 'default_model' AND value IS NOT NULL AND NOT EXISTS (
           SELECT FROM cogdb.embedding_models m WHERE m.name = value #>> '{}') THEN
        RAISE EXCEPTION 'unknown embedding model %', quote_literal(value #>> '{}')
            USING ERRCODE = 'CGV02', COLUMN = 'value',
                  HINT = 'List models with `cogdb model list`; register one with `cogdb model register`.';
    END IF;
    IF key = 'gdpr.erase_shared' AND value IS NOT NULL
       AND value #>> '{}' NOT IN ('anonymise', 'delete') THEN
        RAISE EXCEPTION 'gdpr.erase_shared must be anonymise or delete, got %', left(value::text, 60)
            USING ERRCODE = 'CGV01', COLUMN = 'value',
                  HINT = 'anonymise (the default) keeps an erased user''s tenant-visible content anonymised; delete removes it.';
    END IF;
    IF key = 'search.language' AND value IS NOT NULL
       AND NOT EXISTS (SELECT FROM pg_ts_config c WHERE c.cfgname = value #>> '{}') THEN
        RAISE EXCEPTION 'unknown text search configuration %', quote_literal(left(value #>> '{}', 60))
            USING ERRCODE = 'CGV01', COLUMN = 'value',
                  HINT = 'List them with: SELECT cfgname FROM pg_ts_config; e.g. english, german, simple.';
    END IF;
    UPDATE cogdb.tenants t
       SET default_model = CASE WHEN key = 'default_model' THEN value #>> '{}'
                                ELSE t.default_model END,
           settings = CASE WHEN key = 'default_model' THEN t.settings
                           WHEN value IS NULL THEN t.settings #- v_path
                           ELSE jsonb_set(jsonb_set(t.settings, v_path[1:1],
                                                    coalesce(t.settings -> v_path[1], '{}'), true),
                                          v_path, value, true) END
     WHERE t.id = v_tenant
    RETURNING * INTO v_row;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    IF key = 'search.language' THEN
        PERFORM cogdb.reindex_text(v_tenant);
    END IF;
    RETURN cogdb.effective_settings(v_row.mode, v_row.settings);
END
$$;

REVOKE ALL ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) IS
    'Changes one setting of a tenant and returns the tenant''s effective settings.';
