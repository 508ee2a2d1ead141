-- Creates a tenant and returns its id. With an external_id it is idempotent: the same
-- external_id, name and mode return the existing tenant; a different name or mode conflicts.
-- Definer (owned by cogdb_owner), executable by cogdb_admin only; the tenants registry is
-- readable to the owner through the tenants__registry_owner policy.
CREATE OR REPLACE FUNCTION cogdb.create_tenant(name text, mode text DEFAULT 'personal',
                                               external_id text DEFAULT NULL,
                                               isolation_level text DEFAULT 'strict',
                                               default_model text DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_id uuid;
    v_existing cogdb.tenants;
BEGIN
    IF coalesce(length(btrim(name)), 0) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'name must be 1-200 characters' USING ERRCODE = 'CGV01', COLUMN = 'name',
              HINT = 'Give the tenant a display name.';
    END IF;
    IF length(external_id) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'external_id must be 1-255 characters (or NULL)'
            USING ERRCODE = 'CGV01', COLUMN = 'external_id',
                  HINT = 'Your system''s id for the tenant; leave it out if there is none.';
    END IF;
    IF mode IS NULL OR mode NOT IN ('personal', 'enterprise') THEN
        RAISE EXCEPTION 'mode must be personal or enterprise, got %', coalesce(quote_literal(mode), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'mode',
                  HINT = 'personal: one person''s memory; enterprise: a team''s.';
    END IF;
    IF isolation_level IS NULL OR isolation_level NOT IN ('strict', 'shared', 'federated') THEN
        RAISE EXCEPTION 'isolation_level must be strict, shared or federated, got %',
                        coalesce(quote_literal(isolation_level), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'isolation_level',
                  HINT = 'Use strict unless the tenant shares memories with others.';
    END IF;
    IF default_model IS NOT NULL
       AND NOT EXISTS (SELECT FROM cogdb.embedding_models m WHERE m.name = default_model) THEN
        RAISE EXCEPTION 'unknown embedding model %', quote_literal(default_model)
            USING ERRCODE = 'CGV02', COLUMN = 'default_model',
                  HINT = 'Register it first with cogdb.register_model(name, dimensions).';
    END IF;

    INSERT INTO cogdb.tenants AS t (name, mode, external_id, isolation_level, default_model)
    VALUES (btrim(name), mode, external_id, isolation_level, default_model)
    ON CONFLICT ON CONSTRAINT tenants_external_id_key DO NOTHING
    RETURNING t.id INTO v_id;
    IF v_id IS NULL THEN
        SELECT * INTO v_existing FROM cogdb.tenants t WHERE t.external_id = create_tenant.external_id;
        IF v_existing.name IS DISTINCT FROM btrim(name) OR v_existing.mode IS DISTINCT FROM mode THEN
            RAISE EXCEPTION 'a tenant with external_id % already exists with another name or mode',
                            quote_literal(external_id)
                USING ERRCODE = 'CGC01', COLUMN = 'external_id',
                      HINT = 'Use another external_id, or the same name and mode to get its id.';
        END IF;
        v_id := v_existing.id;
    END IF;
    RETURN v_id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.create_tenant(text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.create_tenant(text, text, text, text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.create_tenant(text, text, text, text, text) IS
    'Creates a tenant and returns its id.';
