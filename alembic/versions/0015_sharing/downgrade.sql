-- cogdb revision 0015 (sharing): downgrade, written by `python -m tools.freeze 0015` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

REVOKE ALL ON FUNCTION cogdb.policy_report() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.policy_report() IS NULL;
-- sql/functions/governance/policy_report.sql as frozen in revision 0013
-- The DBA report: one row per finding, none when the deployment is as docs/trust-model.md
-- describes it. `cogdb audit policies` prints it and exits non-zero on any row. Checks:
--   rls_not_forced       a table of schema cogdb without row security enabled and forced
--                        (partitions of cogdb.memories are fenced by their parent's policies;
--                        global registries are on policy_report_allowlist());
--   no_tenant_fence      a table without the RESTRICTIVE policy for all commands and roles
--                        `tenant_id = (SELECT cogdb.current_tenant_id())` (allowlist: exempt);
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
--                        query inside a sub-select (an InitPlan; docs/conventions.md rule 3).
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
               -- the helpers read once per query: ( SELECT cogdb.h() AS h), removed
               regexp_replace(coalesce(p.qual, '') || ' ' || coalesce(p.with_check, ''),
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
              AND p.qual = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
              AND (p.with_check IS NULL OR p.with_check = p.qual))
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
           format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC; GRANT CONNECT ON DATABASE %I TO cogdb_app, cogdb_admin, cogdb_auditor; GRANT TEMPORARY ON DATABASE %I TO cogdb_app;',
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

REVOKE ALL ON FUNCTION cogdb.record_access(text[]) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.record_access(text[]) IS NULL;
-- sql/functions/knowledge/record_access.sql as frozen in revision 0008
-- Records that the memories `ids` were accessed (e.g. returned by a search the user saw) and
-- returns how many were recorded: those the caller can see, once per call. Append-only into
-- the owner-only cogdb.memory_accesses; `cogdb maintain` folds the log into
-- memories.access_count and last_accessed (fold_memory_accesses). A separate call, so search
-- stays read-only and pays nothing for tracking; the Python client makes it after a search
-- when asked (record_access=True). Definer: the app has no privilege on the log.
-- In a transaction that has written nothing before, the commit does not wait for the WAL
-- flush (synchronous_commit off for that transaction).
CREATE OR REPLACE FUNCTION cogdb.record_access(ids text[]) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_n integer;
BEGIN
    PERFORM cogdb.require_tenant('recording accesses');
    -- A read-only transaction (a search) that records its accesses would otherwise wait at
    -- COMMIT for the WAL flush, the largest cost of the call. If this transaction has written
    -- nothing yet, its commit need not wait: the log may lose the last moments before a
    -- crash, which counts of accesses can afford. (Writes after this call in the same
    -- transaction commit the same way: record accesses last.)
    IF pg_current_xact_id_if_assigned() IS NULL THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    IF cardinality(ids) > 10000 THEN
        RAISE EXCEPTION 'at most 10000 ids per call, got %', cardinality(ids)
            USING ERRCODE = 'CGV01', COLUMN = 'ids', HINT = 'Record a search''s results, not a table.';
    END IF;
    -- memories is read under its policies in the caller's context: only visible ids count.
    INSERT INTO cogdb.memory_accesses (tenant_id, memory_id, owner_user_id)
    SELECT m.tenant_id, m.id, m.owner_user_id FROM cogdb.memories m
     WHERE m.id = ANY (ids);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

REVOKE ALL ON FUNCTION cogdb.record_access(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.record_access(text[]) TO cogdb_app;
COMMENT ON FUNCTION cogdb.record_access(text[]) IS
    'Records accesses of the visible memories among ids in an append-only log that cogdb maintain folds into access_count and last_accessed.';

DROP FUNCTION cogdb.get(text, boolean);
-- sql/functions/memories/get.sql as frozen in revision 0009
-- The memory with this id, if the caller may see it and it has not expired; else no row.
-- An id of another tenant or another user's private memory looks exactly like a missing id.
-- The context's tenant is named in the statement (planned per call): the planner reads the
-- tenant's partition only.
CREATE OR REPLACE FUNCTION cogdb.get(id text) RETURNS SETOF cogdb.memories
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
BEGIN
    IF v_tenant IS NOT NULL THEN
        RETURN QUERY
        SELECT m.* FROM cogdb.memories m
         WHERE m.tenant_id = v_tenant AND m.id = get.id
           AND (m.expires_at IS NULL OR m.expires_at > now());
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.get(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get(text) IS
    'The memory with this id, if the caller may see it and it has not expired.';

DROP FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, boolean);
-- sql/functions/search/search.sql as frozen in revision 0011
-- The k memories nearest to `query` that the caller may see, nearest first.
-- similarity is cosine similarity, 1 - cosine distance (1 = same direction, 0 = orthogonal);
-- ties are broken by id. Expired memories are never returned. Reads only: no access tracking.
-- No context: no rows.
--
-- The plan is chosen per call and reported in the `plan` column:
--   exact            every candidate the caller may see is ranked (a tenant/model without an
--                    ANN index, or one whose visible candidates, after the filters, number at
--                    most search.exact_max_rows — e.g. a user who sees few of a large
--                    tenant's memories because most are private to others);
--   ann:<index>      the HNSW index on the tenant's own partition (see ann_index_name and
--                    partition_name; `cogdb maintain` promotes the tenant and builds it), with
--                    iterative scans so filters keep their recall.
-- Every statement on memories names the tenant as a constant: planned for this call
-- (plan_cache_mode = force_custom_plan), the planner reads the tenant's partition only, and
-- unset filters fold away. The exact path and the count are static SQL (parsed once per
-- session); the ANN query, whose cast carries the model's dimensions, and a metadata filter,
-- whose keys are literals, are built per call. ef_search tunes the ANN path (default:
-- settings.search.ef_search; 1-1000, the range of pgvector's hnsw.ef_search).
SELECT '[1]'::public.vector;  -- loads pgvector, so the hnsw.* settings below are known
CREATE OR REPLACE FUNCTION cogdb.search(query public.vector, k integer DEFAULT 10,
                                        model text DEFAULT NULL,
                                        only_conversation text DEFAULT NULL,
                                        only_source text DEFAULT NULL,
                                        only_context_type text DEFAULT NULL,
                                        tags_any text[] DEFAULT NULL,
                                        created_after timestamptz DEFAULT NULL,
                                        created_before timestamptz DEFAULT NULL,
                                        only_owner uuid DEFAULT NULL,
                                        only_visibility text DEFAULT NULL,
                                        ef_search integer DEFAULT NULL,
                                        metadata_filter jsonb DEFAULT NULL)
    RETURNS TABLE (id text, similarity double precision, conversation_id text,
                   sequence_index integer, human_content text, assistant_content text,
                   summary text, context_type text, source text, created_at timestamptz,
                   expires_at timestamptz, visibility text, owner_user_id uuid, tags jsonb,
                   metadata jsonb,
                   intent_type text, complexity text, technical_depth smallint,
                   emotional_valence text, urgency text, conversation_mode text,
                   action_required boolean, has_code boolean, has_error boolean,
                   cluster_id integer, cluster_label text, cluster_confidence real, plan text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    -- The SET clauses scope the set_config() calls below to this call; the values used
    -- come from cogdb.settings (search.ef_search, search.max_scan_tuples). The lookups
    -- before the memories statements keep their cached plans (auto).
    SET plan_cache_mode = auto
    SET enable_sort = on
    SET hnsw.ef_search = 100
    SET hnsw.iterative_scan = 'relaxed_order'
    SET hnsw.max_scan_tuples = 50000
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_model text;
    v_dims integer;
    v_settings jsonb;
    v_max_k integer;
    v_exact_max integer;
    v_index text;
    v_indexed boolean;
    v_visible bigint;
    v_columns constant text :=
        's.id, 1 - s.distance, s.conversation_id, s.sequence_index, s.human_content,'
        ' s.assistant_content, s.summary, s.context_type, s.source, s.created_at,'
        ' s.expires_at, s.visibility, s.owner_user_id, s.tags, s.metadata, s.intent_type,'
        ' s.complexity,'
        ' s.technical_depth, s.emotional_valence, s.urgency, s.conversation_mode,'
        ' s.action_required, s.has_code, s.has_error, s.cluster_id, s.cluster_label,'
        ' s.cluster_confidence';
    v_fields constant text :=
        'm.id, m.conversation_id, m.sequence_index, m.human_content, m.assistant_content,'
        ' m.summary, m.context_type, m.source, m.created_at, m.expires_at, m.visibility,'
        ' m.owner_user_id, m.tags, m.metadata, m.intent_type, m.complexity,'
        ' m.technical_depth, m.emotional_valence, m.urgency, m.conversation_mode,'
        ' m.action_required, m.has_code, m.has_error, m.cluster_id, m.cluster_label,'
        ' m.cluster_confidence';
BEGIN
    IF v_tenant IS NULL THEN
        RETURN;  -- no context: nothing is visible
    END IF;
    SELECT jsonb_object_agg(s.key, s.value) INTO v_settings
      FROM cogdb.settings s WHERE s.key LIKE 'search.%';
    v_max_k := v_settings ->> 'search.max_k';
    v_exact_max := v_settings ->> 'search.exact_max_rows';
    IF k IS NULL OR k NOT BETWEEN 1 AND v_max_k THEN
        RAISE EXCEPTION 'k must be between 1 and %, got %', v_max_k, coalesce(k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'k',
                  HINT = 'k is how many memories to return; the maximum is settings.search.max_k.';
    END IF;
    IF ef_search NOT BETWEEN 1 AND 1000 THEN  -- the range pgvector accepts
        RAISE EXCEPTION 'ef_search must be between 1 and 1000, got %', ef_search
            USING ERRCODE = 'CGV01', COLUMN = 'ef_search',
                  HINT = 'Leave it out for the default (settings.search.ef_search); higher '
                         'trades speed for recall.';
    END IF;
    IF only_visibility IS NOT NULL AND NOT only_visibility = ANY (cogdb.allowed_values('visibility')) THEN
        RAISE EXCEPTION 'only_visibility must be private or tenant, got %', quote_literal(only_visibility)
            USING ERRCODE = 'CGV01', COLUMN = 'only_visibility',
                  HINT = 'Leave it out to search everything the context may see.';
    END IF;
    SELECT r.name, r.dimensions INTO v_model, v_dims FROM cogdb.resolve_model(search.model) r;
    IF query IS NULL OR public.vector_dims(query) <> v_dims THEN
        RAISE EXCEPTION 'query has % dimensions; model % needs %',
                        coalesce(public.vector_dims(query)::text, 'no'), quote_literal(v_model), v_dims
            USING ERRCODE = 'CGV01', COLUMN = 'query',
                  HINT = 'Embed the query with the model the memories were stored with.';
    END IF;
    PERFORM cogdb.check_vector(query, 'query');

    v_index := cogdb.ann_index_name(v_tenant, v_model);
    IF to_regclass('cogdb.' || v_index) IS NOT NULL THEN  -- a cache lookup, no query
        SELECT i.indisvalid INTO v_indexed  -- (NULL if maintain dropped it meanwhile)
          FROM pg_index i WHERE i.indexrelid = to_regclass('cogdb.' || v_index);
    END IF;
    -- From here on, every statement is planned for this call, with the tenant as a constant.
    PERFORM set_config('plan_cache_mode', 'force_custom_plan', true);
    IF v_indexed THEN
        -- Count the candidates the caller may see, stopping just past the exact threshold.
        IF metadata_filter IS NULL THEN
            SELECT count(*) INTO v_visible FROM (
                SELECT FROM cogdb.memories m
                 WHERE m.tenant_id = v_tenant AND m.model = v_model
                   AND (m.expires_at IS NULL OR m.expires_at > now())
                   AND (only_conversation IS NULL OR m.conversation_id = only_conversation)
                   AND (only_source IS NULL OR m.source = only_source)
                   AND (only_context_type IS NULL OR m.context_type = only_context_type)
                   AND (tags_any IS NULL OR m.tags ?| tags_any)
                   AND (created_after IS NULL OR m.created_at >= created_after)
                   AND (created_before IS NULL OR m.created_at < created_before)
                   AND (only_owner IS NULL OR m.owner_user_id = only_owner)
                   AND (only_visibility IS NULL OR m.visibility = only_visibility)
                 LIMIT v_exact_max + 1) c;
        ELSE
            EXECUTE format('SELECT count(*) FROM (SELECT FROM cogdb.memories m'
                           ' WHERE m.tenant_id = %L AND m.model = %L%s LIMIT %s) c',
                           v_tenant, v_model, cogdb.memory_filters_sql(3, metadata_filter),
                           v_exact_max + 1)
               INTO v_visible
              USING query, k, only_conversation, only_source, only_context_type, tags_any,
                    created_after, created_before, only_owner, only_visibility;
        END IF;
        IF v_visible > v_exact_max THEN
            -- Scoped to this call by the SET clauses above.
            PERFORM set_config('hnsw.ef_search',
                               coalesce(ef_search::text, v_settings ->> 'search.ef_search'), true);
            PERFORM set_config('hnsw.max_scan_tuples',
                               v_settings ->> 'search.max_scan_tuples', true);
            -- The index, not a sort of the partition: on a small partition the planner would
            -- rather sort, and `plan` would then name an index the search did not read.
            PERFORM set_config('enable_sort', 'off', true);
            RETURN QUERY EXECUTE format(
                'SELECT %s, %L::text FROM ('
                ' SELECT %s, (m.embedding::public.vector(%s)) OPERATOR(public.<=>) $1 AS distance'
                '   FROM cogdb.memories m WHERE m.tenant_id = %L AND m.model = %L%s'
                '  ORDER BY (m.embedding::public.vector(%s)) OPERATOR(public.<=>) $1 LIMIT $2) s'
                ' ORDER BY s.distance, s.id',
                v_columns, 'ann:' || v_index, v_fields, v_dims, v_tenant, v_model,
                cogdb.memory_filters_sql(3, metadata_filter), v_dims)
              USING query, k, only_conversation, only_source, only_context_type, tags_any,
                    created_after, created_before, only_owner, only_visibility;
            RETURN;
        END IF;
    END IF;

    IF metadata_filter IS NULL THEN
        RETURN QUERY
        SELECT s.id, 1 - s.distance, s.conversation_id, s.sequence_index, s.human_content,
               s.assistant_content, s.summary, s.context_type, s.source, s.created_at,
               s.expires_at, s.visibility, s.owner_user_id, s.tags, s.metadata, s.intent_type,
               s.complexity, s.technical_depth, s.emotional_valence, s.urgency,
               s.conversation_mode, s.action_required, s.has_code, s.has_error, s.cluster_id,
               s.cluster_label, s.cluster_confidence, 'exact'::text
          FROM (SELECT m.id, m.conversation_id, m.sequence_index, m.human_content,
                       m.assistant_content, m.summary, m.context_type, m.source, m.created_at,
                       m.expires_at, m.visibility, m.owner_user_id, m.tags, m.metadata,
                       m.intent_type, m.complexity, m.technical_depth, m.emotional_valence,
                       m.urgency, m.conversation_mode, m.action_required, m.has_code,
                       m.has_error, m.cluster_id, m.cluster_label, m.cluster_confidence,
                       m.embedding OPERATOR(public.<=>) query AS distance
                  FROM cogdb.memories m
                 WHERE m.tenant_id = v_tenant AND m.model = v_model
                   AND (m.expires_at IS NULL OR m.expires_at > now())
                   AND (only_conversation IS NULL OR m.conversation_id = only_conversation)
                   AND (only_source IS NULL OR m.source = only_source)
                   AND (only_context_type IS NULL OR m.context_type = only_context_type)
                   AND (tags_any IS NULL OR m.tags ?| tags_any)
                   AND (created_after IS NULL OR m.created_at >= created_after)
                   AND (created_before IS NULL OR m.created_at < created_before)
                   AND (only_owner IS NULL OR m.owner_user_id = only_owner)
                   AND (only_visibility IS NULL OR m.visibility = only_visibility)) s
         ORDER BY s.distance, s.id
         LIMIT k;
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format(
        'SELECT %s, ''exact''::text FROM ('
        ' SELECT %s, m.embedding OPERATOR(public.<=>) $1 AS distance'
        '   FROM cogdb.memories m WHERE m.tenant_id = %L AND m.model = %L%s) s'
        ' ORDER BY s.distance, s.id LIMIT $2',
        v_columns, v_fields, v_tenant, v_model, cogdb.memory_filters_sql(3, metadata_filter))
      USING query, k, only_conversation, only_source, only_context_type, tags_any,
            created_after, created_before, only_owner, only_visibility;
END
$$;

REVOKE ALL ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb) TO cogdb_app;
COMMENT ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb) IS
    'The k memories nearest to `query` that the caller may see, nearest first.';

-- sql/functions/search/search_tenant.sql: new in this revision
DROP FUNCTION cogdb.search_tenant(uuid, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb);

-- sql/policies/memories__owner_deletes.sql as frozen in revision 0003
-- Only a memory's owner may delete (forget) it; ownerless memories stay deletable by the
-- tenant. RESTRICTIVE, like memories__owner_updates.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS memories__owner_deletes ON cogdb.memories;
CREATE POLICY memories__owner_deletes ON cogdb.memories
    AS RESTRICTIVE FOR DELETE TO PUBLIC
    USING (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id()));

-- sql/policies/memories__owner_updates.sql as frozen in revision 0003
-- Only a memory's owner may change it; ownerless (tenant-wide) memories stay editable by the
-- tenant. RESTRICTIVE: it narrows the visibility policy for UPDATE, it never widens it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS memories__owner_updates ON cogdb.memories;
CREATE POLICY memories__owner_updates ON cogdb.memories
    AS RESTRICTIVE FOR UPDATE TO PUBLIC
    USING (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id()))
    WITH CHECK (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id()));

-- sql/policies/memories__tenant_fence.sql as frozen in revision 0003
-- The tenant fence: a row is readable and writable only inside its own tenant's context.
-- RESTRICTIVE, so no permissive policy added later (visibility, sharing) can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS memories__tenant_fence ON cogdb.memories;
CREATE POLICY memories__tenant_fence ON cogdb.memories
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));

-- sql/functions/sharing/share_report.sql: new in this revision
DROP FUNCTION cogdb.share_report();

-- sql/functions/sharing/list_shares.sql: new in this revision
DROP FUNCTION cogdb.list_shares(text);

-- sql/functions/sharing/revoke_share.sql: new in this revision
DROP FUNCTION cogdb.revoke_share(text, text);

-- sql/functions/sharing/grant_share.sql: new in this revision
DROP FUNCTION cogdb.grant_share(text, text, text[], text[], text[], timestamptz);

-- sql/functions/sharing/note_shared_read.sql: new in this revision
DROP FUNCTION cogdb.note_shared_read(uuid, text, integer);

-- sql/functions/sharing/share_request.sql: new in this revision
DROP FUNCTION cogdb.share_request(boolean);

-- sql/functions/sharing/readable_tenants.sql: new in this revision
DROP FUNCTION cogdb.readable_tenants();

-- sql/functions/sharing/grant_covers.sql: new in this revision
DROP FUNCTION cogdb.grant_covers(jsonb, text, text, text, jsonb, timestamptz, timestamptz);

-- sql/functions/sharing/live_grants.sql: new in this revision
DROP FUNCTION cogdb.live_grants();

-- sql/policies/share_receipts__tenant_fence.sql: new in this revision
DROP POLICY share_receipts__tenant_fence ON cogdb.share_receipts;

-- sql/policies/share_receipts__inside_fence.sql: new in this revision
DROP POLICY share_receipts__inside_fence ON cogdb.share_receipts;

-- sql/tables/share_receipts.sql: new in this revision
DROP TABLE cogdb.share_receipts;

-- sql/policies/share_grants__tenant_fence.sql: new in this revision
DROP POLICY share_grants__tenant_fence ON cogdb.share_grants;

-- sql/policies/share_grants__inside_fence.sql: new in this revision
DROP POLICY share_grants__inside_fence ON cogdb.share_grants;

-- sql/tables/share_grants.sql: new in this revision
DROP TABLE cogdb.share_grants;

-- sql/policies/relationships__endpoints_visible.sql as frozen in revision 0014
-- A relationship exists for the caller only when the caller can see both of its nodes: the
-- sub-selects read memories and entities under their own policies (fence and visibility),
-- so an edge to another user's private memory or entity is neither read nor written, and a
-- traversal can never pass through such a node or reveal it. RESTRICTIVE: it narrows the
-- visibility policy, never widens it. The node tables' fences scope the ids to the context's
-- tenant; this table's own fence (relationships__tenant_fence) keeps the edge itself there.
-- Each sub-select also names the edge's tenant_id, so it reads one tenant's partition and,
-- on a cluster distributed by tenant, one co-located shard (docs/scale-out.md).
DROP POLICY IF EXISTS relationships__endpoints_visible ON cogdb.relationships;
CREATE POLICY relationships__endpoints_visible ON cogdb.relationships
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING ((from_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                               WHERE m.tenant_id = relationships.tenant_id
                                                 AND m.id = relationships.from_memory_id))
           AND (from_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                   WHERE e.tenant_id = relationships.tenant_id
                                                     AND e.id = relationships.from_entity_id))
           AND (to_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                 WHERE m.tenant_id = relationships.tenant_id
                                                   AND m.id = relationships.to_memory_id))
           AND (to_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                 WHERE e.tenant_id = relationships.tenant_id
                                                   AND e.id = relationships.to_entity_id)))
    WITH CHECK ((from_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                    WHERE m.tenant_id = relationships.tenant_id
                                                      AND m.id = relationships.from_memory_id))
                AND (from_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                        WHERE e.tenant_id = relationships.tenant_id
                                                          AND e.id = relationships.from_entity_id))
                AND (to_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                      WHERE m.tenant_id = relationships.tenant_id
                                                        AND m.id = relationships.to_memory_id))
                AND (to_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                      WHERE e.tenant_id = relationships.tenant_id
                                                        AND e.id = relationships.to_entity_id)));

-- sql/policies/entity_observations__visible_entity.sql as frozen in revision 0014
-- Observations share their entity's visibility: a row is visible (and writable) when the
-- caller can see its entity, read under the entities policies. The only permissive policy
-- on entity_observations. The entities fence scopes the id to the context's tenant; this
-- table's own fence (entity_observations__tenant_fence) keeps the observation there. The
-- sub-select names the observation's tenant_id too: one co-located shard on a cluster
-- distributed by tenant (docs/scale-out.md).
DROP POLICY IF EXISTS entity_observations__visible_entity ON cogdb.entity_observations;
CREATE POLICY entity_observations__visible_entity ON cogdb.entity_observations
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (EXISTS (SELECT FROM cogdb.entities e
                    WHERE e.tenant_id = entity_observations.tenant_id
                      AND e.id = entity_observations.entity_id))
    WITH CHECK (EXISTS (SELECT FROM cogdb.entities e
                         WHERE e.tenant_id = entity_observations.tenant_id
                           AND e.id = entity_observations.entity_id));

REVOKE ALL ON FUNCTION cogdb.purge_retention(text, integer) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.purge_retention(text, integer) IS NULL;
-- sql/functions/retention/purge_retention.sql as frozen in revision 0013
-- One bounded batch of a tenant's retention purge, in the caller's transaction: removes or
-- anonymises at most `batch` memories that are due, and returns how many it deleted and
-- anonymised, whether a hold kept anything back (held), and whether it filled the batch
-- (more: call again, in a new transaction, until it is false). Due: expired (expires_at, always
-- deleted), older than the max_age of its most specific policy, or beyond that policy's
-- max_count newest (ranked among the tenant-visible memories, and among each user's private
-- ones), and not anonymised already; the policy's action says delete or anonymise.
-- Anonymise keeps the row (id, owner, visibility, type, source, times, session, counts) and
-- sets human_content '', assistant_content '[anonymised]', summary, conversation_id and
-- cluster_label NULL, tags [], metadata {}, the embedding a fixed unit vector (the text could
-- be approximated from it) and anonymised_at now().
-- A legal hold on the tenant stops the purge; one on a user keeps every memory they own.
-- FORCE RLS fences the owner too, and only a memory's owner may change or delete it
-- (memories__owner_updates/_deletes): the batch visits the ownerless memories, then each
-- user's, in their context (enter_tenant). Rows are picked by primary key and changed by id,
-- so a batch holds row locks only, for one short transaction. Names the tenant in every
-- statement (docs/conventions.md rule 3). Definer for cogdb_admin and `cogdb maintain`.
CREATE OR REPLACE FUNCTION cogdb.purge_retention(tenant_id text, batch integer DEFAULT 1000)
    RETURNS TABLE (deleted integer, anonymised integer, held boolean, more boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_saved text[];
    v_held uuid[];
    v_owner uuid;
    v_left integer := batch;
    v_delete text[];
    v_anonymise text[];
    v_n integer;
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    IF batch IS NULL OR batch NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'batch must be between 1 and 100000, got %', coalesce(batch::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'batch',
                  HINT = 'How many memories one transaction may change; 1000 is a good start.';
    END IF;
    deleted := 0;
    anonymised := 0;
    more := false;
    v_saved := cogdb.enter_tenant(v_tenant);
    IF EXISTS (SELECT FROM cogdb.retention_holds h
                WHERE h.tenant_id = v_tenant AND h.user_id IS NULL) THEN
        held := true;
        PERFORM cogdb.restore_context(v_saved);
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT coalesce(array_agg(h.user_id), '{}') INTO v_held
      FROM cogdb.retention_holds h WHERE h.tenant_id = v_tenant AND h.user_id IS NOT NULL;
    held := cardinality(v_held) > 0;
    FOR v_owner IN
        SELECT NULL::uuid
        UNION ALL
        (SELECT u.id FROM cogdb.users u
          WHERE u.tenant_id = v_tenant AND u.id <> ALL (v_held) ORDER BY u.id)
    LOOP
        EXIT WHEN v_left <= 0;
        PERFORM set_config('app.user_id', coalesce(v_owner::text, ''), true);
        WITH governed AS (
            SELECT m.id, m.owner_user_id, m.created_at, m.expires_at, m.anonymised_at,
                   p.max_age, p.max_count, p.action,
                   row_number() OVER (PARTITION BY p.context_type, p.source, m.visibility
                                      ORDER BY m.created_at DESC, m.id DESC) AS newest
              FROM cogdb.memories m
              LEFT JOIN LATERAL (
                  SELECT q.context_type, q.source, q.max_age, q.max_count, q.action
                    FROM cogdb.retention_policies q
                   WHERE q.tenant_id = v_tenant
                     AND q.context_type IN (m.context_type, '*') AND q.source IN (m.source, '*')
                   ORDER BY q.context_type = '*', q.source = '*'
                   LIMIT 1) p ON true
             WHERE m.tenant_id = v_tenant
        ), due AS (
            SELECT g.id, coalesce(g.expires_at <= now() OR g.action = 'delete', false) AS remove
              FROM governed g
             WHERE g.owner_user_id IS NOT DISTINCT FROM v_owner
               AND (g.expires_at <= now()
                    OR (g.anonymised_at IS NULL
                        AND (g.created_at <= now() - g.max_age OR g.newest > g.max_count)))
             ORDER BY g.id
             LIMIT v_left
        )
        SELECT array_agg(d.id) FILTER (WHERE d.remove),
               array_agg(d.id) FILTER (WHERE NOT d.remove)
          INTO v_delete, v_anonymise
          FROM due d;
        IF v_delete IS NOT NULL THEN
            DELETE FROM cogdb.memories m WHERE m.tenant_id = v_tenant AND m.id = ANY (v_delete);
            GET DIAGNOSTICS v_n = ROW_COUNT;
            deleted := deleted + v_n;
            v_left := v_left - cardinality(v_delete);
        END IF;
        IF v_anonymise IS NOT NULL THEN
            UPDATE cogdb.memories m
               SET human_content = '', assistant_content = '[anonymised]', summary = NULL,
                   conversation_id = NULL, cluster_label = NULL, tags = '[]', metadata = '{}',
                   embedding = ('[1' || repeat(',0', public.vector_dims(m.embedding) - 1)
                                || ']')::public.vector,
                   anonymised_at = now()
             WHERE m.tenant_id = v_tenant AND m.id = ANY (v_anonymise);
            GET DIAGNOSTICS v_n = ROW_COUNT;
            anonymised := anonymised + v_n;
            v_left := v_left - cardinality(v_anonymise);
        END IF;
    END LOOP;
    more := v_left <= 0;
    PERFORM cogdb.restore_context(v_saved);
    RETURN NEXT;
END
$$;

REVOKE ALL ON FUNCTION cogdb.purge_retention(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.purge_retention(text, integer) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.purge_retention(text, integer) IS
    'One bounded batch of a tenant''s retention purge: deletes or anonymises at most batch due memories (expired, over-age, over-count), skipping what legal holds keep; more = call again.';

REVOKE ALL ON FUNCTION cogdb.release_legal_hold(text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.release_legal_hold(text, text) IS NULL;
-- sql/functions/retention/release_legal_hold.sql as frozen in revision 0013
-- Releases the legal hold on a tenant (user_id NULL) or one of its users; true if there was
-- one. The next purge applies the tenant's policies to what it held. Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.release_legal_hold(tenant_id text, user_id text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_user uuid := cogdb.parse_uuid(user_id, 'user_id');
    v_saved text[];
    v_found boolean;
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    v_saved := cogdb.enter_tenant(v_tenant);
    DELETE FROM cogdb.retention_holds h
     WHERE h.tenant_id = v_tenant AND h.user_id IS NOT DISTINCT FROM v_user;
    v_found := FOUND;
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_found;
END
$$;

REVOKE ALL ON FUNCTION cogdb.release_legal_hold(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.release_legal_hold(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.release_legal_hold(text, text) IS
    'Releases the legal hold on a tenant (user_id NULL) or one of its users; true if there was one.';

REVOKE ALL ON FUNCTION cogdb.place_legal_hold(text, text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.place_legal_hold(text, text, text) IS NULL;
-- sql/functions/retention/place_legal_hold.sql as frozen in revision 0013
-- Places a legal hold on a tenant (user_id NULL) or one of its users, with the reason, and
-- returns the tenant's policies and holds. While it holds, cogdb.purge_retention removes or
-- anonymises nothing of the tenant / nothing the user owns. Placing it again updates the
-- reason. Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.place_legal_hold(tenant_id text, user_id text DEFAULT NULL,
                                                  reason text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_user uuid := cogdb.parse_uuid(user_id, 'user_id');
    v_saved text[];
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    IF reason IS NULL OR btrim(reason) = '' OR length(reason) > 1000 THEN
        RAISE EXCEPTION 'reason must be 1 to 1000 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'reason',
                  HINT = 'Say why the data is held, e.g. the case or request reference.';
    END IF;
    v_saved := cogdb.enter_tenant(v_tenant);
    IF v_user IS NOT NULL AND NOT EXISTS (SELECT FROM cogdb.users u
                                           WHERE u.tenant_id = v_tenant AND u.id = v_user) THEN
        RAISE EXCEPTION 'no user % in tenant %', v_user, v_tenant
            USING ERRCODE = 'CGN01', COLUMN = 'user_id',
                  HINT = 'List users with `cogdb user list --tenant <tenant>`.';
    END IF;
    INSERT INTO cogdb.retention_holds AS h (tenant_id, user_id, reason)
    VALUES (v_tenant, v_user, btrim(reason))
    ON CONFLICT ON CONSTRAINT retention_holds_tenant_user_key DO UPDATE
       SET reason = EXCLUDED.reason;
    PERFORM cogdb.restore_context(v_saved);
    RETURN cogdb.list_retention(v_tenant::text);
END
$$;

REVOKE ALL ON FUNCTION cogdb.place_legal_hold(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.place_legal_hold(text, text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.place_legal_hold(text, text, text) IS
    'Places a legal hold on a tenant (user_id NULL) or one of its users: the retention purge skips what it holds.';

REVOKE ALL ON FUNCTION cogdb.list_retention(text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.list_retention(text) IS NULL;
-- sql/functions/retention/list_retention.sql as frozen in revision 0013
-- A tenant's retention policies and legal holds as {"policies": [...], "holds": [...]}, most
-- specific policy first. Definer for cogdb_admin (the tables are fenced; the owner reads them
-- inside the tenant's context).
CREATE OR REPLACE FUNCTION cogdb.list_retention(tenant_id text)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_saved text[];
    v_result jsonb;
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    v_saved := cogdb.enter_tenant(v_tenant);
    SELECT jsonb_build_object(
               'policies', coalesce((
                   SELECT jsonb_agg(jsonb_build_object(
                              'context_type', p.context_type, 'source', p.source,
                              'max_age', p.max_age::text, 'max_count', p.max_count,
                              'action', p.action, 'updated_at', p.updated_at)
                            ORDER BY p.context_type = '*', p.context_type, p.source = '*', p.source)
                     FROM cogdb.retention_policies p WHERE p.tenant_id = v_tenant), '[]'),
               'holds', coalesce((
                   SELECT jsonb_agg(jsonb_build_object(
                              'user_id', h.user_id, 'reason', h.reason,
                              'placed_at', h.placed_at, 'placed_by', h.placed_by)
                            ORDER BY h.user_id NULLS FIRST)
                     FROM cogdb.retention_holds h WHERE h.tenant_id = v_tenant), '[]'))
      INTO v_result;
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_result;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_retention(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_retention(text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.list_retention(text) IS
    'A tenant''s retention policies and legal holds as {"policies": [...], "holds": [...]}.';

REVOKE ALL ON FUNCTION cogdb.drop_retention_policy(text, text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.drop_retention_policy(text, text, text) IS NULL;
-- sql/functions/retention/drop_retention_policy.sql as frozen in revision 0013
-- Removes a tenant's retention policy for a context type and source; true if there was one.
-- Memories it hid become visible again (unless the purge removed them). Definer for
-- cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.drop_retention_policy(tenant_id text, context_type text DEFAULT '*',
                                                       source text DEFAULT '*')
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_saved text[];
    v_found boolean;
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    v_saved := cogdb.enter_tenant(v_tenant);
    DELETE FROM cogdb.retention_policies p
     WHERE p.tenant_id = v_tenant AND p.context_type = context_type AND p.source = source;
    v_found := FOUND;
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_found;
END
$$;

REVOKE ALL ON FUNCTION cogdb.drop_retention_policy(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.drop_retention_policy(text, text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.drop_retention_policy(text, text, text) IS
    'Removes a tenant''s retention policy for a context type and source; true if there was one.';

REVOKE ALL ON FUNCTION cogdb.set_retention_policy(text, text, text, interval, integer, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.set_retention_policy(text, text, text, interval, integer, text) IS NULL;
-- sql/functions/retention/set_retention_policy.sql as frozen in revision 0013
-- Sets (creates or replaces) a tenant's retention policy for a context type and source ('*'
-- for any) and returns the tenant's policies and holds (list_retention). max_age (> 0) and
-- max_count (>= 1) may each be NULL (no such limit); a policy with neither keeps its
-- memories against a wider one. action: delete or anonymise (what the purge does). Takes
-- effect at once for reads (memories__retained); the purge applies it later. Definer for
-- cogdb_admin: the app may read its tenant's policies but never set them.
CREATE OR REPLACE FUNCTION cogdb.set_retention_policy(tenant_id text, context_type text DEFAULT '*',
                                                      source text DEFAULT '*',
                                                      max_age interval DEFAULT NULL,
                                                      max_count integer DEFAULT NULL,
                                                      action text DEFAULT 'delete')
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_saved text[];
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    IF context_type IS NULL OR (context_type <> '*'
                                AND NOT context_type = ANY (cogdb.allowed_values('context_type'))) THEN
        RAISE EXCEPTION 'context_type must be * or one of %, got %',
                        array_to_string(cogdb.allowed_values('context_type'), ', '),
                        coalesce(quote_literal(left(context_type, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'context_type',
                  HINT = 'List the values with `cogdb vocabulary list context_type`; * matches any.';
    END IF;
    IF source IS NULL OR (source <> '*' AND NOT source = ANY (cogdb.allowed_values('source'))) THEN
        RAISE EXCEPTION 'source must be * or one of %, got %',
                        array_to_string(cogdb.allowed_values('source'), ', '),
                        coalesce(quote_literal(left(source, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'source',
                  HINT = 'List the values with `cogdb vocabulary list source`; * matches any.';
    END IF;
    IF max_age <= interval '0' THEN
        RAISE EXCEPTION 'max_age must be positive, got %', max_age
            USING ERRCODE = 'CGV01', COLUMN = 'max_age',
                  HINT = 'e.g. 90 days; leave it out for no age limit.';
    END IF;
    IF max_count < 1 THEN
        RAISE EXCEPTION 'max_count must be at least 1, got %', max_count
            USING ERRCODE = 'CGV01', COLUMN = 'max_count',
                  HINT = 'How many of the newest memories to keep; leave it out for no limit.';
    END IF;
    IF action IS NULL OR action NOT IN ('delete', 'anonymise') THEN
        RAISE EXCEPTION 'action must be delete or anonymise, got %',
                        coalesce(quote_literal(left(action, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'action',
                  HINT = 'anonymise keeps the row and blanks what identifies a person.';
    END IF;
    v_saved := cogdb.enter_tenant(v_tenant);
    INSERT INTO cogdb.retention_policies AS p
           (tenant_id, context_type, source, max_age, max_count, action, updated_at)
    VALUES (v_tenant, context_type, source, max_age, max_count, action, now())
    ON CONFLICT ON CONSTRAINT retention_policies_pkey DO UPDATE
       SET max_age = EXCLUDED.max_age, max_count = EXCLUDED.max_count,
           action = EXCLUDED.action, updated_at = EXCLUDED.updated_at;
    PERFORM cogdb.restore_context(v_saved);
    RETURN cogdb.list_retention(v_tenant::text);
END
$$;

REVOKE ALL ON FUNCTION cogdb.set_retention_policy(text, text, text, interval, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.set_retention_policy(text, text, text, interval, integer, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.set_retention_policy(text, text, text, interval, integer, text) IS
    'Sets a tenant''s retention policy for a context type and source (* for any): max_age, max_count, action (delete or anonymise); returns the tenant''s policies and holds.';

-- sql/functions/internal/known_tenant.sql: new in this revision
DROP FUNCTION cogdb.known_tenant(text);

RESET ROLE;
