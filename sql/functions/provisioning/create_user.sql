-- Creates a user in a tenant and returns the user's id; idempotent on (tenant, email).
-- With auth_provider and external_id it also records the identity that resolve_identity()
-- maps back to (tenant, user); an identity already bound to another user conflicts.
-- Definer, for cogdb_admin. FORCE RLS fences the owner too, so the function sets the target
-- tenant as its own context and restores the caller's before returning.
CREATE OR REPLACE FUNCTION cogdb.create_user(tenant_id text, email text,
                                             auth_provider text DEFAULT NULL,
                                             external_id text DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_caller text[];  -- the caller's context, put back before returning
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_email text := lower(btrim(email));
    v_user uuid;
    v_bound uuid;
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'Create the tenant first with cogdb.create_tenant().';
    END IF;
    IF v_email IS NULL OR v_email !~ '^[^@\s]+@[^@\s]+$' OR length(v_email) > 320 THEN
        RAISE EXCEPTION 'email must look like name@domain, got %', coalesce(quote_literal(left(email, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'email',
                  HINT = 'Pass the user''s email address, e.g. ann@example.com.';
    END IF;
    IF (auth_provider IS NULL) <> (external_id IS NULL)
       OR length(auth_provider) NOT BETWEEN 1 AND 64 OR length(external_id) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'auth_provider (1-64 chars) and external_id (1-255 chars) go together'
            USING ERRCODE = 'CGV01', COLUMN = 'external_id',
                  HINT = 'Pass both auth_provider and external_id, or neither.';
    END IF;
    v_caller := cogdb.enter_tenant(v_tenant);

    INSERT INTO cogdb.users AS u (tenant_id, email) VALUES (v_tenant, v_email)
    ON CONFLICT ON CONSTRAINT users_tenant_id_email_key DO NOTHING
    RETURNING u.id INTO v_user;
    IF v_user IS NULL THEN
        SELECT u.id INTO v_user FROM cogdb.users u WHERE u.email = v_email;
    END IF;

    IF auth_provider IS NOT NULL THEN
        INSERT INTO cogdb.identities AS i (auth_provider, external_id, tenant_id, user_id)
        VALUES (auth_provider, external_id, v_tenant, v_user)
        ON CONFLICT ON CONSTRAINT identities_pkey DO NOTHING;
        SELECT i.user_id INTO v_bound FROM cogdb.identities i
         WHERE i.auth_provider = create_user.auth_provider AND i.external_id = create_user.external_id;
        IF v_bound IS DISTINCT FROM v_user THEN
            RAISE EXCEPTION 'identity %/% already belongs to another user', auth_provider, external_id
                USING ERRCODE = 'CGC01', COLUMN = 'external_id',
                      HINT = 'Find its owner with cogdb.resolve_identity(provider, external_id).';
        END IF;
    END IF;
    PERFORM cogdb.restore_context(v_caller);
    RETURN v_user;
END
$$;

REVOKE ALL ON FUNCTION cogdb.create_user(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.create_user(text, text, text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.create_user(text, text, text, text) IS
    'Creates a user in a tenant and returns the user''s id.';
