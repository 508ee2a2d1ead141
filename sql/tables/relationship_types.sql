-- Relationship types a tenant registered beyond the five built in (led_to, relates_to,
-- depends_on, produces, belongs_to: cogdb.builtin_relationship_types()). An exclusive type
-- holds at most one current target per source node (works_at, reports_to): recording a new
-- target supersedes the old one (cogdb.relate). Types are never removed: relationships use
-- them.
CREATE TABLE cogdb.relationship_types (
    tenant_id   uuid NOT NULL DEFAULT cogdb.current_tenant_id()
                REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    description text CHECK (length(description) <= 1000),
    exclusive   boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);
ALTER TABLE cogdb.relationship_types ALTER COLUMN name SET STATISTICS 0;
-- No statistics on tenant_id: EXPLAIN (any login with SELECT) would estimate another
-- tenant's row count from them (docs/trust-model.md, known limits).
ALTER TABLE cogdb.relationship_types ALTER COLUMN tenant_id SET STATISTICS 0;
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.name.
CREATE TRIGGER relationship_types_audit_inserts AFTER INSERT ON cogdb.relationship_types
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.name');
CREATE TRIGGER relationship_types_audit_updates AFTER UPDATE ON cogdb.relationship_types
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.name');
CREATE TRIGGER relationship_types_audit_deletes AFTER DELETE ON cogdb.relationship_types
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.name');
ALTER TABLE cogdb.relationship_types ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.relationship_types FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON cogdb.relationship_types TO cogdb_app;
COMMENT ON TABLE cogdb.relationship_types IS
    'Relationship types a tenant registered beyond the five built in, and whether each is exclusive. Fenced by tenant (RLS).';
