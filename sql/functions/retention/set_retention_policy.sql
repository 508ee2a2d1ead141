-- Sets (creates or replaces) a tenant's retention policy for a context type and source ('*'
-- for any) and returns the tenant's policies and holds (list_retention). max_age (> 0) and
-- max_count (>= 1) may each be NULL (no such limit); a policy with neither keeps its
-- memories against a wider one. action: delete or anonymise (what the purge does). Takes
-- effect at once for reads (memories__retained); the purge applies it later. Definer for
-- cogdb_admin: the app may read its tenant's policies but never set them.
CREATE OR REPLACE FUNCTION cogdb.set_retention_policy(tenant_id text, context_type text DEFAULT '*',
                                                      source text DEFAULT '*',
                                                      max_age interval DEFAULT NULL,
                                                      max_count integer DEFAULT NULL,
                                                      action text DEFAULT 'delete')
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_saved text[];
BEGIN
    IF context_type IS NULL OR (context_type <> '*'
                                AND NOT context_type = ANY (cogdb.allowed_values('context_type'))) THEN
        RAISE EXCEPTION 'context_type must be * or one of %, got %',
                        array_to_string(cogdb.allowed_values('context_type'), ', '),
                        coalesce(quote_literal(left(context_type, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'context_type',
                  HINT = 'List the values with `cogdb vocabulary list context_type`; * matches any.';
    END IF;
    IF source IS NULL OR (source <> '*' AND NOT source = ANY (cogdb.allowed_values('source'))) THEN
        RAISE EXCEPTION 'source must be * or one of %, got %',
                        array_to_string(cogdb.allowed_values('source'), ', '),
                        coalesce(quote_literal(left(source, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'source',
                  HINT = 'List the values with `cogdb vocabulary list source`; * matches any.';
    END IF;
    IF max_age <= interval '0' THEN
        RAISE EXCEPTION 'max_age must be positive, got %', max_age
            USING ERRCODE = 'CGV01', COLUMN = 'max_age',
                  HINT = 'e.g. 90 days; leave it out for no age limit.';
    END IF;
    IF max_count < 1 THEN
        RAISE EXCEPTION 'max_count must be at least 1, got %', max_count
            USING ERRCODE = 'CGV01', COLUMN = 'max_count',
                  HINT = 'How many of the newest memories to keep; leave it out for no limit.';
    END IF;
    IF action IS NULL OR action NOT IN ('delete', 'anonymise') THEN
        RAISE EXCEPTION 'action must be delete or anonymise, got %',
                        coalesce(quote_literal(left(action, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'action',
                  HINT = 'anonymise keeps the row and blanks what identifies a person.';
    END IF;
    v_saved := cogdb.enter_tenant(v_tenant);
    INSERT INTO cogdb.retention_policies AS p
           (tenant_id, context_type, source, max_age, max_count, action, updated_at)
    VALUES (v_tenant, context_type, source, max_age, max_count, action, now())
    ON CONFLICT ON CONSTRAINT retention_policies_pkey DO UPDATE
       SET max_age = EXCLUDED.max_age, max_count = EXCLUDED.max_count,
           action = EXCLUDED.action, updated_at = EXCLUDED.updated_at;
    PERFORM cogdb.restore_context(v_saved);
    RETURN cogdb.list_retention(v_tenant::text);
END
$$;

REVOKE ALL ON FUNCTION cogdb.set_retention_policy(text, text, text, interval, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.set_retention_policy(text, text, text, interval, integer, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.set_retention_policy(text, text, text, interval, integer, text) IS
    'Sets a tenant''s retention policy for a context type and source (* for any): max_age, max_count, action (delete or anonymise); returns the tenant''s policies and holds.';
