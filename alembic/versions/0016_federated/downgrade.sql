-- cogdb revision 0016 (federated): downgrade, written by `python -m tools.freeze 0016` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

REVOKE ALL ON FUNCTION cogdb.policy_report_allowlist() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.policy_report_allowlist() IS NULL;
-- sql/functions/governance/policy_report_allowlist.sql as frozen in revision 0013
-- The tables of schema cogdb that the DBA report (policy_report) exempts, with the reason.
-- exempt = 'rls': a global registry without tenant data and without row-level security;
-- exempt = 'fence': row security enabled and forced, but no tenant fence (the table is not
-- per-tenant, or it is owner-only: RLS forced, one policy for cogdb_owner, no grants, read
-- only through definer functions that filter the tenant themselves; see docs/trust-model.md).
-- A table added later is on neither list, so the report flags it until it is fenced.
CREATE OR REPLACE FUNCTION cogdb.policy_report_allowlist()
    RETURNS TABLE (table_name text, exempt text, reason text)
    LANGUAGE sql IMMUTABLE SECURITY INVOKER
AS $$
    VALUES
      ('settings', 'rls', 'deployment-wide settings (search.max_k, default_model); no tenant data'),
      ('embedding_models', 'rls', 'admin-managed registry of embedding models, shared by all tenants'),
      ('vocabularies', 'rls', 'admin-managed allowed values of enumerated memory fields, shared by all tenants'),
      ('alembic_version', 'rls', 'Alembic''s bookkeeping (one revision id)'),
      ('tenants', 'fence', 'the tenant registry: each row is a tenant, the app reads its own row only (tenants__own_row); provisioning is definer'),
      ('identities', 'fence', 'owner-only: the global directory of logins (auth_provider, external_id), resolved before any context exists'),
      ('memory_counts', 'fence', 'owner-only: append-only tenant sizes that cogdb maintain reads across tenants'),
      ('text_index', 'fence', 'owner-only: the full-text index (a GIN index is unusable under an RLS condition); text_candidates filters the tenant itself'),
      ('tenant_stats', 'fence', 'owner-only: append-only per-tenant counters, read for one tenant by stats()/tenant_stats()'),
      ('memory_accesses', 'fence', 'owner-only: append-only access log folded into memories by cogdb maintain'),
      ('audit_heads', 'fence', 'owner-only: each tenant''s audit chain head, locked and advanced by audit_append, which names the tenant'),
      ('audit_pending', 'fence', 'owner-only: audit records of transactions in flight, chained at their commit by audit_flush')
$$;

REVOKE ALL ON FUNCTION cogdb.policy_report_allowlist() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.policy_report_allowlist() TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.policy_report_allowlist() IS
    'The tables of schema cogdb that the DBA report exempts from row security (rls) or from the tenant fence (fence), with the reason.';

-- sql/functions/federated/set_privacy_budget.sql: new in this revision
DROP FUNCTION cogdb.set_privacy_budget(text, numeric);

-- sql/functions/federated/privacy_budget.sql: new in this revision
DROP FUNCTION cogdb.privacy_budget();

-- sql/functions/federated/federated_average.sql: new in this revision
DROP FUNCTION cogdb.federated_average(text, text, numeric);

-- sql/functions/federated/federated_top_topics.sql: new in this revision
DROP FUNCTION cogdb.federated_top_topics(text, integer, numeric);

-- sql/functions/federated/federated_counts.sql: new in this revision
DROP FUNCTION cogdb.federated_counts(text, text, numeric);

-- sql/functions/federated/withdraw_federated_session.sql: new in this revision
DROP FUNCTION cogdb.withdraw_federated_session(text);

-- sql/functions/federated/open_federated_session.sql: new in this revision
DROP FUNCTION cogdb.open_federated_session(text, integer, integer, integer);

-- sql/functions/federated/join_federated_session.sql: new in this revision
DROP FUNCTION cogdb.join_federated_session(text);

-- sql/functions/federated/list_federated_sessions.sql: new in this revision
DROP FUNCTION cogdb.list_federated_sessions();

-- sql/functions/federated/charge_privacy_budget.sql: new in this revision
DROP FUNCTION cogdb.charge_privacy_budget(uuid[], numeric, uuid);

-- sql/functions/federated/federated_contributors.sql: new in this revision
DROP FUNCTION cogdb.federated_contributors(uuid);

-- sql/functions/federated/federated_member.sql: new in this revision
DROP FUNCTION cogdb.federated_member(text, uuid);

-- sql/functions/federated/federated_tenant.sql: new in this revision
DROP FUNCTION cogdb.federated_tenant(text);

-- sql/functions/federated/check_epsilon.sql: new in this revision
DROP FUNCTION cogdb.check_epsilon(numeric);

-- sql/functions/federated/is_retained.sql: new in this revision
DROP FUNCTION cogdb.is_retained(timestamptz, timestamptz, timestamptz, text, text, timestamptz, jsonb);

-- sql/functions/federated/laplace_noise.sql: new in this revision
DROP FUNCTION cogdb.laplace_noise(double precision);

-- sql/policies/privacy_budgets__inside_fence.sql: new in this revision
DROP POLICY privacy_budgets__inside_fence ON cogdb.privacy_budgets;

-- sql/policies/privacy_budgets__tenant_fence.sql: new in this revision
DROP POLICY privacy_budgets__tenant_fence ON cogdb.privacy_budgets;

-- sql/policies/federated_participants__registry_owner.sql: new in this revision
DROP POLICY federated_participants__registry_owner ON cogdb.federated_participants;

-- sql/policies/federated_sessions__registry_owner.sql: new in this revision
DROP POLICY federated_sessions__registry_owner ON cogdb.federated_sessions;

-- sql/tables/privacy_budgets.sql: new in this revision
DROP TABLE cogdb.privacy_budgets;

-- sql/tables/federated_participants.sql: new in this revision
DROP TABLE cogdb.federated_participants;

-- sql/tables/federated_sessions.sql: new in this revision
DROP TABLE cogdb.federated_sessions;

-- >>> step 10_settings.down.sql
DELETE FROM cogdb.settings WHERE key IN ('federated.min_k', 'federated.epsilon_budget');
-- <<< step 10_settings.down.sql

RESET ROLE;
