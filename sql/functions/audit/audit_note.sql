-- Appends a note to the context tenant's audit chain (at commit, in order with the
-- transaction's other records, like them: cogdb.audit_pend, cogdb.audit_flush): what other
-- layers record beside the row records, e.g. a purge's or an erasure's receipt
-- (`cogdb.audit_note('erase.user', jsonb_build_object('user', u, 'memories', 12))`), an
-- entity merge. `action`: a lower-case dotted name (e.g. 'retention.purge'), at most 64
-- characters; `details`: a JSON object of counts and ids, at most 16 kB — never content, the
-- trail keeps it forever. Needs a tenant context (CGA01): the owner's definer functions call
-- it inside the tenant they act on (enter_tenant). Definer, and granted to no other role: no
-- role writes the audit tables directly.
CREATE OR REPLACE FUNCTION cogdb.audit_note(action text, details jsonb DEFAULT '{}')
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.require_tenant('writing an audit note');
BEGIN
    IF action IS NULL OR length(action) > 64 OR action !~ '^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$' THEN
        RAISE EXCEPTION 'action must be a lower-case dotted name of at most 64 characters, got %',
                        coalesce(quote_literal(left(action, 80)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'action',
                  HINT = 'e.g. ''retention.purge'' or ''erase.user''.';
    END IF;
    IF details IS NULL OR jsonb_typeof(details) <> 'object' OR pg_column_size(details) > 16384 THEN
        RAISE EXCEPTION 'details must be a JSON object of at most 16 kB'
            USING ERRCODE = 'CGV01', COLUMN = 'details',
                  HINT = 'Counts and ids only, e.g. ''{"memories": 12}''; never content.';
    END IF;
    PERFORM cogdb.audit_pend(v_tenant, 'NOTE', NULL, action, 0, NULL, NULL, NULL, details);
END
$$;

REVOKE ALL ON FUNCTION cogdb.audit_note(text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.audit_note(text, jsonb) IS
    'Appends a note (action, details: counts and ids, never content) to the context tenant''s audit chain, e.g. a purge''s or an erasure''s receipt.';
