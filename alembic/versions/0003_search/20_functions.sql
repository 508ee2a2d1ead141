-- cogdb revision 0003 (adaptive scoped search): functions, copied from sql/functions/.
-- FROZEN: never edit. search() changes its signature, so the old one is dropped first.
SET LOCAL ROLE cogdb_owner;
DROP FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[],
                           timestamptz, timestamptz);

-- sql/functions/int_setting.sql
-- The integer value of a global setting in cogdb.settings (NULL if unset).
-- Search thresholds live there, not in GUCs: the app could change a GUC, and ALTER DATABASE
-- SET is not copied to template clones.
CREATE OR REPLACE FUNCTION cogdb.int_setting(key text) RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT (s.value #>> '{}')::integer FROM cogdb.settings s WHERE s.key = int_setting.key $$;

REVOKE ALL ON FUNCTION cogdb.int_setting(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.int_setting(text) TO cogdb_app, cogdb_admin;

-- sql/functions/ann_index_name.sql
-- The name of the partial HNSW index that serves one tenant's memories of one model:
-- memories_ann_<24 hex of md5(tenant/model)>. Deterministic, so search finds it by name and
-- maintain plans it without a registry; hashed, so names do not spell out tenant ids.
CREATE OR REPLACE FUNCTION cogdb.ann_index_name(tenant_id uuid, model text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT 'memories_ann_' || left(md5(tenant_id::text || '/' || model), 24) $$;

REVOKE ALL ON FUNCTION cogdb.ann_index_name(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.ann_index_name(uuid, text) TO cogdb_app, cogdb_admin;

-- sql/functions/count_memory_changes.sql
-- Statement trigger on memories: records how many rows each (tenant, model) gained or lost,
-- as append-only deltas in cogdb.memory_counts (no hot counter row, so concurrent writers of
-- one tenant never wait on each other). FORCE RLS hides other tenants' rows even from the
-- owner, so this is how `cogdb maintain` learns tenant sizes. Definer: the app has no
-- privilege on memory_counts.
CREATE OR REPLACE FUNCTION cogdb.count_memory_changes() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO cogdb.memory_counts (tenant_id, model, delta)
        SELECT n.tenant_id, n.model, count(*) FROM new_rows n GROUP BY 1, 2;
    ELSIF TG_OP = 'DELETE' THEN
        -- A tenant's deletion cascades here after the tenant row (and, by its own foreign
        -- key, its counts) are gone: nothing left to count for it.
        INSERT INTO cogdb.memory_counts (tenant_id, model, delta)
        SELECT o.tenant_id, o.model, -count(*) FROM old_rows o
         WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = o.tenant_id)
         GROUP BY 1, 2;
    ELSE  -- UPDATE: only a changed model moves rows between counts
        INSERT INTO cogdb.memory_counts (tenant_id, model, delta)
        SELECT c.tenant_id, c.model, sum(c.delta)
          FROM (SELECT n.tenant_id, n.model, 1 AS delta FROM new_rows n
                UNION ALL
                SELECT o.tenant_id, o.model, -1 FROM old_rows o) c
         GROUP BY 1, 2 HAVING sum(c.delta) <> 0;
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION cogdb.count_memory_changes() FROM PUBLIC;

-- sql/functions/compact_memory_counts.sql
-- Folds the deltas in cogdb.memory_counts into one row per (tenant, model) and returns how
-- many delta rows it removed. Deltas written meanwhile are not in this statement's snapshot
-- and stay, so nothing is lost. Run by `cogdb maintain` as the owner.
CREATE OR REPLACE FUNCTION cogdb.compact_memory_counts() RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH removed AS (
        DELETE FROM cogdb.memory_counts RETURNING tenant_id, model, delta
    ), folded AS (
        INSERT INTO cogdb.memory_counts (tenant_id, model, delta)
        SELECT r.tenant_id, r.model, sum(r.delta) FROM removed r
         GROUP BY 1, 2 HAVING sum(r.delta) <> 0
        RETURNING 1
    )
    SELECT count(*) FROM removed
$$;

REVOKE ALL ON FUNCTION cogdb.compact_memory_counts() FROM PUBLIC;

-- sql/functions/plan_maintenance.sql
-- What `cogdb maintain` should do, in order: each row is one statement to run on an owner
-- connection in autocommit (CREATE/DROP INDEX CONCURRENTLY cannot run inside a function).
--   drop_invalid  an ANN index left invalid by an interrupted build: dropped first, since its
--                 name blocks the rebuild
--   create        a tenant/model with at least search.ann_min_rows memories and no index
--   drop_unneeded an index whose tenant/model fell below half of search.ann_min_rows (the
--                 hysteresis keeps a tenant near the threshold from flapping)
-- Sizes come from cogdb.memory_counts (compact it first with compact_memory_counts()).
CREATE OR REPLACE FUNCTION cogdb.plan_maintenance()
    RETURNS TABLE (step integer, action text, index_name text, tenant_id uuid, model text,
                   memories bigint, statement text)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH sizes AS (
        SELECT c.tenant_id, c.model, sum(c.delta)::bigint AS n
          FROM cogdb.memory_counts c GROUP BY 1, 2
    ), indexes AS (
        SELECT ic.relname::text AS name, i.indisvalid AS valid
          FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
         WHERE i.indrelid = 'cogdb.memories'::regclass AND ic.relname LIKE 'memories\_ann\_%'
    ), wanted AS (
        SELECT s.tenant_id, s.model, s.n, cogdb.ann_index_name(s.tenant_id, s.model) AS name,
               m.dimensions
          FROM sizes s JOIN cogdb.embedding_models m ON m.name = s.model
    ), actions AS (
        SELECT 1 AS rank, 'drop_invalid' AS action, x.name, w.tenant_id, w.model, w.n
          FROM indexes x LEFT JOIN wanted w ON w.name = x.name
         WHERE NOT x.valid
        UNION ALL
        SELECT 2, 'create', w.name, w.tenant_id, w.model, w.n
          FROM wanted w
         WHERE w.n >= cogdb.int_setting('search.ann_min_rows')
           AND NOT EXISTS (SELECT FROM indexes x WHERE x.name = w.name AND x.valid)
        UNION ALL
        SELECT 3, 'drop_unneeded', x.name, w.tenant_id, w.model, coalesce(w.n, 0)
          FROM indexes x LEFT JOIN wanted w ON w.name = x.name
         WHERE x.valid AND coalesce(w.n, 0) < cogdb.int_setting('search.ann_min_rows') / 2
    )
    SELECT (row_number() OVER (ORDER BY a.rank, a.n DESC NULLS LAST, a.name))::integer,
           a.action, a.name, a.tenant_id, a.model, a.n,
           CASE WHEN a.action = 'create' THEN
               format('CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON cogdb.memories'
                      ' USING hnsw ((embedding::public.vector(%s)) public.vector_cosine_ops)'
                      ' WITH (m = %s, ef_construction = %s)'
                      ' WHERE tenant_id = %L::uuid AND model = %L',
                      a.name, w.dimensions, cogdb.int_setting('search.hnsw_m'),
                      cogdb.int_setting('search.hnsw_ef_construction'), a.tenant_id, a.model)
           ELSE format('DROP INDEX CONCURRENTLY IF EXISTS cogdb.%I', a.name) END
      FROM actions a LEFT JOIN wanted w ON w.name = a.name
$$;

REVOKE ALL ON FUNCTION cogdb.plan_maintenance() FROM PUBLIC;

-- sql/functions/search.sql
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
--   ann:<index>      the tenant's own partial HNSW index (see ann_index_name, built by
--                    `cogdb maintain`), with iterative scans so filters keep their recall.
-- The tenant and model reach the planner as literals, which is what lets it match the
-- partial index; the filters are bound parameters. ef_search (1-1000) tunes the ANN path.
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
                                        ef_search integer DEFAULT NULL)
    RETURNS TABLE (id text, similarity double precision, conversation_id text,
                   sequence_index integer, human_content text, assistant_content text,
                   summary text, context_type text, source text, created_at timestamptz,
                   expires_at timestamptz, visibility text, owner_user_id uuid, tags text[],
                   intent_type text, complexity text, technical_depth smallint,
                   emotional_valence text, urgency text, conversation_mode text,
                   action_required boolean, has_code boolean, has_error boolean,
                   cluster_id integer, cluster_label text, cluster_confidence real, plan text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET hnsw.ef_search = 100
    SET hnsw.iterative_scan = 'relaxed_order'
    SET hnsw.max_scan_tuples = 50000
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_model text := search.model;
    v_dims integer;
    v_max_k integer := cogdb.int_setting('search.max_k');
    v_exact_max integer;
    v_index text;
    v_visible bigint;
    -- $1 query, $2 k, then the filters; unset filters fold away when the query is planned.
    v_filters constant text :=
        ' AND (m.expires_at IS NULL OR m.expires_at > now())'
        ' AND ($3::text IS NULL OR m.conversation_id = $3)'
        ' AND ($4::text IS NULL OR m.source = $4)'
        ' AND ($5::text IS NULL OR m.context_type = $5)'
        ' AND ($6::text[] IS NULL OR m.tags && $6)'
        ' AND ($7::timestamptz IS NULL OR m.created_at >= $7)'
        ' AND ($8::timestamptz IS NULL OR m.created_at < $8)'
        ' AND ($9::uuid IS NULL OR m.owner_user_id = $9)'
        ' AND ($10::text IS NULL OR m.visibility = $10)';
    v_columns constant text :=
        's.id, 1 - s.distance, s.conversation_id, s.sequence_index, s.human_content,'
        ' s.assistant_content, s.summary, s.context_type, s.source, s.created_at,'
        ' s.expires_at, s.visibility, s.owner_user_id, s.tags, s.intent_type, s.complexity,'
        ' s.technical_depth, s.emotional_valence, s.urgency, s.conversation_mode,'
        ' s.action_required, s.has_code, s.has_error, s.cluster_id, s.cluster_label,'
        ' s.cluster_confidence';
BEGIN
    IF v_tenant IS NULL THEN
        RETURN;  -- no context: nothing is visible
    END IF;
    IF k IS NULL OR k NOT BETWEEN 1 AND v_max_k THEN
        RAISE EXCEPTION 'k must be between 1 and %, got %', v_max_k, coalesce(k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'k',
                  HINT = 'k is how many memories to return; the maximum is settings.search.max_k.';
    END IF;
    IF ef_search NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'ef_search must be between 1 and 1000, got %', ef_search
            USING ERRCODE = 'CGV01', COLUMN = 'ef_search',
                  HINT = 'Leave it out for the default (100); higher trades speed for recall.';
    END IF;
    IF only_visibility IS NOT NULL AND NOT only_visibility = ANY (cogdb.allowed_values('visibility')) THEN
        RAISE EXCEPTION 'only_visibility must be private or tenant, got %', quote_literal(only_visibility)
            USING ERRCODE = 'CGV01', COLUMN = 'only_visibility',
                  HINT = 'Leave it out to search everything the context may see.';
    END IF;
    IF v_model IS NULL THEN
        SELECT coalesce(t.default_model, s.value #>> '{}') INTO v_model
          FROM cogdb.tenants t LEFT JOIN cogdb.settings s ON s.key = 'default_model'
         WHERE t.id = v_tenant;
    END IF;
    SELECT em.dimensions INTO v_dims FROM cogdb.embedding_models em WHERE em.name = v_model;
    IF v_dims IS NULL THEN
        RAISE EXCEPTION 'unknown embedding model %', coalesce(quote_literal(v_model), 'NULL')
            USING ERRCODE = 'CGV02', COLUMN = 'model',
                  HINT = 'List models with: SELECT name, dimensions FROM cogdb.embedding_models;';
    END IF;
    IF query IS NULL OR public.vector_dims(query) <> v_dims THEN
        RAISE EXCEPTION 'query has % dimensions; model % needs %',
                        coalesce(public.vector_dims(query)::text, 'no'), quote_literal(v_model), v_dims
            USING ERRCODE = 'CGV01', COLUMN = 'query',
                  HINT = 'Embed the query with the model the memories were stored with.';
    END IF;
    IF public.vector_norm(query) = 0 THEN
        RAISE EXCEPTION 'query is a zero vector; cosine similarity is undefined for it'
            USING ERRCODE = 'CGV01', COLUMN = 'query',
                  HINT = 'Check the embedder: a real embedding has a non-zero norm.';
    END IF;

    v_index := cogdb.ann_index_name(v_tenant, v_model);
    IF EXISTS (SELECT FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE c.relname = v_index AND c.relnamespace = 'cogdb'::regnamespace
                  AND i.indisvalid) THEN
        -- Count the candidates the caller may see, stopping just past the exact threshold.
        v_exact_max := cogdb.int_setting('search.exact_max_rows');
        EXECUTE format('SELECT count(*) FROM (SELECT FROM cogdb.memories m'
                       ' WHERE m.tenant_id = %L AND m.model = %L%s LIMIT %s) c',
                       v_tenant, v_model, v_filters, v_exact_max + 1)
           INTO v_visible
          USING query, k, only_conversation, only_source, only_context_type, tags_any,
                created_after, created_before, only_owner, only_visibility;
        IF v_visible > v_exact_max THEN
            IF ef_search IS NOT NULL THEN  -- scoped to this call by the SET clause above
                PERFORM set_config('hnsw.ef_search', ef_search::text, true);
            END IF;
            RETURN QUERY EXECUTE format(
                'SELECT %s, %L::text FROM ('
                ' SELECT m.*, (m.embedding::public.vector(%s)) OPERATOR(public.<=>) $1 AS distance'
                '   FROM cogdb.memories m WHERE m.tenant_id = %L AND m.model = %L%s'
                '  ORDER BY (m.embedding::public.vector(%s)) OPERATOR(public.<=>) $1 LIMIT $2) s'
                ' ORDER BY s.distance, s.id',
                v_columns, 'ann:' || v_index, v_dims, v_tenant, v_model, v_filters, v_dims)
              USING query, k, only_conversation, only_source, only_context_type, tags_any,
                    created_after, created_before, only_owner, only_visibility;
            RETURN;
        END IF;
    END IF;

    RETURN QUERY EXECUTE format(
        'SELECT %s, ''exact''::text FROM ('
        ' SELECT m.*, m.embedding OPERATOR(public.<=>) $1 AS distance'
        '   FROM cogdb.memories m WHERE m.tenant_id = %L AND m.model = %L%s) s'
        ' ORDER BY s.distance, s.id LIMIT $2',
        v_columns, v_tenant, v_model, v_filters)
      USING query, k, only_conversation, only_source, only_context_type, tags_any,
            created_after, created_before, only_owner, only_visibility;
END
$$;

REVOKE ALL ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer) TO cogdb_app;

-- sql/policies/memory_counts__registry_owner.sql
-- Tenant sizes are read and written by the owner only (the count_memory_changes trigger and
-- `cogdb maintain`); no other role has any privilege on the table.
DROP POLICY IF EXISTS memory_counts__registry_owner ON cogdb.memory_counts;
CREATE POLICY memory_counts__registry_owner ON cogdb.memory_counts
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);

-- Policies that now read the context through an InitPlan, (SELECT helper()), once per
-- query instead of once per row.

-- sql/policies/memories__tenant_fence.sql
-- The tenant fence: a row is readable and writable only inside its own tenant's context.
-- RESTRICTIVE, so no permissive policy added later (visibility, sharing) can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS memories__tenant_fence ON cogdb.memories;
CREATE POLICY memories__tenant_fence ON cogdb.memories
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));

-- sql/policies/memories__visible_to_user.sql
-- Inside the fence: tenant-visible memories, plus the context user's own private ones.
-- The only permissive policy on memories, so without it nothing is visible at all.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS memories__visible_to_user ON cogdb.memories;
CREATE POLICY memories__visible_to_user ON cogdb.memories
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()))
    WITH CHECK (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()));

-- sql/policies/memories__owner_updates.sql
-- Only a memory's owner may change it; ownerless (tenant-wide) memories stay editable by the
-- tenant. RESTRICTIVE: it narrows the visibility policy for UPDATE, it never widens it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS memories__owner_updates ON cogdb.memories;
CREATE POLICY memories__owner_updates ON cogdb.memories
    AS RESTRICTIVE FOR UPDATE TO PUBLIC
    USING (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id()))
    WITH CHECK (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id()));

-- sql/policies/memories__owner_deletes.sql
-- Only a memory's owner may delete (forget) it; ownerless memories stay deletable by the
-- tenant. RESTRICTIVE, like memories__owner_updates.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS memories__owner_deletes ON cogdb.memories;
CREATE POLICY memories__owner_deletes ON cogdb.memories
    AS RESTRICTIVE FOR DELETE TO PUBLIC
    USING (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id()));

-- sql/policies/users__tenant_fence.sql
-- The tenant fence on users: a tenant's context sees and writes only its own users.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS users__tenant_fence ON cogdb.users;
CREATE POLICY users__tenant_fence ON cogdb.users
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));

-- sql/policies/tenants__own_row.sql
-- A tenant's context reads its own tenant row (name, mode, settings, default model) only.
-- The app role has SELECT alone on tenants: it can never change its own settings.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS tenants__own_row ON cogdb.tenants;
CREATE POLICY tenants__own_row ON cogdb.tenants
    AS PERMISSIVE FOR SELECT TO PUBLIC
    USING (id = (SELECT cogdb.current_tenant_id()));
