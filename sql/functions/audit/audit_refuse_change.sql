-- Trigger (BEFORE UPDATE OR DELETE, row; BEFORE TRUNCATE, statement; on audit_records and
-- audit_seals): the audit trail is append-only for every role, the owner and superusers
-- included (no other role has any privilege on these tables to begin with). Refuses with
-- CGA04. Nothing is exempt, not even a tenant's deletion: its chain stays. A superuser can
-- still disable this trigger (or skip triggers with session_replication_role); what they then
-- change, cogdb.audit_verify reports.
CREATE OR REPLACE FUNCTION cogdb.audit_refuse_change() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % of % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'CGA04',
              HINT = 'Audit records and seals are never changed or deleted; record a '
                     'correction with cogdb.audit_note(action, details).';
END
$$;

REVOKE ALL ON FUNCTION cogdb.audit_refuse_change() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.audit_refuse_change() IS
    'Trigger on audit_records and audit_seals: refuses UPDATE, DELETE and TRUNCATE for every role (append-only).';
