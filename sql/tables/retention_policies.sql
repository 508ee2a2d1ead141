-- A tenant's retention policies: how long memories of a context type and source live
-- (max_age, counted from created_at) and how many of the newest are kept (max_count), and
-- what the purge does to the rest (delete, or anonymise: keep the row, blank what identifies
-- a person; see cogdb.purge_retention). '*' matches any context type or source; a memory is
-- governed by its most specific policy: (type, source), then (type, '*'), then ('*', source),
-- then ('*', '*'). A policy with neither limit keeps its memories (an exception to a wider
-- policy). Over-age memories are invisible to the app at once (policy memories__retained,
-- which reads this table once per query through cogdb.retention_cutoffs); over-count ones
-- stay visible until the purge. Written by cogdb_admin's definer functions only.
CREATE TABLE cogdb.retention_policies (
    tenant_id    uuid NOT NULL DEFAULT cogdb.current_tenant_id()
                 REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    context_type text NOT NULL DEFAULT '*' CHECK (length(context_type) BETWEEN 1 AND 64),
    source       text NOT NULL DEFAULT '*' CHECK (length(source) BETWEEN 1 AND 64),
    max_age      interval CHECK (max_age > interval '0'),
    max_count    integer CHECK (max_count >= 1),
    action       text NOT NULL DEFAULT 'delete' CHECK (action IN ('delete', 'anonymise')),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, context_type, source)
);
ALTER TABLE cogdb.retention_policies ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.retention_policies FORCE ROW LEVEL SECURITY;
-- The app reads its own tenant's policies (memories__retained does, as the app); it never
-- writes them.
GRANT SELECT ON cogdb.retention_policies TO cogdb_app;
COMMENT ON TABLE cogdb.retention_policies IS
    'Per-tenant retention policies by context type and source: maximum age, maximum count, and the purge''s action (delete or anonymise). Fenced by tenant (RLS).';
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.context_type || '/' || r.source.
CREATE TRIGGER retention_policies_audit_inserts AFTER INSERT ON cogdb.retention_policies
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.context_type || ''/'' || r.source');
CREATE TRIGGER retention_policies_audit_updates AFTER UPDATE ON cogdb.retention_policies
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.context_type || ''/'' || r.source');
CREATE TRIGGER retention_policies_audit_deletes AFTER DELETE ON cogdb.retention_policies
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.context_type || ''/'' || r.source');
