-- How many rows of a tenant still name a user, per table and column of cogdb.user_columns()
-- (users.id included): after cogdb.erase_user every row with kept = false is zero, which is
-- the proof that nothing but the audit trail references the user. kept = true rows are the
-- audit trail's (the user's uuid in append-only records: a pseudonym nothing links to the
-- person once the users row and identities are gone; docs/governance.md).
-- Counts in the user's own context (enter_tenant): FORCE RLS fences the owner too, and every
-- row that can name the user is one the user could see (their own, the tenant's, and shared
-- entries of sessions they see); the owner-only tables (identities, memory_accesses,
-- text_index, audit) are the owner's to read. Each count names the tenant as a constant
-- (docs/conventions.md rule 3). Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.user_references(tenant_id text, user_id text)
    RETURNS TABLE (table_name text, column_name text, kept boolean, refs bigint)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_user uuid := cogdb.gdpr_user(user_id);
    v_saved text[];
    v_col record;
BEGIN
    v_saved := cogdb.enter_tenant(v_tenant, v_user);
    FOR v_col IN SELECT * FROM cogdb.user_columns() LOOP
        table_name := v_col.table_name;
        column_name := v_col.column_name;
        kept := v_col.kept;
        EXECUTE format('SELECT count(*) FROM cogdb.%I t WHERE t.tenant_id = %L AND t.%I = %L',
                       v_col.table_name, v_tenant, v_col.column_name, v_user)
           INTO refs;
        RETURN NEXT;
    END LOOP;
    PERFORM cogdb.restore_context(v_saved);
END
$$;

REVOKE ALL ON FUNCTION cogdb.user_references(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.user_references(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.user_references(text, text) IS
    'Rows of a tenant that still name a user, per table and column; after erase_user all but the audit trail''s (kept) are zero.';
