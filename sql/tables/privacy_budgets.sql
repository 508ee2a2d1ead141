-- Each tenant's differential-privacy budget for federated insights: epsilon_total (set by an
-- admin, cogdb.set_privacy_budget; the deployment's federated.epsilon_budget when the tenant
-- first joins a session) and epsilon_spent, which every noisy aggregate over the tenant's
-- data raises by its epsilon (cogdb.charge_privacy_budget). Since revision 0020 the spend
-- that counts is the tenant's spend sequence (cogdb.privacy_spent), which a rollback does not
-- undo; epsilon_spent is its audited, transactional copy, behind it after a rolled-back
-- charge. The CHECK: the copy never exceeds total. Fenced by tenant (RLS); the app reads its
-- own row.
CREATE TABLE cogdb.privacy_budgets (
    tenant_id     uuid PRIMARY KEY DEFAULT cogdb.current_tenant_id()
                  REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    epsilon_total numeric NOT NULL CHECK (epsilon_total >= 0 AND epsilon_total <= 1000),
    epsilon_spent numeric NOT NULL DEFAULT 0,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT privacy_budgets_within_total
        CHECK (epsilon_spent >= 0 AND epsilon_spent <= epsilon_total)
);
ALTER TABLE cogdb.privacy_budgets ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.privacy_budgets FORCE ROW LEVEL SECURITY;
-- The app may read its tenant's budget; only the federated definer functions change it.
GRANT SELECT ON cogdb.privacy_budgets TO cogdb_app;
COMMENT ON TABLE cogdb.privacy_budgets IS
    'Each tenant''s differential-privacy budget (epsilon total and spent) for federated insights. Fenced by tenant (RLS).';
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.tenant_id::text.
CREATE TRIGGER privacy_budgets_audit_inserts AFTER INSERT ON cogdb.privacy_budgets
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.tenant_id::text');
CREATE TRIGGER privacy_budgets_audit_updates AFTER UPDATE ON cogdb.privacy_budgets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.tenant_id::text');
CREATE TRIGGER privacy_budgets_audit_deletes AFTER DELETE ON cogdb.privacy_budgets
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.tenant_id::text');
