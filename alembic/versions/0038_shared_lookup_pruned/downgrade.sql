-- cogdb revision 0038 (shared_lookup_pruned): downgrade, written by `python -m tools.freeze 0038` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

REVOKE ALL ON FUNCTION cogdb.policy_report() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.policy_report() IS NULL;
-- sql/functions/governance/policy_report.sql as frozen in revision 0035
-- The DBA report: one row per finding, none when the deployment is as docs/trust-model.md
-- describes it. `cogdb audit policies` prints it and exits non-zero on any row. Checks:
--   rls_not_forced       a table of schema cogdb without row security enabled and forced
--                        (partitions of cogdb.memories are fenced by their parent's policies;
--                        global registries are on policy_report_allowlist());
--   no_tenant_fence      a table without the RESTRICTIVE policy for all commands and roles
--                        `tenant_id = (SELECT cogdb.current_tenant_id())` (allowlist: exempt;
--                        memories: tenant_id among cogdb.readable_tenants() AND (that
--                        comparison OR its live read grants, cogdb.grant_covers),
--                        for reads only — WITH CHECK stays the comparison; the grants
--                        themselves are listed by cogdb.share_report(), not findings;
--                        relationships: the same, for another tenant's tenant-visible
--                        memory-to-memory relationships whose memories the caller reads;
--                        entities: the same with cogdb.entity_grant_covers;
--                        entity_observations: the same, for another tenant's observations
--                        whose entity the caller reads in that tenant);
--   definer_search_path  a SECURITY DEFINER function of schema cogdb without a pinned
--                        search_path ending in pg_temp (docs/conventions.md rule 2);
--   definer_public_execute  a SECURITY DEFINER function that PUBLIC may execute;
--   app_login_privileged a login that is a member of cogdb_app (directly or through other
--                        roles) and is superuser, BYPASSRLS or a member of cogdb_owner: RLS
--                        would not apply to it;
--   app_login_timeouts   a login member of cogdb_app without lock_timeout or
--                        idle_in_transaction_session_timeout (ALTER ROLE … SET, for this
--                        database or all; 0 counts as unset): it could stall every tenant
--                        behind a lock (docs/trust-model.md, Known limits);
--   public_database_access  CONNECT or TEMPORARY on the current database granted to PUBLIC
--                        (PostgreSQL's default on a new database);
--   policy_per_row_helper a policy of schema cogdb that calls a context helper
--                        (current_tenant_id, current_user_id, context_stamp,
--                        retention_horizon, retention_cutoffs) or reads app.* settings per row, not once per
--                        query inside a sub-select (an InitPlan; docs/conventions.md rule 3);
--                        one exception, in relationships__endpoints_visible only: the probe
--                        `WHERE m.id = relationships.<from|to>_memory_id AND m.tenant_id =
--                        cogdb.current_tenant_id() OFFSET 0` (once per probe, not per row).
-- Invoker: it reads only catalogs that every login may read, so the auditor runs it as itself.
CREATE OR REPLACE FUNCTION cogdb.policy_report()
    RETURNS TABLE (finding text, object text, detail text, hint text)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE
    allow AS (SELECT * FROM cogdb.policy_report_allowlist()),
    tabs AS (
        SELECT c.oid, c.relname::text AS relname, c.relrowsecurity, c.relforcerowsecurity
          FROM pg_class c
         WHERE c.relnamespace = 'cogdb'::regnamespace AND c.relkind IN ('r', 'p')
           AND NOT EXISTS (SELECT FROM pg_inherits i
                            WHERE i.inhrelid = c.oid
                              AND i.inhparent = 'cogdb.memories'::regclass)),
    -- every (member, role) pair of pg_auth_members, transitively
    membership(member, roleid) AS (
        SELECT a.member, a.roleid FROM pg_auth_members a
        UNION
        SELECT a.member, m.roleid FROM pg_auth_members a JOIN membership m ON m.member = a.roleid),
    app_logins AS (
        SELECT r.oid, r.rolname::text AS rolname, r.rolsuper, r.rolbypassrls,
               EXISTS (SELECT FROM membership m WHERE m.member = r.oid
                          AND m.roleid = 'cogdb_owner'::regrole) AS owner_member
          FROM pg_roles r
         WHERE r.rolcanlogin
           AND EXISTS (SELECT FROM membership m WHERE m.member = r.oid
                          AND m.roleid = 'cogdb_app'::regrole)),
    login_settings AS (
        SELECT l.oid, split_part(cfg, '=', 1) AS name, substr(cfg, strpos(cfg, '=') + 1) AS value
          FROM app_logins l
          JOIN pg_db_role_setting s
            ON s.setrole IN (l.oid, 0)
           AND s.setdatabase IN (0, (SELECT d.oid FROM pg_database d
                                      WHERE d.datname = current_database()))
          CROSS JOIN LATERAL unnest(s.setconfig) cfg),
    definers AS (
        SELECT p.oid, p.oid::regprocedure::text AS signature, p.proacl,
               (SELECT substr(cfg, 13) FROM unnest(p.proconfig) cfg
                 WHERE cfg LIKE 'search_path=%') AS search_path
          FROM pg_proc p
         WHERE p.pronamespace = 'cogdb'::regnamespace AND p.prosecdef),
    helpers(pattern) AS (
        VALUES ('(current_tenant_id|current_user_id|context_stamp|retention_cutoffs|retention_horizon)\(|current_setting\(''app\.')),
    policies AS (
        SELECT p.tablename::text || '.' || p.policyname::text AS name,
               -- the helpers read once per query: ( SELECT cogdb.h() AS h), removed; and
               -- in relationships__endpoints_visible only, the tenant named in a probe of a
               -- memory by its id (read once per probe, as its index condition, so the
               -- partition is pruned when the statement starts: docs/conventions.md rule 3).
               -- Matched in pg_policies' own layout, indentation included: the same probe
               -- nested deeper is indented differently and stays a finding.
               regexp_replace(
                   CASE WHEN p.tablename = 'relationships'
                             AND p.policyname = 'relationships__endpoints_visible'
                        THEN regexp_replace(coalesce(p.qual, '') || ' ' || coalesce(p.with_check, ''),
                                            'FROM cogdb\.memories m\n  WHERE \(\(m\.id = relationships\.(from|to)_memory_id\) AND \(m\.tenant_id = cogdb\.current_tenant_id\(\)\)\)\n OFFSET 0\)',
                                            '', 'g')
                        ELSE coalesce(p.qual, '') || ' ' || coalesce(p.with_check, '') END,
                   '\( SELECT cogdb\.(current_tenant_id|current_user_id|context_stamp|retention_cutoffs|retention_horizon)\(\) AS \1\)',
                   '', 'g') AS rest
          FROM pg_policies p WHERE p.schemaname = 'cogdb')
    SELECT 'rls_not_forced', 'cogdb.' || t.relname,
           CASE WHEN NOT t.relrowsecurity THEN 'row level security is not enabled'
                ELSE 'row level security is enabled but not forced (the owner bypasses it)' END,
           format('ALTER TABLE cogdb.%I ENABLE ROW LEVEL SECURITY; ALTER TABLE cogdb.%I FORCE ROW LEVEL SECURITY;',
                  t.relname, t.relname)
      FROM tabs t
     WHERE NOT (t.relrowsecurity AND t.relforcerowsecurity)
       AND NOT EXISTS (SELECT FROM allow a WHERE a.table_name = t.relname AND a.exempt = 'rls')
    UNION ALL
    SELECT 'no_tenant_fence', 'cogdb.' || t.relname,
           'no RESTRICTIVE policy FOR ALL TO PUBLIC USING (tenant_id = (SELECT cogdb.current_tenant_id()))',
           format('CREATE POLICY %I ON cogdb.%I AS RESTRICTIVE FOR ALL TO PUBLIC USING (tenant_id = (SELECT cogdb.current_tenant_id())) WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id())); or list it in cogdb.policy_report_allowlist() with the reason',
                  t.relname || '__tenant_fence', t.relname)
      FROM tabs t
     WHERE NOT EXISTS (SELECT FROM allow a WHERE a.table_name = t.relname)
       AND NOT EXISTS (
           SELECT FROM pg_policies p
            WHERE p.schemaname = 'cogdb' AND p.tablename = t.relname
              AND p.permissive = 'RESTRICTIVE' AND p.cmd = 'ALL' AND p.roles = '{public}'
              AND (p.qual = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   AND (p.with_check IS NULL OR p.with_check = p.qual)
                   -- memories: the fence widened by live read grants (sharing), never for
                   -- writes; every live grant is listed by cogdb.share_report()
                   OR t.relname = 'memories'
                   AND p.qual = '((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR cogdb.grant_covers((( SELECT cogdb.live_grants() AS live_grants) -> (tenant_id)::text), visibility, id, context_type, tags, created_at, anonymised_at)))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   -- relationships: widened the same way for the memory-to-memory
                   -- relationships of a tenant that shares both memories (traversal; one
                   -- per-row lookup of both since revision 0035)
                   OR t.relname = 'relationships'
                   AND p.qual = E'((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR ((visibility = \'tenant\'::text) AND (from_entity_id IS NULL) AND (to_entity_id IS NULL) AND (( SELECT count(*) AS count\n   FROM cogdb.memories m\n  WHERE ((m.id = ANY (ARRAY[relationships.from_memory_id, relationships.to_memory_id])) AND ((m.tenant_id = relationships.tenant_id) IS TRUE))\n OFFSET 0) =\nCASE\n    WHEN (from_memory_id = to_memory_id) THEN 1\n    ELSE 2\nEND))))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   -- entities: widened by the entity criteria of live read grants
                   OR t.relname = 'entities'
                   AND p.qual = '((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR cogdb.entity_grant_covers((( SELECT cogdb.live_grants() AS live_grants) -> (tenant_id)::text), visibility, id, entity_type)))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   -- entity_observations: another tenant's, when the caller reads its entity there
                   OR t.relname = 'entity_observations'
                   AND p.qual = E'((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR (EXISTS ( SELECT\n   FROM cogdb.entities e\n  WHERE ((e.tenant_id = entity_observations.tenant_id) AND (e.id = entity_observations.entity_id))\n OFFSET 0))))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   -- memory_embeddings: another tenant's, when the caller reads its memory
                   -- there (a shared source settling a model migration)
                   OR t.relname = 'memory_embeddings'
                   AND p.qual = E'((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR (EXISTS ( SELECT\n   FROM cogdb.memories m\n  WHERE ((m.tenant_id = memory_embeddings.tenant_id) AND (m.id = memory_embeddings.memory_id))\n OFFSET 0))))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'))
    UNION ALL
    SELECT 'definer_search_path', d.signature,
           coalesce('search_path is ' || d.search_path, 'search_path is not set'),
           format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp;', d.signature)
      FROM definers d
     WHERE d.search_path IS NULL
        OR btrim((string_to_array(d.search_path, ','))[cardinality(string_to_array(d.search_path, ','))], ' "') <> 'pg_temp'
    UNION ALL
    SELECT 'definer_public_execute', d.signature,
           'PUBLIC may execute this SECURITY DEFINER function',
           format('REVOKE ALL ON FUNCTION %s FROM PUBLIC; then GRANT EXECUTE to the roles that need it', d.signature)
      FROM definers d
     WHERE d.proacl IS NULL
        OR EXISTS (SELECT FROM aclexplode(d.proacl) x
                    WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE')
    UNION ALL
    SELECT 'app_login_privileged', l.rolname,
           'member of cogdb_app and ' || concat_ws(', ',
               CASE WHEN l.rolsuper THEN 'superuser' END,
               CASE WHEN l.rolbypassrls THEN 'BYPASSRLS' END,
               CASE WHEN l.owner_member THEN 'a member of cogdb_owner' END)
               || ': row level security does not apply to it',
           format('Use a separate login for the app: ALTER ROLE %I NOSUPERUSER NOBYPASSRLS; REVOKE cogdb_owner FROM %I;',
                  l.rolname, l.rolname)
      FROM app_logins l
     WHERE l.rolsuper OR l.rolbypassrls OR l.owner_member
    UNION ALL
    SELECT 'app_login_timeouts', l.rolname,
           'member of cogdb_app without ' || concat_ws(' and ',
               CASE WHEN NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                                        AND s.name = 'lock_timeout' AND s.value NOT IN ('0', ''))
                    THEN 'lock_timeout' END,
               CASE WHEN NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                                        AND s.name = 'idle_in_transaction_session_timeout'
                                        AND s.value NOT IN ('0', ''))
                    THEN 'idle_in_transaction_session_timeout' END),
           format('ALTER ROLE %I SET lock_timeout = ''5s''; ALTER ROLE %I SET idle_in_transaction_session_timeout = ''60s'';',
                  l.rolname, l.rolname)
      FROM app_logins l
     WHERE NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                          AND s.name = 'lock_timeout' AND s.value NOT IN ('0', ''))
        OR NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                          AND s.name = 'idle_in_transaction_session_timeout'
                          AND s.value NOT IN ('0', ''))
    UNION ALL
    SELECT 'public_database_access', 'database ' || d.datname::text,
           'PUBLIC has ' || string_agg(x.privilege_type, ' and ' ORDER BY x.privilege_type)
               || ' on the database',
           format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC; GRANT CONNECT ON DATABASE %I TO cogdb_app, cogdb_admin, cogdb_auditor; GRANT TEMPORARY ON DATABASE %I TO cogdb_app, cogdb_owner;',
                  d.datname, d.datname, d.datname)
      FROM pg_database d
      CROSS JOIN LATERAL aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) x
     WHERE d.datname = current_database() AND x.grantee = 0
       AND x.privilege_type IN ('CONNECT', 'TEMPORARY')
     GROUP BY d.datname
    UNION ALL
    SELECT 'policy_per_row_helper', 'policy ' || p.name,
           'calls a context helper (or reads app.* settings) per row, outside a sub-select',
           'Wrap the helper in a sub-select, (SELECT cogdb.current_tenant_id()), so it is an InitPlan read once per query'
      FROM policies p
     WHERE p.rest ~ (SELECT h.pattern FROM helpers h)
    ORDER BY 1, 2
$$;

REVOKE ALL ON FUNCTION cogdb.policy_report() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.policy_report() TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.policy_report() IS
    'The DBA report: one row per finding (tables without forced RLS or a tenant fence, definer functions without a pinned search_path or executable by PUBLIC, privileged or timeout-less app logins, PUBLIC access to the database, policies that read the context per row); none when all is well.';

-- sql/policies/relationships__tenant_fence.sql as frozen in revision 0035
-- The tenant fence on relationships: a row is readable only inside its own tenant's context,
-- or, when the caller asked for shared rows (neighbors(…, include_shared => true)), a
-- tenant-visible relationship between two memories of a tenant that shares both with it;
-- writable only inside its own tenant's context (WITH CHECK; relationships__own_updates
-- keeps UPDATE and row locks to the own tenant too; the app has no DELETE on this table and
-- the definer functions that delete name their tenant: a shared relationship is read-only).
-- RESTRICTIVE, so no permissive policy added later can widen it.
-- - `tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])`: the context tenant, plus
--   the sources of its live grants only when it asked; an InitPlan and an index condition,
--   as in memories__tenant_fence: a statement that did not ask reads no other tenant's row.
-- - another tenant's relationship: never one that touches an entity (entities are not
--   shared), and both its memories must be ones the caller reads in that tenant, under
--   memories__tenant_fence (the grants' test, grant_covers on live_grants() computed once).
--   This lookup runs for rows of other tenants only, found by the index condition above;
--   the own tenant's rows take the first branch. It reads both ids in one primary-key scan
--   (revision 0023: OFFSET 0 keeps it per row, and `(… = …) IS TRUE` keeps the tenant
--   comparison a filter, as in relationships__endpoints_visible) and counts them; a
--   relationship from a memory to itself is one id. One lookup, not one per memory
--   (revision 0035): the row's tenant cannot prune the partitions of memories before the
--   statement runs, so every statement on relationships sets up this lookup's scan of
--   every partition, though only a statement that asked for shared rows runs it; one
--   lookup halves that.
-- (SELECT …) makes the helpers InitPlans: evaluated once per query, not once per row.
DROP POLICY IF EXISTS relationships__tenant_fence ON cogdb.relationships;
CREATE POLICY relationships__tenant_fence ON cogdb.relationships
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])
           AND (tenant_id = (SELECT cogdb.current_tenant_id())
                OR (visibility = 'tenant' AND from_entity_id IS NULL AND to_entity_id IS NULL
                    AND (SELECT count(*) FROM cogdb.memories m
                          WHERE m.id IN (relationships.from_memory_id,
                                         relationships.to_memory_id)
                            AND (m.tenant_id = relationships.tenant_id) IS TRUE
                         OFFSET 0)
                        = CASE WHEN from_memory_id = to_memory_id THEN 1 ELSE 2 END)))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));

-- sql/functions/sharing/shared_tenant_floor.sql: new in this revision
DROP FUNCTION cogdb.shared_tenant_floor();

RESET ROLE;
