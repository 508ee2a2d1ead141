-- Users of a tenant. Deleting one deletes their private memories, entities and
-- relationships first (purge_private_memories, purge_private_knowledge) and clears the owner
-- of their tenant-visible ones (foreign keys, SET NULL on owner_user_id only).
CREATE TABLE cogdb.users (
    tenant_id  uuid NOT NULL DEFAULT cogdb.current_tenant_id()
               REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    email      text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 320
                                    AND email = lower(email)),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT users_tenant_id_email_key UNIQUE (tenant_id, email)
);
-- No value statistics: the planner's estimates are visible through EXPLAIN to every login.
ALTER TABLE cogdb.users ALTER COLUMN email SET STATISTICS 0;
CREATE TRIGGER users_purge_private_knowledge BEFORE DELETE ON cogdb.users
    FOR EACH ROW EXECUTE FUNCTION cogdb.purge_private_knowledge();
CREATE TRIGGER users_purge_private_memories BEFORE DELETE ON cogdb.users
    FOR EACH ROW EXECUTE FUNCTION cogdb.purge_private_memories();
-- No statistics on tenant_id: EXPLAIN (any login with SELECT) would estimate another
-- tenant's row count from them (docs/trust-model.md, known limits).
ALTER TABLE cogdb.users ALTER COLUMN tenant_id SET STATISTICS 0;
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER users_audit_inserts AFTER INSERT ON cogdb.users
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER users_audit_updates AFTER UPDATE ON cogdb.users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER users_audit_deletes AFTER DELETE ON cogdb.users
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
ALTER TABLE cogdb.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.users FORCE ROW LEVEL SECURITY;
GRANT SELECT ON cogdb.users TO cogdb_app;
COMMENT ON TABLE cogdb.users IS
    'Users of a tenant; deleting one deletes their private memories, entities and relationships and clears the owner of their shared ones.';
