-- Legal holds: while a tenant (user_id NULL) or one of its users is held, the purge
-- (cogdb.purge_retention) touches none of the tenant's memories, or none that the user
-- owns. A hold does not change what the app sees: over-age memories stay invisible, and
-- kept. Deleting a held user is refused (the foreign key) until the hold is released.
CREATE TABLE cogdb.retention_holds (
    tenant_id  uuid NOT NULL DEFAULT cogdb.current_tenant_id()
               REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    user_id    uuid,
    reason     text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
    placed_at  timestamptz NOT NULL DEFAULT now(),
    placed_by  text NOT NULL DEFAULT session_user,
    CONSTRAINT retention_holds_tenant_user_key UNIQUE NULLS NOT DISTINCT (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES cogdb.users (tenant_id, id)
);
ALTER TABLE cogdb.retention_holds ALTER COLUMN reason SET STATISTICS 0;
ALTER TABLE cogdb.retention_holds ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.retention_holds FORCE ROW LEVEL SECURITY;
-- The app may see that its tenant is held; it never places or releases a hold.
GRANT SELECT ON cogdb.retention_holds TO cogdb_app;
COMMENT ON TABLE cogdb.retention_holds IS
    'Legal holds on a tenant (user_id NULL) or a user: the retention purge skips what they hold. Fenced by tenant (RLS).';
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is coalesce(r.user_id::text, '*').
CREATE TRIGGER retention_holds_audit_inserts AFTER INSERT ON cogdb.retention_holds
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('coalesce(r.user_id::text, ''*'')');
CREATE TRIGGER retention_holds_audit_updates AFTER UPDATE ON cogdb.retention_holds
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('coalesce(r.user_id::text, ''*'')');
CREATE TRIGGER retention_holds_audit_deletes AFTER DELETE ON cogdb.retention_holds
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('coalesce(r.user_id::text, ''*'')');
