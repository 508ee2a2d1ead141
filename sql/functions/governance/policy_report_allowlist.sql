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
      ('model_migrations', 'fence', 'owner-only: each tenant''s model migration state, written and listed across tenants by cogdb_admin''s definer functions; the app reads its own row through migration_target()'),
      ('text_index', 'fence', 'owner-only: the full-text index (a GIN index is unusable under an RLS condition); text_candidates filters the tenant itself'),
      ('text_queue', 'fence', 'owner-only: ids of memories whose full-text indexing a bulk insert deferred, emptied across tenants by index_queued_text (cogdb maintain)'),
      ('tenant_stats', 'fence', 'owner-only: append-only per-tenant counters, read for one tenant by stats()/tenant_stats()'),
      ('memory_accesses', 'fence', 'owner-only: append-only access log folded into memories by cogdb maintain'),
      ('audit_heads', 'fence', 'owner-only: each tenant''s audit chain head, locked and advanced by audit_append, which names the tenant'),
      ('audit_pending', 'fence', 'owner-only: audit records of transactions in flight, chained at their commit by audit_flush'),
      ('federated_sessions', 'fence', 'owner-only: a federated session spans tenants; read and written by the federated definer functions, which never return the opening tenant''s id to another'),
      ('federated_participants', 'fence', 'owner-only: which tenants take part in which federated session, enumerated across tenants by the aggregate definer functions; a tenant reads its own participation through list_federated_sessions')
$$;

REVOKE ALL ON FUNCTION cogdb.policy_report_allowlist() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.policy_report_allowlist() TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.policy_report_allowlist() IS
    'The tables of schema cogdb that the DBA report exempts from row security (rls) or from the tenant fence (fence), with the reason.';
