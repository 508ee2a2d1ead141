-- Sets the tenant (and optionally the user) for the rest of the current transaction.
-- Call it first in every transaction. Refuses: superuser/BYPASSRLS roles and members of
-- cogdb_owner (RLS would be off or could be switched off), a second, different context in the
-- same transaction, an unknown tenant, and a user of another tenant. The settings are
-- transaction-local and stamped with the transaction, so they end with COMMIT/ROLLBACK.
-- The transaction also holds the tenant's gate (tenant_gate) in shared mode until it ends,
-- so it never overlaps `cogdb maintain` moving the tenant into its own partition.
CREATE OR REPLACE FUNCTION cogdb.set_context(tenant_id text, user_id text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_user uuid := cogdb.parse_uuid(user_id, 'user_id');
    v_old_tenant text := coalesce(cogdb.current_tenant_id()::text, '');
    v_old_user text := coalesce(cogdb.current_user_id()::text, '');
BEGIN
    -- Superusers and BYPASSRLS roles: row security is not active for them (a catalog
    -- lookup in C, where reading pg_roles was a query per call).
    IF NOT row_security_active('cogdb.memories'::regclass)
       OR pg_has_role(current_user, 'cogdb_owner', 'MEMBER') THEN
        RAISE EXCEPTION 'role % bypasses (or owns) row-level security; refusing to set a tenant context',
                        current_user
            USING ERRCODE = 'CGA03',
                  HINT = 'Connect as an app login (a member of cogdb_app only), not as a '
                         'superuser, BYPASSRLS role or member of cogdb_owner.';
    END IF;
    IF v_tenant IS NULL THEN
        RAISE EXCEPTION 'tenant_id is required' USING ERRCODE = 'CGV01', COLUMN = 'tenant_id',
              HINT = 'Call cogdb.set_context(''<tenant uuid>'', ''<user uuid or NULL>'').';
    END IF;
    IF v_old_tenant <> '' AND (v_old_tenant <> v_tenant::text
                               OR v_old_user <> coalesce(v_user::text, '')) THEN
        RAISE EXCEPTION 'this transaction already has a different tenant context'
            USING ERRCODE = 'CGA02',
                  HINT = 'Commit or roll back, then set the new context first thing in a new '
                         'transaction; contexts cannot be switched or nested.';
    END IF;
    -- The first statement of its transaction and not after BEGIN in the same message: an
    -- autocommit call, whose context ends with this very statement.
    IF statement_timestamp() = transaction_timestamp()
       AND current_query() !~* '^\s*(BEGIN|START\s+TRANSACTION)\M' THEN
        RAISE NOTICE 'cogdb: the tenant context ends with this statement (no transaction is open)'
            USING HINT = 'Run BEGIN first; the context lasts until COMMIT or ROLLBACK.';
    END IF;
    PERFORM pg_advisory_xact_lock_shared(cogdb.tenant_gate(v_tenant));
    PERFORM set_config('app.tenant_id', v_tenant::text, true);
    PERFORM set_config('app.user_id', coalesce(v_user::text, ''), true);
    PERFORM set_config('app.context_xact', cogdb.context_stamp(), true);
    -- Both lookups run under RLS with the new context: they see only this tenant's rows.
    IF NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', v_tenant
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'Create it with cogdb.create_tenant() (admin) or check the id.';
    END IF;
    IF v_user IS NOT NULL AND NOT EXISTS (SELECT FROM cogdb.users u WHERE u.id = v_user) THEN
        RAISE EXCEPTION 'user % does not belong to tenant %', v_user, v_tenant
            USING ERRCODE = 'CGA02', COLUMN = 'user_id',
                  HINT = 'Use the tenant the user was created in (see cogdb.resolve_identity).';
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.set_context(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.set_context(text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.set_context(text, text) IS
    'Sets the tenant (and optionally the user) for the rest of the current transaction.';
