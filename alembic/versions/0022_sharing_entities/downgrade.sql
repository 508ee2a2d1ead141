-- cogdb revision 0022 (sharing_entities): downgrade, written by `python -m tools.freeze 0022` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

REVOKE ALL ON FUNCTION cogdb.policy_report() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.policy_report() IS NULL;
-- sql/functions/governance/policy_report.sql as frozen in revision 0020
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
--                        memory-to-memory relationships whose memories the caller reads);
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
              AND (p.qual = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   AND (p.with_check IS NULL OR p.with_check = p.qual)
                   -- memories: the fence widened by live read grants (sharing), never for
                   -- writes; every live grant is listed by cogdb.share_report()
                   OR t.relname = 'memories'
                   AND p.qual = '((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR cogdb.grant_covers((( SELECT cogdb.live_grants() AS live_grants) -> (tenant_id)::text), visibility, id, context_type, tags, created_at, anonymised_at)))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   -- relationships: widened the same way for the memory-to-memory
                   -- relationships of a tenant that shares both memories (traversal)
                   OR t.relname = 'relationships'
                   AND p.qual = E'((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR ((visibility = \'tenant\'::text) AND (from_entity_id IS NULL) AND (to_entity_id IS NULL) AND (EXISTS ( SELECT\n   FROM cogdb.memories m\n  WHERE ((m.tenant_id = relationships.tenant_id) AND (m.id = relationships.from_memory_id)))) AND (EXISTS ( SELECT\n   FROM cogdb.memories m\n  WHERE ((m.tenant_id = relationships.tenant_id) AND (m.id = relationships.to_memory_id)))))))'
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

DROP FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean, boolean);
-- sql/functions/knowledge/hybrid_search.sql as frozen in revision 0011
-- Hybrid search: full-text and vector ranking fused by reciprocal rank fusion (RRF), over the
-- memories, entity names and observations the caller may see. Returns the k best, best first
-- (ties by kind, then id), with the score, each half's rank (NULL where a half did not find
-- the node), the cosine similarity and the text rank, and the node's display fields (a
-- memory's, or an entity's name and type; the other kind's are NULL).
--
--   score = text_weight / (rrf_k + text rank) + vector_weight / (rrf_k + vector rank)
--
-- query_text alone runs the text half, query_vector alone the vector half, both run both.
-- The text half: cogdb.text_query (web-search syntax, the tenant's search.language, words
-- OR-ed) against the owner-only text index through cogdb.text_candidates, joined back to
-- memories and entities under their policies and the filters. The vector half: cogdb.search
-- itself for memories (its plan, exact or the tenant's ANN index, is in `plan`) and an exact
-- scan of the entities that have an embedding of the same model. Each half contributes its
-- best `candidates` (default 50, at least k, at most 1000); with filters the text half
-- fetches four times as many before filtering.
-- Filters are search's; they narrow memories. Entities have no conversation, source, context
-- type, tags or metadata: any of those filters leaves entities out; owner and visibility
-- apply to them, created_after/before to their first_seen. include_entities => false leaves
-- them out. Reads only; no context, no rows.
CREATE OR REPLACE FUNCTION cogdb.hybrid_search(query_text text DEFAULT NULL,
                                               query_vector public.vector DEFAULT NULL,
                                               k integer DEFAULT 10,
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
                                               metadata_filter jsonb DEFAULT NULL,
                                               rrf_k integer DEFAULT 60,
                                               text_weight double precision DEFAULT 1,
                                               vector_weight double precision DEFAULT 1,
                                               candidates integer DEFAULT 50,
                                               include_entities boolean DEFAULT true)
    RETURNS TABLE (kind text, id text, score double precision, text_rank integer,
                   vector_rank integer, similarity double precision, text_score real,
                   name text, entity_type text, conversation_id text, human_content text,
                   assistant_content text, summary text, context_type text, source text,
                   created_at timestamptz, visibility text, owner_user_id uuid, tags jsonb,
                   metadata jsonb, plan text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_max_k integer := cogdb.int_setting('search.max_k');
    v_text tsquery;
    v_use_text boolean;
    v_use_vector boolean := query_vector IS NOT NULL AND vector_weight > 0;
    v_cand integer;
    v_text_fetch integer;
    v_model text;
    v_entities boolean;
    v_filtered boolean;
    v_plan text;
    v_tkind text[] := '{}';
    v_tid text[] := '{}';
    v_trank real[] := '{}';
    v_keep text[];
    v_vid text[] := '{}';
    v_vsim double precision[] := '{}';
    v_vplan text;
BEGIN
    IF cogdb.current_tenant_id() IS NULL THEN
        RETURN;  -- no context: nothing is visible
    END IF;
    IF k IS NULL OR k NOT BETWEEN 1 AND v_max_k THEN
        RAISE EXCEPTION 'k must be between 1 and %, got %', v_max_k, coalesce(k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'k',
                  HINT = 'k is how many results to return; the maximum is settings.search.max_k.';
    END IF;
    IF rrf_k IS NULL OR rrf_k < 1 THEN
        RAISE EXCEPTION 'rrf_k must be at least 1, got %', coalesce(rrf_k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'rrf_k',
                  HINT = 'The fusion constant; 60 is the usual value. Larger flattens the ranks.';
    END IF;
    IF text_weight IS NULL OR vector_weight IS NULL OR text_weight < 0 OR vector_weight < 0
       OR text_weight = 'NaN' OR vector_weight = 'NaN' THEN
        RAISE EXCEPTION 'text_weight and vector_weight must be numbers >= 0'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN text_weight IS NULL OR NOT text_weight >= 0 OR text_weight = 'NaN'
                                THEN 'text_weight' ELSE 'vector_weight' END,
                  HINT = 'Both default to 1; 0 turns a half off.';
    END IF;
    IF candidates IS NULL OR candidates NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'candidates must be between 1 and 1000, got %', coalesce(candidates::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'candidates',
                  HINT = 'How many results each half contributes to the fusion (default 50).';
    END IF;
    IF only_visibility IS NOT NULL AND NOT only_visibility = ANY (cogdb.allowed_values('visibility')) THEN
        RAISE EXCEPTION 'only_visibility must be private or tenant, got %', quote_literal(only_visibility)
            USING ERRCODE = 'CGV01', COLUMN = 'only_visibility',
                  HINT = 'Leave it out to search everything the context may see.';
    END IF;
    IF nullif(btrim(query_text), '') IS NULL AND query_vector IS NULL THEN
        RAISE EXCEPTION 'hybrid search needs query_text, query_vector or both'
            USING ERRCODE = 'CGV01', COLUMN = 'query_text',
                  HINT = 'Pass the text (full-text half) and its embedding (vector half).';
    END IF;
    IF text_weight = 0 AND vector_weight = 0 THEN
        RAISE EXCEPTION 'text_weight and vector_weight are both 0: nothing would rank'
            USING ERRCODE = 'CGV01', COLUMN = 'text_weight', HINT = 'Leave them out for 1 each.';
    END IF;
    IF nullif(btrim(query_text), '') IS NOT NULL AND text_weight > 0 THEN
        v_text := cogdb.text_query(query_text);
    END IF;
    v_use_text := v_text IS NOT NULL AND numnode(v_text) > 0;
    v_cand := greatest(candidates, k);
    v_filtered := NOT (only_conversation IS NULL AND only_source IS NULL
                       AND only_context_type IS NULL AND tags_any IS NULL
                       AND created_after IS NULL AND created_before IS NULL
                       AND only_owner IS NULL AND only_visibility IS NULL
                       AND (metadata_filter IS NULL OR metadata_filter = '{}'::jsonb));
    v_text_fetch := CASE WHEN v_filtered THEN least(1000, v_cand * 4) ELSE v_cand END;
    v_entities := coalesce(include_entities, true) AND only_conversation IS NULL
                  AND only_source IS NULL AND only_context_type IS NULL AND tags_any IS NULL
                  AND (metadata_filter IS NULL OR metadata_filter = '{}'::jsonb);
    IF v_use_vector THEN
        v_model := (cogdb.resolve_model(hybrid_search.model)).name;
        PERFORM cogdb.check_vector(query_vector, 'query_vector');
    END IF;
    v_plan := concat_ws('+', CASE WHEN v_use_text THEN 'text' END,
                        CASE WHEN v_use_vector THEN 'vector' END);

    -- The text half: candidates from the text index (ids and ranks of the context's visible
    -- rows), then only the memories that pass the filters. Static statements (their plans are
    -- kept); the filters need dynamic SQL only when some are given.
    IF v_use_text THEN
        SELECT coalesce(array_agg(c.kind), '{}'), coalesce(array_agg(c.id), '{}'),
               coalesce(array_agg(c.rank), '{}')
          INTO v_tkind, v_tid, v_trank
          FROM cogdb.text_candidates(v_text, v_text_fetch) c;
        IF v_filtered THEN
            EXECUTE 'SELECT coalesce(array_agg(m.id), ''{}'') FROM cogdb.memories m'
                    ' WHERE m.id = ANY ($1)' || cogdb.memory_filters_sql(3, metadata_filter)
               INTO v_keep
              USING ARRAY(SELECT u.id FROM unnest(v_tkind, v_tid) AS u(kind, id)
                           WHERE u.kind = 'memory'),
                    NULL::integer, only_conversation, only_source, only_context_type, tags_any,
                    created_after, created_before, only_owner, only_visibility;
        END IF;
    END IF;
    -- The vector half: cogdb.search itself for memories.
    IF v_use_vector THEN
        SELECT coalesce(array_agg(s.id ORDER BY s.similarity DESC, s.id), '{}'),
               coalesce(array_agg(s.similarity ORDER BY s.similarity DESC, s.id), '{}'),
               min(s.plan)
          INTO v_vid, v_vsim, v_vplan
          FROM cogdb.search(query_vector, v_cand, v_model, only_conversation, only_source,
                            only_context_type, tags_any, created_after, created_before,
                            only_owner, only_visibility, ef_search, metadata_filter) s;
    END IF;

    RETURN QUERY
    WITH text_hits AS (
        SELECT u.kind, u.id, u.rank
          FROM unnest(v_tkind, v_tid, v_trank) AS u(kind, id, rank)
         WHERE (u.kind = 'memory'
                AND (NOT v_filtered OR u.id = ANY (v_keep))
                AND EXISTS (SELECT FROM cogdb.memories m
                             WHERE m.id = u.id AND (m.expires_at IS NULL OR m.expires_at > now())))
            OR (u.kind = 'entity' AND v_entities
                AND EXISTS (SELECT FROM cogdb.entities e
                             WHERE e.id = u.id AND e.merged_into IS NULL
                               AND (only_owner IS NULL OR e.owner_user_id = only_owner)
                               AND (only_visibility IS NULL OR e.visibility = only_visibility)
                               AND (created_after IS NULL OR e.first_seen >= created_after)
                               AND (created_before IS NULL OR e.first_seen < created_before)))
    ), text_ranked AS (
        SELECT t.kind, t.id, t.rank,
               row_number() OVER (ORDER BY t.rank DESC, t.kind, t.id) AS pos
          FROM text_hits t
         ORDER BY t.rank DESC, t.kind, t.id
         LIMIT v_cand
    ), vector_hits AS (
        SELECT 'memory' AS kind, u.id, u.similarity
          FROM unnest(v_vid, v_vsim) AS u(id, similarity)
        UNION ALL
        (SELECT 'entity', e.id, 1 - (e.embedding OPERATOR(public.<=>) query_vector)
           FROM cogdb.entities e
          WHERE v_use_vector AND v_entities AND e.model = v_model AND e.embedding IS NOT NULL
            AND e.merged_into IS NULL
            AND (only_owner IS NULL OR e.owner_user_id = only_owner)
            AND (only_visibility IS NULL OR e.visibility = only_visibility)
            AND (created_after IS NULL OR e.first_seen >= created_after)
            AND (created_before IS NULL OR e.first_seen < created_before)
          ORDER BY e.embedding OPERATOR(public.<=>) query_vector, e.id
          LIMIT v_cand)
    ), vector_ranked AS (
        SELECT v.kind, v.id, v.similarity,
               row_number() OVER (ORDER BY v.similarity DESC, v.kind, v.id) AS pos
          FROM vector_hits v
    ), fused AS (
        SELECT coalesce(t.kind, v.kind) AS kind, coalesce(t.id, v.id) AS id,
               coalesce(text_weight / (rrf_k + t.pos), 0)
               + coalesce(vector_weight / (rrf_k + v.pos), 0) AS score,
               t.pos AS tpos, v.pos AS vpos, v.similarity, t.rank
          FROM text_ranked t FULL JOIN vector_ranked v ON v.kind = t.kind AND v.id = t.id
         ORDER BY 3 DESC, 1, 2
         LIMIT k
    )
    -- Joined back through the policies of memories and entities: only visible rows return.
    SELECT f.kind, f.id, f.score, f.tpos::integer, f.vpos::integer, f.similarity, f.rank,
           e.name, e.entity_type, m.conversation_id, m.human_content, m.assistant_content,
           m.summary, m.context_type, m.source, coalesce(m.created_at, e.first_seen),
           coalesce(m.visibility, e.visibility), coalesce(m.owner_user_id, e.owner_user_id),
           m.tags, m.metadata, v_plan || coalesce(':' || v_vplan, '')
      FROM fused f
      LEFT JOIN cogdb.memories m ON f.kind = 'memory' AND m.id = f.id
      LEFT JOIN cogdb.entities e ON f.kind = 'entity' AND e.id = f.id
     WHERE m.id IS NOT NULL OR e.id IS NOT NULL
     ORDER BY f.score DESC, f.kind, f.id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean) IS
    'Full-text and vector ranking fused by reciprocal rank fusion over the memories, entity names and observations the caller may see.';

-- sql/functions/knowledge/shared_text_candidates.sql: new in this revision
DROP FUNCTION cogdb.shared_text_candidates(tsquery, integer);

DROP FUNCTION cogdb.list_entities(text, integer, text, boolean, uuid);
-- sql/functions/knowledge/list_entities.sql as frozen in revision 0010
-- The name-keyed entities (system '') the caller can see, in name order (by their key, the
-- name a name:<name> reference resolves; COLLATE "C", so pages are stable whatever the
-- database's collation), with type and observations (oldest first): a page of at most
-- max_rows (1-1000) after the name `after` (NULL: from the start). `containing` keeps the
-- entities whose name, type or any observation contains that text, ignoring case (the MCP
-- memory server's search_nodes). Aliases (entities merged into another) are left out: their
-- survivor is listed. Reads only; no context, no rows.
-- The MCP server's read_graph pages through this; an entity key index is not needed while a
-- tenant's name-keyed entities fit a sort (every page sorts them).
CREATE OR REPLACE FUNCTION cogdb.list_entities(after text DEFAULT NULL,
                                               max_rows integer DEFAULT 100,
                                               containing text DEFAULT NULL)
    RETURNS TABLE (id text, external_id text, name text, entity_type text,
                   observations text[], visibility text, owner_user_id uuid,
                   update_count bigint, first_seen timestamptz, last_seen timestamptz)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_needle constant text := lower(nullif(containing, ''));
BEGIN
    IF max_rows IS NULL OR max_rows NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'max_rows must be between 1 and 1000, got %', coalesce(max_rows::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'max_rows',
                  HINT = 'Page on with after => the last name of the previous page.';
    END IF;
    RETURN QUERY
    SELECT e.id, e.external_id, e.name, e.entity_type,
           ARRAY(SELECT o.observation FROM cogdb.entity_observations o
                  WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id
                  ORDER BY o.created_at, o.observation),
           e.visibility, e.owner_user_id, e.update_count, e.first_seen, e.last_seen
      FROM cogdb.entities e
     WHERE e.tenant_id = cogdb.current_tenant_id() AND e.system = '' AND e.merged_into IS NULL
       AND (after IS NULL OR e.external_id COLLATE "C" > after COLLATE "C")
       AND (v_needle IS NULL
            OR strpos(lower(e.external_id), v_needle) > 0
            OR strpos(lower(e.entity_type), v_needle) > 0
            OR EXISTS (SELECT FROM cogdb.entity_observations o
                        WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id
                          AND strpos(lower(o.observation), v_needle) > 0))
     ORDER BY e.external_id COLLATE "C"
     LIMIT max_rows;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_entities(text, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_entities(text, integer, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_entities(text, integer, text) IS
    'A page of the name-keyed entities the caller can see, in name order, with type and observations; optionally only those containing a text.';

DROP FUNCTION cogdb.get_entity(text, boolean);
-- sql/functions/knowledge/get_entity.sql as frozen in revision 0008
-- The entity a reference names (entity:<id>, name:<name>, key:<system>:<external id>; an
-- alias resolves to its survivor), if the caller can see it; else no row, exactly as for a
-- missing one. With its observations (oldest first) and the keys of the entities merged into
-- it (aliases, as 'system:external_id', or the name for name-keyed ones).
CREATE OR REPLACE FUNCTION cogdb.get_entity(ref text)
    RETURNS TABLE (id text, system text, external_id text, entity_type text, name text,
                   data jsonb, visibility text, owner_user_id uuid, update_count bigint,
                   first_seen timestamptz, last_seen timestamptz, model text,
                   observations text[], aliases text[])
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT e.id, e.system, e.external_id, e.entity_type, e.name, e.data, e.visibility,
           e.owner_user_id, e.update_count, e.first_seen, e.last_seen, e.model,
           ARRAY(SELECT o.observation FROM cogdb.entity_observations o
                  WHERE o.entity_id = e.id ORDER BY o.created_at, o.observation),
           ARRAY(SELECT CASE WHEN a.system = '' THEN a.external_id
                             ELSE a.system || ':' || a.external_id END
                   FROM cogdb.entities a WHERE a.merged_into = e.id ORDER BY 1)
      FROM cogdb.resolve_node(ref, 'ref') r
      JOIN cogdb.entities e ON e.id = r.id
     WHERE r.kind = 'entity'
$$;

REVOKE ALL ON FUNCTION cogdb.get_entity(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get_entity(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get_entity(text) IS
    'The entity a reference names (aliases resolve to their survivor), with its observations and aliases, if the caller can see it.';

-- sql/functions/knowledge/get_shared_entity.sql: new in this revision
DROP FUNCTION cogdb.get_shared_entity(text);

REVOKE ALL ON FUNCTION cogdb.forget_entity(text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.forget_entity(text) IS NULL;
-- sql/functions/knowledge/forget_entity.sql as frozen in revision 0008
-- Deletes the entity a reference names (entity:<id>, name:<name>, key:<system>:<external id>;
-- an alias resolves to its survivor) if the caller can see it; true if one was deleted. Its
-- observations, aliases and relationships go with it (foreign keys, ON DELETE CASCADE). An
-- entity the caller cannot see returns false, exactly like a missing one.
CREATE OR REPLACE FUNCTION cogdb.forget_entity(ref text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_kind text;
    v_id text;
BEGIN
    PERFORM cogdb.require_tenant('forgetting an entity');
    SELECT r.kind, r.id INTO v_kind, v_id FROM cogdb.resolve_node(ref, 'ref') r;
    IF v_kind IS DISTINCT FROM 'entity' THEN
        RETURN false;
    END IF;
    DELETE FROM cogdb.entities e WHERE e.id = v_id;
    RETURN FOUND;
END
$$;

REVOKE ALL ON FUNCTION cogdb.forget_entity(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.forget_entity(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.forget_entity(text) IS
    'Deletes an entity the caller can see, with its observations, aliases and relationships; false for a missing or invisible one.';

REVOKE ALL ON FUNCTION cogdb.merge_entities(text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.merge_entities(text, text) IS NULL;
-- sql/functions/knowledge/merge_entities.sql as frozen in revision 0012
-- Merges entity `other` into `survivor` (references as for resolve_node; both visible to the
-- caller, two different entities) and returns the survivor's id with what moved:
--   * the survivor's data becomes jsonb_merge(other.data, survivor.data) (the survivor's
--     values win; keys only the other had are kept), update_count the sum, first_seen the
--     earlier and last_seen the later of the two;
--   * the other's observations move to the survivor (each kept once);
--   * relationships of the other move to the survivor: re-pointed (history too), or
--     superseded when the survivor already has the same active fact, or when they joined
--     the two (a self-loop); relationships_moved counts the current ones re-pointed;
--   * the other stays as an alias: merged_into = survivor, so lookups by its key (and by the
--     keys of entities merged into it before) return the survivor.
-- A shared (tenant) entity can only be merged into a shared one: its users would lose it
-- otherwise.
--
-- Definer, because relationships of the other that the caller cannot see (private to another
-- user, or to a node only another user sees) must move too: it takes, in turn, the context of
-- the tenant without a user and of each of its users (enter_tenant), moves what each one
-- sees, and restores the caller's context. The counts returned are what the caller can see.
-- Besides the audit records of the rows it changes, it appends an audit note 'entity.merge'.
CREATE OR REPLACE FUNCTION cogdb.merge_entities(survivor text, other text)
    RETURNS TABLE (id text, merged text, observations_moved integer,
                   relationships_moved integer, relationships_superseded integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.require_tenant('merging entities');
    v_caller text[];
    v_user uuid;
    v_sk text;
    v_sid text;
    v_ok text;
    v_oid text;
    v_s cogdb.entities;
    v_o cogdb.entities;
    v_obs integer;
    v_moved integer := 0;
    v_superseded integer := 0;
    v_mine boolean;
    v_n integer;
BEGIN
    SELECT r.kind, r.id INTO v_sk, v_sid FROM cogdb.resolve_node(survivor, 'survivor') r;
    SELECT r.kind, r.id INTO v_ok, v_oid FROM cogdb.resolve_node(other, 'other') r;
    IF v_sid IS NULL OR v_oid IS NULL OR v_sk <> 'entity' OR v_ok <> 'entity' THEN
        RAISE EXCEPTION 'no entity % in this context',
                        quote_literal(left(CASE WHEN v_sid IS NULL OR v_sk <> 'entity' THEN survivor
                                                ELSE other END, 80))
            USING ERRCODE = 'CGN01',
                  COLUMN = CASE WHEN v_sid IS NULL OR v_sk <> 'entity' THEN 'survivor' ELSE 'other' END,
                  HINT = 'Both must be entities the context can see.';
    END IF;
    IF v_sid = v_oid THEN
        RAISE EXCEPTION 'survivor and other are the same entity'
            USING ERRCODE = 'CGV01', COLUMN = 'other',
                  HINT = 'The other may already have been merged into the survivor.';
    END IF;
    -- Lock both, in id order (two merges of the same pair cannot deadlock).
    PERFORM FROM cogdb.entities e WHERE e.id IN (v_sid, v_oid) ORDER BY e.id FOR UPDATE;
    SELECT * INTO v_s FROM cogdb.entities e WHERE e.id = v_sid;
    SELECT * INTO v_o FROM cogdb.entities e WHERE e.id = v_oid;
    IF v_o.visibility = 'tenant' AND v_s.visibility = 'private' THEN
        RAISE EXCEPTION 'a shared entity can only be merged into a shared one'
            USING ERRCODE = 'CGV01', COLUMN = 'survivor',
                  HINT = 'Make the survivor shared first (upsert it with visibility tenant).';
    END IF;

    UPDATE cogdb.entities e
       SET data = cogdb.jsonb_merge(v_o.data, e.data),
           update_count = e.update_count + v_o.update_count,
           first_seen = least(e.first_seen, v_o.first_seen),
           last_seen = greatest(e.last_seen, v_o.last_seen, now())
     WHERE e.id = v_sid;
    WITH gone AS (
        DELETE FROM cogdb.entity_observations o WHERE o.entity_id = v_oid
        RETURNING o.observation, o.created_at
    ), added AS (
        INSERT INTO cogdb.entity_observations AS o (entity_id, observation, created_at)
        SELECT v_sid, g.observation, g.created_at FROM gone g
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT count(*) INTO v_obs FROM gone;

    -- Relationships and aliases of the other, in every context that sees some of them.
    v_caller := cogdb.enter_tenant(v_tenant, NULL);
    -- The caller's own context first, so the counts returned are what it sees.
    FOR v_user, v_mine IN
        SELECT x.id, m.mine FROM (
            SELECT NULL::uuid AS id
            UNION ALL
            SELECT u.id FROM cogdb.users u) x
         CROSS JOIN LATERAL (SELECT x.id IS NOT DISTINCT FROM nullif(v_caller[2], '')::uuid AS mine) m
         ORDER BY m.mine DESC, x.id NULLS FIRST
    LOOP
        PERFORM cogdb.enter_tenant(v_tenant, v_user);
        -- Superseded instead of moved: self-loops, and facts the survivor already has.
        UPDATE cogdb.relationships r SET superseded_at = now(), superseded_by = (
                   SELECT s.id FROM cogdb.relationships s
                    WHERE s.superseded_at IS NULL AND s.valid_to IS NULL AND s.type = r.type
                      AND s.visibility = r.visibility
                      AND s.owner_user_id IS NOT DISTINCT FROM
                          CASE WHEN r.visibility = 'private' THEN r.owner_user_id ELSE s.owner_user_id END
                      AND (s.from_memory_id, s.from_entity_id, s.to_memory_id, s.to_entity_id)
                          IS NOT DISTINCT FROM
                          (r.from_memory_id,
                           CASE WHEN r.from_entity_id = v_oid THEN v_sid ELSE r.from_entity_id END,
                           r.to_memory_id,
                           CASE WHEN r.to_entity_id = v_oid THEN v_sid ELSE r.to_entity_id END)
                    LIMIT 1)
         WHERE (r.from_entity_id = v_oid OR r.to_entity_id = v_oid) AND r.superseded_at IS NULL
           AND ((r.from_entity_id = v_oid AND r.to_entity_id = v_sid)
                OR (r.from_entity_id = v_sid AND r.to_entity_id = v_oid)
                OR (r.valid_to IS NULL AND EXISTS (
                    SELECT FROM cogdb.relationships s
                     WHERE s.superseded_at IS NULL AND s.valid_to IS NULL AND s.type = r.type
                       AND s.visibility = r.visibility
                       AND (r.visibility = 'tenant' OR s.owner_user_id = r.owner_user_id)
                       AND (s.from_memory_id, s.from_entity_id, s.to_memory_id, s.to_entity_id)
                           IS NOT DISTINCT FROM
                           (r.from_memory_id,
                            CASE WHEN r.from_entity_id = v_oid THEN v_sid ELSE r.from_entity_id END,
                            r.to_memory_id,
                            CASE WHEN r.to_entity_id = v_oid THEN v_sid ELSE r.to_entity_id END))));
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_superseded := v_superseded + CASE WHEN v_mine THEN v_n ELSE 0 END;
        -- Re-pointed: everything else, history included (counted: the current ones).
        WITH moved AS (
            UPDATE cogdb.relationships r
               SET from_entity_id = CASE WHEN r.from_entity_id = v_oid THEN v_sid ELSE r.from_entity_id END,
                   to_entity_id = CASE WHEN r.to_entity_id = v_oid THEN v_sid ELSE r.to_entity_id END
             WHERE (r.from_entity_id = v_oid OR r.to_entity_id = v_oid)
               AND NOT (r.superseded_at IS NOT NULL
                        AND (r.from_entity_id = v_sid OR r.to_entity_id = v_sid))
            RETURNING r.superseded_at
        )
        SELECT count(*) FILTER (WHERE m.superseded_at IS NULL) INTO v_n FROM moved m;
        v_moved := v_moved + CASE WHEN v_mine THEN v_n ELSE 0 END;
        UPDATE cogdb.entities e SET merged_into = v_sid WHERE e.merged_into = v_oid;
    END LOOP;
    PERFORM cogdb.restore_context(v_caller);

    UPDATE cogdb.entities e SET merged_into = v_sid WHERE e.id = v_oid;
    -- The merge as one audit note beside the records of the rows it changed.
    PERFORM cogdb.audit_note('entity.merge', jsonb_build_object(
        'survivor', v_sid, 'merged', v_oid, 'observations_moved', v_obs,
        'relationships_moved', v_moved, 'relationships_superseded', v_superseded));
    RETURN QUERY SELECT v_sid, v_oid, v_obs, v_moved, v_superseded;
END
$$;

REVOKE ALL ON FUNCTION cogdb.merge_entities(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.merge_entities(text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.merge_entities(text, text) IS
    'Merges one entity into another: data, observations and relationships move to the survivor, and the other becomes an alias that resolves to it.';

REVOKE ALL ON FUNCTION cogdb.upsert_entity(text, text, text, text, jsonb, text[], text, public.vector, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.upsert_entity(text, text, text, text, jsonb, text[], text, public.vector, text) IS NULL;
-- sql/functions/knowledge/upsert_entity.sql as frozen in revision 0008
-- Creates or updates the entity keyed (system, external_id) and returns its id, whether this
-- call created it, and its update_count. system '' (the default) keys the entity by name: external_id
-- is the name, as assistants name entities. On an existing entity:
--   data          merged with cogdb.jsonb_merge: nested objects key by key (recursively),
--                 everything else (scalars, lists, a conflict of types such as an object
--                 replaced by a scalar) replaced by the newer value; nothing else is lost;
--   entity_type, name, visibility, embedding
--                 replaced when given, kept when NULL;
--   observations  added, each kept once (cogdb.entity_observations);
--   update_count  +1 for every upsert; last_seen = now().
-- Race-free: one INSERT … ON CONFLICT DO UPDATE, so concurrent upserts of one key each merge
-- into the latest version and none is lost. The key of a merged entity (an alias) updates its
-- survivor. A key taken by an entity the caller cannot see (another user's private one) is
-- refused with CGA02, which tells the caller the key is taken (docs/trust-model.md, known
-- limits).
CREATE OR REPLACE FUNCTION cogdb.upsert_entity(external_id text, system text DEFAULT '',
                                               entity_type text DEFAULT NULL,
                                               name text DEFAULT NULL,
                                               data jsonb DEFAULT NULL,
                                               observations text[] DEFAULT NULL,
                                               visibility text DEFAULT NULL,
                                               embedding public.vector DEFAULT NULL,
                                               model text DEFAULT NULL)
    RETURNS TABLE (id text, created boolean, update_count bigint)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    p_external constant text := upsert_entity.external_id;
    p_system constant text := coalesce(upsert_entity.system, '');
    p_type constant text := upsert_entity.entity_type;
    p_name constant text := upsert_entity.name;
    p_data constant jsonb := upsert_entity.data;
    p_visibility constant text := upsert_entity.visibility;
    p_embedding constant public.vector := upsert_entity.embedding;
    v_model text;
    v_id text;
    v_target text;
    v_count bigint;
    v_created boolean;
BEGIN
    PERFORM cogdb.require_tenant('writing entities');
    IF p_external IS NULL OR length(p_external) NOT BETWEEN 1 AND 500 THEN
        RAISE EXCEPTION 'external_id (the name, for name-keyed entities) must be 1-500 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'external_id',
                  HINT = 'e.g. cogdb.upsert_entity(''Acme Corp'', entity_type => ''customer'')';
    END IF;
    IF p_system <> '' AND p_system !~ '^[a-z0-9][a-z0-9_.-]{0,63}$' THEN
        RAISE EXCEPTION 'system must be '''' (name-keyed) or 1-64 of a-z 0-9 _ . - starting with a letter or digit, got %',
                        quote_literal(left(p_system, 60))
            USING ERRCODE = 'CGV01', COLUMN = 'system',
                  HINT = 'e.g. crm, github, jira; leave it out to key the entity by its name.';
    END IF;
    IF p_visibility IS NOT NULL AND p_visibility NOT IN ('private', 'tenant') THEN
        RAISE EXCEPTION 'visibility must be private or tenant, got %', quote_literal(left(p_visibility, 60))
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'private: the context''s user only; tenant: everyone in the tenant.';
    END IF;
    IF p_data IS NOT NULL AND jsonb_typeof(p_data) <> 'object' THEN
        RAISE EXCEPTION 'data must be a JSON object, got %', jsonb_typeof(p_data)
            USING ERRCODE = 'CGV01', COLUMN = 'data',
                  HINT = 'e.g. {"plan": "enterprise", "address": {"city": "Berlin"}}';
    END IF;
    IF EXISTS (SELECT FROM unnest(observations) o
                WHERE o IS NULL OR length(btrim(o)) NOT BETWEEN 1 AND 2000) THEN
        RAISE EXCEPTION 'each observation must be 1-2000 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'observations',
                  HINT = 'An observation is one short fact, e.g. ''prefers email''.';
    END IF;
    IF p_embedding IS NOT NULL THEN
        v_model := (cogdb.resolve_model(upsert_entity.model)).name;
    END IF;
    v_id := cogdb.entity_id_for(p_system, p_external);

    BEGIN
        LOOP
            SELECT e.merged_into INTO v_target FROM cogdb.entities e WHERE e.id = v_id;
            IF v_target IS NOT NULL THEN  -- an alias: the survivor takes the upsert
                UPDATE cogdb.entities e
                   SET entity_type = coalesce(p_type, e.entity_type), name = coalesce(p_name, e.name),
                       data = cogdb.jsonb_merge(e.data, p_data),
                       visibility = coalesce(p_visibility, e.visibility),
                       update_count = e.update_count + 1, last_seen = greatest(e.last_seen, now()),
                       model = CASE WHEN p_embedding IS NULL THEN e.model ELSE v_model END,
                       embedding = coalesce(p_embedding, e.embedding)
                 WHERE e.id = v_target AND e.merged_into IS NULL
                RETURNING e.update_count INTO v_count;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'the key % was merged into an entity this context cannot see',
                                    quote_literal(left(p_external, 60))
                        USING ERRCODE = 'CGA02', COLUMN = 'external_id',
                              HINT = 'Upsert it in the context of the survivor''s owner.';
                END IF;
                v_created := false;
                v_id := v_target;
                EXIT;
            END IF;
            INSERT INTO cogdb.entities AS e (id, system, external_id, entity_type, name, data,
                                             visibility, model, embedding)
            VALUES (v_id, p_system, p_external, coalesce(p_type, 'thing'), coalesce(p_name, p_external),
                    coalesce(p_data, '{}'), coalesce(p_visibility, 'tenant'), v_model, p_embedding)
            ON CONFLICT ON CONSTRAINT entities_pkey DO UPDATE
               SET entity_type = coalesce(p_type, e.entity_type), name = coalesce(p_name, e.name),
                   data = cogdb.jsonb_merge(e.data, p_data),
                   visibility = coalesce(p_visibility, e.visibility),
                   update_count = e.update_count + 1, last_seen = greatest(e.last_seen, now()),
                   model = CASE WHEN p_embedding IS NULL THEN e.model ELSE v_model END,
                   embedding = coalesce(p_embedding, e.embedding)
             WHERE e.merged_into IS NULL
            RETURNING e.update_count, e.xmax = 0 INTO v_count, v_created;
            EXIT WHEN FOUND;
            -- The key became an alias after the first look (a concurrent merge): go again.
        END LOOP;
    EXCEPTION WHEN insufficient_privilege THEN
        -- ON CONFLICT met a row that the update policy hides: another user's private entity.
        RAISE EXCEPTION 'the key % is taken by an entity this context cannot see',
                        quote_literal(left(p_external, 60))
            USING ERRCODE = 'CGA02', COLUMN = 'external_id',
                  HINT = 'Keys are unique in the tenant; use another key or system.';
    END;

    IF observations IS NOT NULL THEN
        INSERT INTO cogdb.entity_observations AS o (entity_id, observation)
        SELECT v_id, x.observation
          FROM (SELECT btrim(u.o) AS observation, min(u.n) AS n
                  FROM unnest(observations) WITH ORDINALITY AS u(o, n) GROUP BY 1) x
         ORDER BY x.n
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN QUERY SELECT v_id, v_created, v_count;
END
$$;

REVOKE ALL ON FUNCTION cogdb.upsert_entity(text, text, text, text, jsonb, text[], text, public.vector, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.upsert_entity(text, text, text, text, jsonb, text[], text, public.vector, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.upsert_entity(text, text, text, text, jsonb, text[], text, public.vector, text) IS
    'Creates or updates the entity keyed (system, external_id), merging its data key by key; race-free, every upsert counted.';

-- sql/policies/entity_observations__own_deletes.sql: new in this revision
DROP POLICY entity_observations__own_deletes ON cogdb.entity_observations;

-- sql/policies/entity_observations__visible_entity.sql as frozen in revision 0015
-- Observations share their entity's visibility: a row is visible (and writable) when the
-- caller can see its entity, read under the entities policies. The only permissive policy
-- on entity_observations. The entities fence scopes the id to the context's tenant; this
-- table's own fence (entity_observations__tenant_fence) keeps the observation there. The
-- sub-select also names the context's tenant (an InitPlan): one partition, one shard on a
-- cluster distributed by tenant (docs/scale-out.md); not the row's own tenant_id, which
-- would make the fence redundant (and its loosening untestable).
DROP POLICY IF EXISTS entity_observations__visible_entity ON cogdb.entity_observations;
CREATE POLICY entity_observations__visible_entity ON cogdb.entity_observations
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (EXISTS (SELECT FROM cogdb.entities e
                    WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                      AND e.id = entity_observations.entity_id))
    WITH CHECK (EXISTS (SELECT FROM cogdb.entities e
                         WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                           AND e.id = entity_observations.entity_id));

-- sql/policies/entity_observations__tenant_fence.sql as frozen in revision 0008
-- The tenant fence on entity_observations: a row is readable and writable only inside its own tenant's
-- context. RESTRICTIVE, so no permissive policy added later can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS entity_observations__tenant_fence ON cogdb.entity_observations;
CREATE POLICY entity_observations__tenant_fence ON cogdb.entity_observations
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));

-- sql/policies/entities__own_deletes.sql: new in this revision
DROP POLICY entities__own_deletes ON cogdb.entities;

-- sql/policies/entities__own_updates.sql: new in this revision
DROP POLICY entities__own_updates ON cogdb.entities;

-- sql/policies/entities__tenant_fence.sql as frozen in revision 0008
-- The tenant fence on entities: a row is readable and writable only inside its own tenant's
-- context. RESTRICTIVE, so no permissive policy added later can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS entities__tenant_fence ON cogdb.entities;
CREATE POLICY entities__tenant_fence ON cogdb.entities
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));

DROP FUNCTION cogdb.share_report();
-- sql/functions/sharing/share_report.sql as frozen in revision 0015
-- The DBA's list of every live grant in the deployment (not revoked, not expired): who
-- shares with whom, what, since when, until when, granted by which login. Not findings:
-- policy_report stays about the deployment's safety, this lists the sharing it allows on
-- purpose. Definer for cogdb_admin and cogdb_auditor: FORCE RLS fences the owner too, so it
-- reads each sharing tenant's grants inside that tenant (enter_tenant), strict ones skipped.
CREATE OR REPLACE FUNCTION cogdb.share_report()
    RETURNS TABLE (id uuid, tenant_id uuid, tenant_name text, grantee_id uuid,
                   grantee_name text, context_types text[], tags text[], memory_ids text[],
                   expires_at timestamptz, created_at timestamptz, granted_by text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    t record;
    v_saved text[];
BEGIN
    FOR t IN SELECT x.id, x.name FROM cogdb.tenants x
              WHERE x.isolation_level <> 'strict' ORDER BY x.name, x.id LOOP
        v_saved := cogdb.enter_tenant(t.id);
        RETURN QUERY
        SELECT g.id, g.tenant_id, t.name, g.grantee_id,
               (SELECT e.name FROM cogdb.tenants e WHERE e.id = g.grantee_id),
               g.context_types, g.tags, g.memory_ids, g.expires_at, g.created_at, g.granted_by
          FROM cogdb.share_grants g
         WHERE g.tenant_id = t.id AND g.revoked_at IS NULL
           AND (g.expires_at IS NULL OR g.expires_at > now())
         ORDER BY g.created_at, g.id;
        PERFORM cogdb.restore_context(v_saved);
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION cogdb.share_report() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.share_report() TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.share_report() IS
    'Every live read grant between tenants (who, to whom, what, until when, granted by): the DBA''s list of what sharing the deployment allows.';

DROP FUNCTION cogdb.list_shares(text);
-- sql/functions/sharing/list_shares.sql as frozen in revision 0015
-- A tenant's grants, given (direction 'given': it is source_tenant_id) and received
-- ('received': it is grantee_id), newest first, revoked and expired ones included (`live` says which still
-- apply). Definer for cogdb_admin: it reads each side inside its own tenant (enter_tenant).
CREATE OR REPLACE FUNCTION cogdb.list_shares(tenant_id text)
    RETURNS TABLE (direction text, id uuid, source_tenant_id uuid, grantee_id uuid,
                   context_types text[], tags text[], memory_ids text[],
                   expires_at timestamptz, created_at timestamptz, revoked_at timestamptz,
                   live boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := cogdb.known_tenant(list_shares.tenant_id);
    v_saved text[] := cogdb.enter_tenant(v_tenant);
BEGIN
    RETURN QUERY
    SELECT x.* FROM (
        SELECT 'given'::text, g.id, g.tenant_id, g.grantee_id, g.context_types, g.tags,
               g.memory_ids, g.expires_at, g.created_at, g.revoked_at,
               g.revoked_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > now())
          FROM cogdb.share_grants g WHERE g.tenant_id = v_tenant
        UNION ALL
        SELECT 'received'::text, r.id, r.source_tenant_id, r.tenant_id, r.context_types, r.tags,
               r.memory_ids, r.expires_at, r.created_at, r.revoked_at,
               r.revoked_at IS NULL AND (r.expires_at IS NULL OR r.expires_at > now())
          FROM cogdb.share_receipts r WHERE r.tenant_id = v_tenant) x
     ORDER BY x.created_at DESC, x.id;
    PERFORM cogdb.restore_context(v_saved);
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_shares(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_shares(text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.list_shares(text) IS
    'A tenant''s read grants, given and received, with whether each is still live.';

DROP FUNCTION cogdb.grant_share(text, text, text[], text[], text[], timestamptz, text[], text[]);
-- sql/functions/sharing/grant_share.sql as frozen in revision 0015
-- The granting tenant's admin lets grantee_id read the subset of tenant_id's tenant-visible
-- memories that every given criterion covers (context_types; tags: any of them; memory_ids),
-- until expires_at (NULL: until revoked). Both tenants must be at isolation level shared or
-- federated (a strict one is refused, CGF01 naming the field). At least one criterion; a
-- private memory is never shared whatever the criteria. Writes the grant (tenant_id's
-- share_grants) and the grantee's copy (share_receipts), both audited, and returns the grant's
-- id. Re-asserting a live grant of the same scope returns it and keeps the earlier expiry:
-- a re-assertion never removes or extends an expiry (revoke it and grant anew to extend).
-- Definer for cogdb_admin, like the retention functions (known_tenant); the app can neither
-- call it nor write either table, so a recipient cannot extend, widen or re-share a grant.
CREATE OR REPLACE FUNCTION cogdb.grant_share(tenant_id text, grantee_id text,
                                             context_types text[] DEFAULT NULL,
                                             tags text[] DEFAULT NULL,
                                             memory_ids text[] DEFAULT NULL,
                                             expires_at timestamptz DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_grantee uuid := cogdb.parse_uuid(grantee_id, 'grantee_id');
    v_types text[];
    v_tags text[];
    v_ids text[];
    v_level text;
    v_id uuid;
    v_old timestamptz;
    v_saved text[];
BEGIN
    IF v_grantee IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_grantee) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_grantee::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'grantee_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    IF v_grantee = v_tenant THEN
        RAISE EXCEPTION 'grantee_id must be another tenant than tenant_id'
            USING ERRCODE = 'CGV01', COLUMN = 'grantee_id',
                  HINT = 'A tenant reads its own memories without a grant.';
    END IF;
    SELECT t.isolation_level INTO v_level FROM cogdb.tenants t WHERE t.id = v_tenant;
    IF v_level = 'strict' THEN
        RAISE EXCEPTION 'tenant % is at isolation level strict: it cannot share', v_tenant
            USING ERRCODE = 'CGF01', COLUMN = 'tenant_id',
                  HINT = 'Only tenants at isolation level shared or federated grant or receive.';
    END IF;
    SELECT t.isolation_level INTO v_level FROM cogdb.tenants t WHERE t.id = v_grantee;
    IF v_level = 'strict' THEN
        RAISE EXCEPTION 'tenant % is at isolation level strict: it cannot receive', v_grantee
            USING ERRCODE = 'CGF01', COLUMN = 'grantee_id',
                  HINT = 'Only tenants at isolation level shared or federated grant or receive.';
    END IF;
    v_types := ARRAY(SELECT DISTINCT x FROM unnest(context_types) x ORDER BY 1);
    v_tags := ARRAY(SELECT DISTINCT x FROM unnest(tags) x ORDER BY 1);
    v_ids := ARRAY(SELECT DISTINCT x FROM unnest(memory_ids) x ORDER BY 1);
    IF cardinality(v_types) = 0 THEN v_types := NULL; END IF;
    IF cardinality(v_tags) = 0 THEN v_tags := NULL; END IF;
    IF cardinality(v_ids) = 0 THEN v_ids := NULL; END IF;
    IF v_types IS NULL AND v_tags IS NULL AND v_ids IS NULL THEN
        RAISE EXCEPTION 'a grant needs at least one of context_types, tags, memory_ids'
            USING ERRCODE = 'CGV01', COLUMN = 'context_types',
                  HINT = 'Name what is shared: context types, tags (any of them) or memory ids.';
    END IF;
    IF EXISTS (SELECT FROM unnest(v_types) x
                WHERE x IS NULL OR NOT x = ANY (cogdb.allowed_values('context_type')))
       OR cardinality(v_types) > 64 THEN
        RAISE EXCEPTION 'context_types must be at most 64 of %',
                        array_to_string(cogdb.allowed_values('context_type'), ', ')
            USING ERRCODE = 'CGV01', COLUMN = 'context_types',
                  HINT = 'List the values with `cogdb vocabulary list context_type`.';
    END IF;
    IF EXISTS (SELECT FROM unnest(v_tags) x WHERE coalesce(length(x), 0) NOT BETWEEN 1 AND 255)
       OR cardinality(v_tags) > 256 THEN
        RAISE EXCEPTION 'tags must be at most 256 tags of 1-255 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'tags',
                  HINT = 'A memory is covered when it carries any of these tags.';
    END IF;
    IF EXISTS (SELECT FROM unnest(v_ids) x
                WHERE x IS NULL OR length(x) > 128 OR x !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]*$')
       OR cardinality(v_ids) > 10000 THEN
        RAISE EXCEPTION 'memory_ids must be at most 10000 memory ids'
            USING ERRCODE = 'CGV01', COLUMN = 'memory_ids',
                  HINT = 'Ids as remember() returned them (letters, digits, _ . : -).';
    END IF;
    IF expires_at <= now() THEN
        RAISE EXCEPTION 'expires_at must be in the future, got %', expires_at
            USING ERRCODE = 'CGV01', COLUMN = 'expires_at',
                  HINT = 'Leave it out for a grant that lasts until it is revoked.';
    END IF;

    v_saved := cogdb.enter_tenant(v_tenant);
    SELECT g.id, g.expires_at INTO v_id, v_old
      FROM cogdb.share_grants g
     WHERE g.tenant_id = v_tenant AND g.grantee_id = v_grantee AND g.revoked_at IS NULL
       AND (g.expires_at IS NULL OR g.expires_at > now())
       AND g.context_types IS NOT DISTINCT FROM v_types AND g.tags IS NOT DISTINCT FROM v_tags
       AND g.memory_ids IS NOT DISTINCT FROM v_ids
     ORDER BY g.created_at LIMIT 1
       FOR UPDATE;
    IF v_id IS NOT NULL THEN
        -- A re-assertion: the earlier of the two expiries, NULL (none) only if both are.
        IF v_old IS NULL AND expires_at IS NOT NULL OR v_old > expires_at THEN
            UPDATE cogdb.share_grants g SET expires_at = grant_share.expires_at
             WHERE g.tenant_id = v_tenant AND g.id = v_id;
            PERFORM cogdb.restore_context(v_saved);
            v_saved := cogdb.enter_tenant(v_grantee);
            UPDATE cogdb.share_receipts r SET expires_at = grant_share.expires_at
             WHERE r.tenant_id = v_grantee AND r.id = v_id;
        END IF;
        PERFORM cogdb.restore_context(v_saved);
        RETURN v_id;
    END IF;
    INSERT INTO cogdb.share_grants AS g
           (tenant_id, grantee_id, context_types, tags, memory_ids, expires_at)
    VALUES (v_tenant, v_grantee, v_types, v_tags, v_ids, expires_at)
    RETURNING g.id INTO v_id;
    PERFORM cogdb.restore_context(v_saved);
    v_saved := cogdb.enter_tenant(v_grantee);
    INSERT INTO cogdb.share_receipts AS r
           (tenant_id, id, source_tenant_id, context_types, tags, memory_ids, expires_at)
    VALUES (v_grantee, v_id, v_tenant, v_types, v_tags, v_ids, expires_at);
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.grant_share(text, text, text[], text[], text[], timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.grant_share(text, text, text[], text[], text[], timestamptz) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.grant_share(text, text, text[], text[], text[], timestamptz) IS
    'Lets grantee_id read tenant_id''s tenant-visible memories that every given criterion covers (context types, tags, memory ids), until expires_at; both at isolation level shared or federated. Returns the grant id.';

DROP FUNCTION cogdb.note_shared_read(uuid, text, integer, integer);
-- sql/functions/sharing/note_shared_read.sql as frozen in revision 0020
-- Leaves a note in the source tenant's audit chain that the context tenant read `memories` of
-- its shared memories through `via` (search, get, neighbors): counts, never ids or content
-- (audit_note). Only for a source whose live grant the context holds, else nothing (so
-- the app, which search and get run as, can add notes only to the chains of tenants that
-- share with it). Definer:
-- it enters the source tenant to write its note (enter_tenant) and puts the caller's
-- context back.
CREATE OR REPLACE FUNCTION cogdb.note_shared_read(source_tenant uuid, via text, memories integer)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_grantee uuid := cogdb.require_tenant('a shared read');
    v_user uuid := cogdb.current_user_id();
    v_saved text[];
BEGIN
    IF memories IS NULL OR memories < 1 OR via IS NULL OR via NOT IN ('search', 'get', 'neighbors')
       OR NOT EXISTS (SELECT FROM cogdb.share_receipts r
                       WHERE r.tenant_id = v_grantee AND r.source_tenant_id = source_tenant
                         AND r.revoked_at IS NULL
                         AND (r.expires_at IS NULL OR r.expires_at > now())) THEN
        RETURN;
    END IF;
    v_saved := cogdb.enter_tenant(source_tenant);
    PERFORM cogdb.audit_note('share.read', jsonb_build_object(
        'grantee', v_grantee, 'user', v_user, 'via', via, 'memories', memories));
    PERFORM cogdb.restore_context(v_saved);
END
$$;

REVOKE ALL ON FUNCTION cogdb.note_shared_read(uuid, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.note_shared_read(uuid, text, integer) TO cogdb_app;
COMMENT ON FUNCTION cogdb.note_shared_read(uuid, text, integer) IS
    'Notes a shared read (grantee, user, path, count; never content) in the source tenant''s audit chain.';

-- sql/functions/sharing/entity_grant_covers.sql: new in this revision
DROP FUNCTION cogdb.entity_grant_covers(jsonb, text, text, text);

REVOKE ALL ON FUNCTION cogdb.readable_tenants() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.readable_tenants() IS NULL;
-- sql/functions/sharing/readable_tenants.sql as frozen in revision 0015
-- The tenants whose rows the context may read in this statement: its own, then the source
-- tenants of its live grants when the transaction asked for shared rows (live_grants' keys;
-- none otherwise). memories__tenant_fence compares tenant_id with it first, as an InitPlan:
-- `tenant_id = ANY (…)` is an index condition and a partition-pruning key, so a query that
-- names another tenant reads none of its rows, and EXPLAIN ANALYZE has nothing to count
-- ("Rows Removed by Filter"); the per-row grant test (grant_covers) only ever sees rows of
-- this list. Inlinable (LANGUAGE sql, no SET clause, every name qualified).
CREATE OR REPLACE FUNCTION cogdb.readable_tenants() RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT pg_catalog.array_prepend(
               cogdb.current_tenant_id(),
               ARRAY(SELECT k::uuid FROM pg_catalog.jsonb_object_keys(cogdb.live_grants()) AS k))
$$;

REVOKE ALL ON FUNCTION cogdb.readable_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.readable_tenants() TO cogdb_app;
COMMENT ON FUNCTION cogdb.readable_tenants() IS
    'The context tenant and, when the transaction asked for shared rows, the sources of its live grants: the tenants memories__tenant_fence lets a statement read.';

REVOKE ALL ON FUNCTION cogdb.live_grants() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.live_grants() IS NULL;
-- sql/functions/sharing/live_grants.sql as frozen in revision 0015
-- The grants the context tenant holds and may read through now, for the memories fence, by
-- source tenant: {"<source uuid>": {"g": [{"c": [context types], "g": [tags], "i": [memory
-- ids]}, …], "h": <epoch seconds>}} (a grant leaves out a criterion it does not narrow by;
-- "h" is the source's retention_horizon(), the youngest of its age cutoffs, -1e15 without
-- one). NULL unless the transaction asked for shared rows (app.include_shared holds this
-- transaction's stamp: set by search and get for their own statements, see share_request)
-- or when no live grant exists. Live: not revoked, not expired (read at each statement, so a
-- revocation or an expiry applies to the next one). "h" goes with the grants so that
-- grant_covers hides what the source's retention hides (memories__retained computes the
-- context tenant's cutoffs only): conservatively, every shared memory older than the
-- source's shortest max_age (unless anonymised), even where a more specific policy of the
-- source keeps it longer. Definer: FORCE RLS fences the owner too, so it reads the
-- grantee's copies in the caller's context and each source's policies inside the source
-- (enter_tenant), then puts the context back. Called once per query (an InitPlan in
-- memories__tenant_fence), and only for a row of another tenant.
CREATE OR REPLACE FUNCTION cogdb.live_grants() RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_out jsonb := '{}';
    v_saved text[];
    r record;
BEGIN
    IF v_tenant IS NULL
       OR current_setting('app.include_shared', true) IS DISTINCT FROM cogdb.context_stamp() THEN
        RETURN NULL;
    END IF;
    FOR r IN
        SELECT s.source_tenant_id AS source,
               jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                   'c', to_jsonb(s.context_types), 'g', to_jsonb(s.tags),
                   'i', to_jsonb(s.memory_ids)))) AS grants
          FROM cogdb.share_receipts s
         WHERE s.tenant_id = v_tenant AND s.revoked_at IS NULL
           AND (s.expires_at IS NULL OR s.expires_at > now())
         GROUP BY s.source_tenant_id
    LOOP
        v_saved := cogdb.enter_tenant(r.source);
        v_out := v_out || jsonb_build_object(r.source::text, jsonb_build_object(
            'g', r.grants,
            'h', greatest(extract(epoch FROM cogdb.retention_horizon()), -1e15)));
        PERFORM cogdb.restore_context(v_saved);
    END LOOP;
    RETURN nullif(v_out, '{}');
END
$$;

REVOKE ALL ON FUNCTION cogdb.live_grants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.live_grants() TO cogdb_app;
COMMENT ON FUNCTION cogdb.live_grants() IS
    'The context tenant''s live read grants by source tenant, with each source''s retention horizon, when the transaction asked for shared rows (else NULL); read once per query by memories__tenant_fence.';

-- >>> step 20_entities_owner_index.down.sql
-- The owner index of every entity, as revision 0008 made it.
DROP INDEX cogdb.entities_tenant_owner_idx;
CREATE INDEX entities_tenant_owner_idx ON cogdb.entities (tenant_id, owner_user_id);
-- <<< step 20_entities_owner_index.down.sql

-- >>> step 10_entity_grants.down.sql
-- Grants that name entities only go (they would share nothing, and the old scope check
-- refuses them); the others lose their entity criteria. FORCE RLS fences the owner too:
-- each tenant's rows are deleted inside its context (enter_tenant), audited as usual.
DO $$
DECLARE
    v_tenant uuid;
BEGIN
    FOR v_tenant IN SELECT t.id FROM cogdb.tenants t ORDER BY t.id LOOP
        PERFORM cogdb.enter_tenant(v_tenant);
        DELETE FROM cogdb.share_receipts r
         WHERE r.tenant_id = v_tenant
           AND r.context_types IS NULL AND r.tags IS NULL AND r.memory_ids IS NULL;
        DELETE FROM cogdb.share_grants g
         WHERE g.tenant_id = v_tenant
           AND g.context_types IS NULL AND g.tags IS NULL AND g.memory_ids IS NULL;
    END LOOP;
    PERFORM set_config('app.tenant_id', '', true);
    PERFORM set_config('app.user_id', '', true);
    PERFORM set_config('app.context_xact', '', true);
END
$$;
ALTER TABLE cogdb.share_receipts DROP CONSTRAINT share_receipts_has_scope;
ALTER TABLE cogdb.share_receipts DROP COLUMN entity_types, DROP COLUMN entity_ids;
ALTER TABLE cogdb.share_receipts ADD CONSTRAINT share_receipts_has_scope
    CHECK (context_types IS NOT NULL OR tags IS NOT NULL OR memory_ids IS NOT NULL);
ALTER TABLE cogdb.share_grants DROP CONSTRAINT share_grants_has_scope;
ALTER TABLE cogdb.share_grants DROP COLUMN entity_types, DROP COLUMN entity_ids;
ALTER TABLE cogdb.share_grants ADD CONSTRAINT share_grants_has_scope
    CHECK (context_types IS NOT NULL OR tags IS NOT NULL OR memory_ids IS NOT NULL);
COMMENT ON TABLE cogdb.share_grants IS
    'Read grants a tenant gives another (context types, tags, memory ids; optional expiry; revocation). Fenced by the granting tenant (RLS); written by grant_share/revoke_share only.';
-- <<< step 10_entity_grants.down.sql

RESET ROLE;
