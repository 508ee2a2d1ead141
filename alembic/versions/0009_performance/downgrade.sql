-- cogdb revision 0009 (performance): downgrade, written by `python -m tools.freeze 0009` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> step 40_settings.down.sql
UPDATE cogdb.settings SET value = '100'
 WHERE key = 'search.ef_search' AND value = '200'::jsonb;
-- <<< step 40_settings.down.sql

REVOKE ALL ON FUNCTION cogdb.plan_maintenance() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.plan_maintenance() IS NULL;
-- sql/functions/search/plan_maintenance.sql as frozen in revision 0005
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
COMMENT ON FUNCTION cogdb.plan_maintenance() IS
    'The steps cogdb maintain runs, in order: drop invalid ANN indexes, create those large tenants need, drop those no longer needed.';

-- sql/functions/search/move_to_partition.sql: new in this revision
DROP FUNCTION cogdb.move_to_partition(uuid);

-- sql/functions/search/fence_default_partition.sql: new in this revision
DROP FUNCTION cogdb.fence_default_partition(uuid, boolean);

-- sql/functions/search/prepare_partition.sql: new in this revision
DROP FUNCTION cogdb.prepare_partition(uuid);

-- sql/functions/search/partition_name.sql: new in this revision
DROP FUNCTION cogdb.partition_name(uuid);

REVOKE ALL ON FUNCTION cogdb.ann_index_name(uuid, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.ann_index_name(uuid, text) IS NULL;
-- sql/functions/search/ann_index_name.sql as frozen in revision 0005
-- The name of the partial HNSW index that serves one tenant's memories of one model:
-- memories_ann_<24 hex of md5(tenant/model)>. Deterministic, so search finds it by name and
-- maintain plans it without a registry; hashed, so names do not spell out tenant ids.
CREATE OR REPLACE FUNCTION cogdb.ann_index_name(tenant_id uuid, model text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT 'memories_ann_' || left(md5(tenant_id::text || '/' || model), 24) $$;

REVOKE ALL ON FUNCTION cogdb.ann_index_name(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.ann_index_name(uuid, text) TO cogdb_app, cogdb_admin;
COMMENT ON FUNCTION cogdb.ann_index_name(uuid, text) IS
    'The name of the partial HNSW index that serves one tenant''s memories of one model.';

REVOKE ALL ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb) IS NULL;
-- sql/functions/search/search.sql as frozen in revision 0005
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
-- partial index; the filters are bound parameters. ef_search tunes the ANN path (default:
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
    -- come from cogdb.settings (search.ef_search, search.max_scan_tuples).
    SET hnsw.ef_search = 100
    SET hnsw.iterative_scan = 'relaxed_order'
    SET hnsw.max_scan_tuples = 50000
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_model text;
    v_dims integer;
    v_settings jsonb := (SELECT jsonb_object_agg(s.key, s.value) FROM cogdb.settings s
                          WHERE s.key LIKE 'search.%');
    v_max_k integer := v_settings ->> 'search.max_k';
    v_index text;
    v_visible bigint;
    -- $1 query, $2 k, then the filters from $3 (cogdb.memory_filters_sql).
    v_filters constant text := cogdb.memory_filters_sql(3, metadata_filter);
    v_columns constant text :=
        's.id, 1 - s.distance, s.conversation_id, s.sequence_index, s.human_content,'
        ' s.assistant_content, s.summary, s.context_type, s.source, s.created_at,'
        ' s.expires_at, s.visibility, s.owner_user_id, s.tags, s.metadata, s.intent_type,'
        ' s.complexity,'
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
        EXECUTE format('SELECT count(*) FROM (SELECT FROM cogdb.memories m'
                       ' WHERE m.tenant_id = %L AND m.model = %L%s LIMIT %s) c',
                       v_tenant, v_model, v_filters,
                       (v_settings ->> 'search.exact_max_rows')::integer + 1)
           INTO v_visible
          USING query, k, only_conversation, only_source, only_context_type, tags_any,
                created_after, created_before, only_owner, only_visibility;
        IF v_visible > (v_settings ->> 'search.exact_max_rows')::integer THEN
            -- Scoped to this call by the SET clauses above.
            PERFORM set_config('hnsw.ef_search',
                               coalesce(ef_search::text, v_settings ->> 'search.ef_search'), true);
            PERFORM set_config('hnsw.max_scan_tuples',
                               v_settings ->> 'search.max_scan_tuples', true);
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

REVOKE ALL ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb) TO cogdb_app;
COMMENT ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb) IS
    'The k memories nearest to `query` that the caller may see, nearest first.';

REVOKE ALL ON FUNCTION cogdb.purge_private_memories() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.purge_private_memories() IS NULL;
-- sql/functions/provisioning/purge_private_memories.sql as frozen in revision 0005
-- Trigger (BEFORE DELETE ON users): deletes the departing user's private memories, which no
-- one else may read, before the foreign key clears owner_user_id on their shared ones.
-- Definer so it can see the private rows: it takes the user's own context for the purge,
-- and restores the caller's context before returning.
CREATE OR REPLACE FUNCTION cogdb.purge_private_memories() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller text[];  -- the caller's context, put back before returning
BEGIN
    v_caller := cogdb.enter_tenant(OLD.tenant_id, OLD.id);
    DELETE FROM cogdb.memories m
     WHERE m.tenant_id = OLD.tenant_id AND m.owner_user_id = OLD.id AND m.visibility = 'private';
    PERFORM cogdb.restore_context(v_caller);
    RETURN OLD;
END
$$;

REVOKE ALL ON FUNCTION cogdb.purge_private_memories() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.purge_private_memories() IS
    'Row trigger on users: deletes a departing user''s private memories before the foreign key clears the owner of their shared ones.';

REVOKE ALL ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) IS NULL;
-- sql/functions/memories/remember_many.sql as frozen in revision 0006
-- Stores a batch of memories in one statement and returns (ordinality, id) in input order.
-- `memories` is a JSON array of objects keyed by memory column names; `embeddings` holds one
-- vector per object, same order. All-or-nothing: one bad row refuses the whole batch.
-- Tenant and owner come from the context, never from the input (such keys are refused).
CREATE OR REPLACE FUNCTION cogdb.remember_many(memories jsonb, embeddings public.vector[],
                                               model text DEFAULT NULL)
    RETURNS TABLE (ordinality bigint, id text)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_unknown text;
    v_bad_ord bigint;
    v_bad_key text;
    v_bad_type text;
BEGIN
    PERFORM cogdb.require_tenant('writing memories');
    IF jsonb_typeof(memories) IS DISTINCT FROM 'array'
       OR EXISTS (SELECT FROM jsonb_array_elements(memories) e WHERE jsonb_typeof(e) <> 'object')
    THEN
        RAISE EXCEPTION 'memories must be a JSON array of objects'
            USING ERRCODE = 'CGV01', COLUMN = 'memories',
                  HINT = 'e.g. ''[{"human_content": "…", "assistant_content": "…"}]''';
    END IF;
    IF jsonb_array_length(memories) <> coalesce(cardinality(embeddings), 0) THEN
        RAISE EXCEPTION '% memories but % embeddings; they must pair up one to one',
                        jsonb_array_length(memories), coalesce(cardinality(embeddings), 0)
            USING ERRCODE = 'CGV01', COLUMN = 'embeddings',
                  HINT = 'Pass one vector per memory, in the same order.';
    END IF;
    SELECT string_agg(DISTINCT k, ', ' ORDER BY k) INTO v_unknown
      FROM jsonb_array_elements(memories) e, jsonb_object_keys(e) k
     WHERE k <> ALL (ARRAY['id', 'conversation_id', 'sequence_index', 'human_content',
                           'assistant_content', 'summary', 'context_type', 'source',
                           'created_at', 'expires_at', 'visibility', 'intent_type',
                           'complexity', 'technical_depth', 'emotional_valence', 'urgency',
                           'conversation_mode', 'action_required', 'has_code', 'has_error',
                           'tags', 'metadata', 'cluster_id', 'cluster_label',
                           'cluster_confidence', 'access_count', 'last_accessed', 'session_id']);
    IF v_unknown IS NOT NULL THEN
        RAISE EXCEPTION 'unknown memory field(s): %', v_unknown
            USING ERRCODE = 'CGV01', COLUMN = split_part(v_unknown, ',', 1),
                  HINT = 'tenant_id and owner_user_id come from the context; other names are '
                         'the columns of cogdb.memories.';
    END IF;

    BEGIN
    RETURN QUERY
    WITH input AS (
        SELECT r.ord, coalesce(r.id, cogdb.new_memory_id()) AS id, r.conversation_id,
               coalesce(r.sequence_index, 0) AS sequence_index,
               coalesce(r.human_content, '') AS human_content,
               coalesce(r.assistant_content, '') AS assistant_content, r.summary,
               coalesce(r.context_type, 'conversation') AS context_type,
               coalesce(r.source, 'api') AS source, coalesce(r.created_at, now()) AS created_at,
               r.expires_at, coalesce(r.visibility, 'tenant') AS visibility, r.intent_type,
               r.complexity, r.technical_depth, r.emotional_valence, r.urgency,
               r.conversation_mode, coalesce(r.action_required, false) AS action_required,
               coalesce(r.has_code, false) AS has_code, coalesce(r.has_error, false) AS has_error,
               coalesce(r.tags, '[]') AS tags, coalesce(r.metadata, '{}') AS metadata,
               coalesce(r.cluster_id, -1) AS cluster_id,
               r.cluster_label, r.cluster_confidence,
               coalesce(r.access_count, 0) AS access_count, r.last_accessed,
               r.session_id, embeddings[r.ord] AS embedding
          FROM ROWS FROM (jsonb_to_recordset(memories) AS (
                   id text, conversation_id text, sequence_index integer, human_content text,
                   assistant_content text, summary text, context_type text, source text,
                   created_at timestamptz, expires_at timestamptz, visibility text,
                   intent_type text, complexity text, technical_depth smallint,
                   emotional_valence text, urgency text, conversation_mode text,
                   action_required boolean, has_code boolean, has_error boolean, tags jsonb,
                   metadata jsonb, cluster_id integer, cluster_label text, cluster_confidence real,
                   access_count integer, last_accessed timestamptz, session_id uuid))
               WITH ORDINALITY AS r(id, conversation_id, sequence_index, human_content,
                   assistant_content, summary, context_type, source, created_at, expires_at,
                   visibility, intent_type, complexity, technical_depth, emotional_valence,
                   urgency, conversation_mode, action_required, has_code, has_error, tags,
                   metadata, cluster_id, cluster_label, cluster_confidence, access_count,
                   last_accessed, session_id, ord)
    ), inserted AS (
        INSERT INTO cogdb.memories AS m (
            id, conversation_id, sequence_index, human_content, assistant_content, summary,
            context_type, source, created_at, expires_at, visibility, intent_type, complexity,
            technical_depth, emotional_valence, urgency, conversation_mode, action_required,
            has_code, has_error, tags, metadata, cluster_id, cluster_label, cluster_confidence,
            access_count, last_accessed, session_id, model, embedding)
        SELECT i.id, i.conversation_id, i.sequence_index, i.human_content, i.assistant_content,
               i.summary, i.context_type, i.source, i.created_at, i.expires_at, i.visibility,
               i.intent_type, i.complexity, i.technical_depth, i.emotional_valence, i.urgency,
               i.conversation_mode, i.action_required, i.has_code, i.has_error, i.tags,
               i.metadata, i.cluster_id, i.cluster_label, i.cluster_confidence, i.access_count,
               i.last_accessed, i.session_id, remember_many.model, i.embedding
          FROM input i ORDER BY i.ord
        RETURNING m.id
    )
    SELECT i.ord, i.id FROM input i JOIN inserted USING (id) ORDER BY i.ord;
    EXCEPTION WHEN data_exception THEN
        -- A JSON value that does not convert to its column's type. Only this error path
        -- pays for finding which memory and field it was.
        SELECT e.ord, t.key, t.typ INTO v_bad_ord, v_bad_key, v_bad_type
          FROM jsonb_array_elements(memories) WITH ORDINALITY AS e(obj, ord),
               (VALUES ('sequence_index', 'integer'), ('technical_depth', 'smallint'),
                       ('cluster_id', 'integer'), ('access_count', 'integer'),
                       ('cluster_confidence', 'real'), ('created_at', 'timestamptz'),
                       ('expires_at', 'timestamptz'), ('last_accessed', 'timestamptz'),
                       ('action_required', 'boolean'), ('has_code', 'boolean'),
                       ('has_error', 'boolean'), ('session_id', 'uuid')) AS t(key, typ)
         WHERE jsonb_typeof(e.obj -> t.key) NOT IN ('null')
           AND (jsonb_typeof(e.obj -> t.key) IN ('array', 'object')
                OR NOT pg_input_is_valid(e.obj ->> t.key, t.typ))
         ORDER BY e.ord
         LIMIT 1;
        IF v_bad_key IS NULL THEN
            RAISE;
        END IF;
        RAISE EXCEPTION '% of memory #% must be of type %, got %', v_bad_key, v_bad_ord,
                        v_bad_type, left((memories -> (v_bad_ord::integer - 1) -> v_bad_key)::text, 60)
            USING ERRCODE = 'CGV01', COLUMN = v_bad_key,
                  HINT = 'Numbers as JSON numbers, timestamps as ISO 8601 strings, session_id as a UUID string.';
    END;
END
$$;

REVOKE ALL ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) IS
    'Stores a batch of memories in one statement and returns (ordinality, id) in input order.';

REVOKE ALL ON FUNCTION cogdb.list_memories(integer, timestamptz, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, jsonb, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.list_memories(integer, timestamptz, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, jsonb, text) IS NULL;
-- sql/functions/memories/list_memories.sql as frozen in revision 0005
-- The memories the caller may see, newest first (created_at, then id, both descending), at
-- most `page_size` of them, after the keyset cursor (before_created_at, before_id) when
-- given: pass the last row's created_at and id to get the next page. Same filters as
-- search, plus the model (any model when NULL). Expired memories are never listed; no
-- context lists nothing.
CREATE OR REPLACE FUNCTION cogdb.list_memories(page_size integer DEFAULT 20,
                                               before_created_at timestamptz DEFAULT NULL,
                                               before_id text DEFAULT NULL,
                                               only_conversation text DEFAULT NULL,
                                               only_source text DEFAULT NULL,
                                               only_context_type text DEFAULT NULL,
                                               tags_any text[] DEFAULT NULL,
                                               created_after timestamptz DEFAULT NULL,
                                               created_before timestamptz DEFAULT NULL,
                                               only_owner uuid DEFAULT NULL,
                                               only_visibility text DEFAULT NULL,
                                               metadata_filter jsonb DEFAULT NULL,
                                               model text DEFAULT NULL)
    RETURNS SETOF cogdb.memories
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
BEGIN
    IF page_size IS NULL OR page_size NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'page_size must be between 1 and 1000, got %', coalesce(page_size::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'page_size',
                  HINT = 'Page through more with the cursor: the last row''s created_at and id.';
    END IF;
    IF (before_created_at IS NULL) <> (before_id IS NULL) THEN
        RAISE EXCEPTION 'before_created_at and before_id go together (the last row of the previous page)'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN before_id IS NULL THEN 'before_id' ELSE 'before_created_at' END,
                  HINT = 'Pass both, or neither for the first page.';
    END IF;
    RETURN QUERY EXECUTE
        'SELECT m.* FROM cogdb.memories m'
        ' WHERE ($1::timestamptz IS NULL OR (m.created_at, m.id) < ($1, $2::text))'
        ' AND ($11::text IS NULL OR m.model = $11)'
        || cogdb.memory_filters_sql(3, metadata_filter)
        || ' ORDER BY m.created_at DESC, m.id DESC LIMIT $12'
      USING before_created_at, before_id, only_conversation, only_source, only_context_type,
            tags_any, created_after, created_before, only_owner, only_visibility, model,
            page_size;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_memories(integer, timestamptz, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_memories(integer, timestamptz, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, jsonb, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_memories(integer, timestamptz, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, jsonb, text) IS
    'The memories the caller may see, newest first (created_at, then id, both descending), at most `page_size` of them, after the keyset cursor (before_created_at, before_id) when given.';

REVOKE ALL ON FUNCTION cogdb.forget(text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.forget(text) IS NULL;
-- sql/functions/memories/forget.sql as frozen in revision 0005
-- Deletes the memory with this id if the caller may see it; true if a row was deleted.
-- An invisible id returns false, exactly like a missing one.
CREATE OR REPLACE FUNCTION cogdb.forget(id text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM cogdb.require_tenant('forgetting a memory');
    DELETE FROM cogdb.memories m WHERE m.id = forget.id;
    RETURN FOUND;
END
$$;

REVOKE ALL ON FUNCTION cogdb.forget(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.forget(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.forget(text) IS
    'Deletes the memory with this id if the caller may see it; true if it did, false for a missing or invisible id.';

REVOKE ALL ON FUNCTION cogdb.get(text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.get(text) IS NULL;
-- sql/functions/memories/get.sql as frozen in revision 0005
-- The memory with this id, if the caller may see it and it has not expired; else no row.
-- An id of another tenant or another user's private memory looks exactly like a missing id.
CREATE OR REPLACE FUNCTION cogdb.get(id text) RETURNS SETOF cogdb.memories
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.* FROM cogdb.memories m
     WHERE m.id = get.id AND (m.expires_at IS NULL OR m.expires_at > now())
$$;

REVOKE ALL ON FUNCTION cogdb.get(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get(text) IS
    'The memory with this id, if the caller may see it and it has not expired.';

-- >>> step 30_memories.down.sql
DROP TRIGGER memories_check_row_updates ON cogdb.memories;
DROP TRIGGER memories_check_row_inserts ON cogdb.memories;
CREATE TRIGGER memories_check_row BEFORE INSERT OR UPDATE ON cogdb.memories
    FOR EACH ROW EXECUTE FUNCTION cogdb.check_memory_row();
ALTER TABLE cogdb.memories ALTER CONSTRAINT memories_model_fkey NOT DEFERRABLE INITIALLY IMMEDIATE;
-- <<< step 30_memories.down.sql

REVOKE ALL ON FUNCTION cogdb.check_memory_batch() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.check_memory_batch() IS NULL;
-- sql/functions/memories/check_memory_batch.sql as frozen in revision 0005
-- Statement trigger (AFTER INSERT, AFTER UPDATE; transition table new_rows): the checks
-- that read other tables or walk JSON, done once per statement over all its rows instead of
-- once per row: every enumerated field's value is in its vocabulary (cogdb.vocabularies),
-- and tags are at most 64 non-empty strings (a list) or keys (an object) of at most 100
-- characters. Refuses the whole statement with CGV01, naming the field, the value and the
-- memory. check_memory_row does the per-row checks before the rows are written.
CREATE OR REPLACE FUNCTION cogdb.check_memory_batch() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id text;
    v_field text;
    v_value text;
BEGIN
    SELECT n.id, f.field, f.value INTO v_id, v_field, v_value
      FROM new_rows n
     CROSS JOIN LATERAL (VALUES ('context_type', n.context_type), ('source', n.source),
                                ('intent_type', n.intent_type), ('complexity', n.complexity),
                                ('emotional_valence', n.emotional_valence),
                                ('urgency', n.urgency),
                                ('conversation_mode', n.conversation_mode)) AS f(field, value)
     WHERE f.value IS NOT NULL
       AND NOT EXISTS (SELECT FROM cogdb.vocabularies v
                        WHERE v.field = f.field AND v.value = f.value)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '% must be one of %, got % (memory %)', v_field,
                        array_to_string(cogdb.allowed_values(v_field), ', '),
                        quote_literal(left(v_value, 60)), v_id
            USING ERRCODE = 'CGV01', COLUMN = v_field,
                  HINT = format('An admin can accept it: cogdb vocabulary add %s %s '
                                '(SELECT cogdb.add_vocabulary(%L, ARRAY[%L]))',
                                v_field, left(v_value, 50), v_field, left(v_value, 50));
    END IF;

    SELECT n.id INTO v_id
      FROM new_rows n
     WHERE n.tags <> '[]'::jsonb
       AND CASE jsonb_typeof(n.tags)
           WHEN 'array' THEN jsonb_array_length(n.tags) > 64
                OR EXISTS (SELECT FROM jsonb_array_elements(n.tags) e
                            WHERE jsonb_typeof(e) <> 'string'
                               OR length(e #>> '{}') NOT BETWEEN 1 AND 100)
           ELSE (SELECT count(*) > 64 OR bool_or(length(k) NOT BETWEEN 1 AND 100)
                   FROM jsonb_object_keys(n.tags) k) END
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'tags must be a list of at most 64 non-empty strings, or an object of '
                        'at most 64 keys, each of at most 100 characters (memory %)', v_id
            USING ERRCODE = 'CGV01', COLUMN = 'tags',
                  HINT = 'e.g. ["ops", "deploy"] or {"project": "billing", "reviewed": true}';
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_memory_batch() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.check_memory_batch() IS
    'Statement trigger on memories: checks every written row''s enumerated fields against the vocabularies, and its tags, once per statement.';

REVOKE ALL ON FUNCTION cogdb.check_memory_row() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.check_memory_row() IS NULL;
-- sql/functions/memories/check_memory_row.sql as frozen in revision 0006
-- Trigger: validates a memory row before it is written and fills the tenant's default model,
-- so a direct INSERT/UPDATE is checked like remember(). Each refusal names the field (the
-- error's COLUMN) and what is allowed. The CHECK constraints on cogdb.memories hold the same
-- rules declaratively; this function exists to explain them and to check what a CHECK cannot
-- (the context, the embedding's dimension for its model, a session the context can see, and
-- the fixed visibility of an offloaded context). Vocabularies and tags are checked once per
-- statement by check_memory_batch.
CREATE OR REPLACE FUNCTION cogdb.check_memory_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid;
    v_dims integer;
    v_item text[];
BEGIN
    -- Deleting a user sets owner_user_id to NULL on their shared memories: the foreign key's
    -- action runs as the table owner, changes nothing else, and is let through without a
    -- context. Nobody else may change an owner.
    IF TG_OP = 'UPDATE' AND NEW.owner_user_id IS DISTINCT FROM OLD.owner_user_id THEN
        IF current_user = 'cogdb_owner' AND NEW.owner_user_id IS NULL
           AND to_jsonb(NEW) - 'owner_user_id' = to_jsonb(OLD) - 'owner_user_id' THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'owner_user_id cannot be changed'
            USING ERRCODE = 'CGA02', COLUMN = 'owner_user_id',
                  HINT = 'Store a new memory under the new owner and forget the old one.';
    END IF;
    v_tenant := cogdb.require_tenant('writing memories');
    IF NEW.tenant_id IS DISTINCT FROM v_tenant THEN
        RAISE EXCEPTION 'tenant_id must be the tenant of the context (%)', v_tenant
            USING ERRCODE = 'CGA02', COLUMN = 'tenant_id',
                  HINT = 'Leave tenant_id out: it defaults to the context''s tenant.';
    END IF;
    IF TG_OP = 'INSERT' AND NEW.owner_user_id IS NOT NULL
       AND NEW.owner_user_id IS DISTINCT FROM cogdb.current_user_id() THEN
        RAISE EXCEPTION 'owner_user_id must be the user of the context'
            USING ERRCODE = 'CGA02', COLUMN = 'owner_user_id',
                  HINT = 'Leave owner_user_id out: it defaults to the context''s user.';
    END IF;
    -- A memory names a session the context can see (sessions' policies apply here): the
    -- foreign key alone would accept another user's private session.
    IF NEW.session_id IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.session_id IS DISTINCT FROM OLD.session_id)
       AND NOT EXISTS (SELECT FROM cogdb.sessions s
                        WHERE s.tenant_id = v_tenant AND s.id = NEW.session_id) THEN
        RAISE EXCEPTION 'no session % (memory %)', NEW.session_id, NEW.id
            USING ERRCODE = 'CGN01', COLUMN = 'session_id',
                  HINT = 'Start one with cogdb.start_session(); other users'' private sessions '
                         'do not exist here.';
    END IF;
    -- An offloaded context's text carries its memory's visibility (offloaded_contexts'
    -- policies read the copy), so an offload memory keeps its visibility and context type.
    IF TG_OP = 'UPDATE' AND OLD.context_type = 'offload'
       AND (NEW.visibility IS DISTINCT FROM OLD.visibility
            OR NEW.context_type IS DISTINCT FROM OLD.context_type) THEN
        RAISE EXCEPTION 'an offloaded context keeps its visibility and context type (memory %)', NEW.id
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN NEW.visibility IS DISTINCT FROM OLD.visibility
                                THEN 'visibility' ELSE 'context_type' END,
                  HINT = 'Offload it again with the visibility wanted, and forget this one.';
    END IF;

    -- length + an unbounded class: the same rule as {0,127}, whose bounded repetition made
    -- PostgreSQL's regex engine spend ~35 us per row.
    IF NEW.id IS NULL OR length(NEW.id) > 128 OR NEW.id !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' THEN
        RAISE EXCEPTION 'id must be 1-128 characters of letters, digits and _ . : - (got %)',
                        coalesce(quote_literal(left(NEW.id, 40)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'id',
                  HINT = 'Leave id out to get a server-made mem_<hex> id.';
    END IF;

    SELECT r.name, r.dimensions INTO NEW.model, v_dims FROM cogdb.resolve_model(NEW.model) r;
    IF NEW.embedding IS NULL THEN
        RAISE EXCEPTION 'embedding is required' USING ERRCODE = 'CGV01', COLUMN = 'embedding',
              HINT = 'Pass the vector of the memory''s text, embedded with its model.';
    END IF;
    IF public.vector_dims(NEW.embedding) <> v_dims THEN
        RAISE EXCEPTION 'embedding has % dimensions; model % needs %',
                        public.vector_dims(NEW.embedding), quote_literal(NEW.model), v_dims
            USING ERRCODE = 'CGV01', COLUMN = 'embedding',
                  HINT = 'Embed with the model named, or pass the model the vector came from.';
    END IF;
    IF public.vector_norm(NEW.embedding) = 0 THEN
        RAISE EXCEPTION 'embedding is a zero vector; cosine similarity is undefined for it'
            USING ERRCODE = 'CGV01', COLUMN = 'embedding',
                  HINT = 'Check the embedder: a real embedding has a non-zero norm.';
    END IF;

    -- Fast path for bulk writes: one expression (no queries) that is true only when every
    -- check below would pass; anything else (NULLs included) takes the detailed checks,
    -- which name the field. Chat-export sources always take them (the tenant's toggle).
    IF (NEW.visibility IN ('private', 'tenant')
        AND NEW.source <> ALL (cogdb.chat_export_sources())
        AND (NEW.visibility = 'tenant' OR NEW.owner_user_id IS NOT NULL)
        AND length(NEW.human_content) <= 100000 AND length(NEW.assistant_content) <= 100000
        AND coalesce(length(NEW.summary) <= 10000, true)
        AND coalesce(length(NEW.conversation_id) <= 255, true)
        AND coalesce(length(NEW.cluster_label) <= 255, true)
        AND (NEW.human_content <> '' OR NEW.assistant_content <> '')
        AND coalesce(NEW.technical_depth BETWEEN 0 AND 10, true)
        AND coalesce(NEW.cluster_confidence BETWEEN 0 AND 1, true)
        AND NEW.sequence_index >= 0 AND NEW.access_count >= 0 AND NEW.cluster_id >= -1
        AND coalesce(NEW.expires_at > NEW.created_at, true)
        AND jsonb_typeof(NEW.tags) IN ('array', 'object') AND pg_column_size(NEW.tags) <= 16384
        AND jsonb_typeof(NEW.metadata) = 'object' AND pg_column_size(NEW.metadata) <= 65536
        ) IS TRUE THEN
        RETURN NEW;
    END IF;

    IF NEW.visibility IS NULL OR NEW.visibility NOT IN ('private', 'tenant') THEN
        RAISE EXCEPTION 'visibility must be one of private, tenant, got %',
                        coalesce(quote_literal(left(NEW.visibility, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'private: the context''s user only; tenant: everyone in the tenant.';
    END IF;
    -- The tenant setting features.chat_import (default: on for personal tenants, off for
    -- enterprise ones) gates memories made from providers' chat exports, whichever client
    -- writes them. Checked on INSERT and when an UPDATE turns a memory into one.
    IF NEW.source = ANY (cogdb.chat_export_sources())
       AND (TG_OP = 'INSERT' OR NEW.source IS DISTINCT FROM OLD.source)
       AND (SELECT (cogdb.effective_settings(t.mode, t.settings)
                    #>> '{features,chat_import}')::boolean
              FROM cogdb.tenants t WHERE t.id = v_tenant) IS NOT TRUE THEN
        RAISE EXCEPTION 'chat import is disabled for this tenant; enterprise memory is built from the assistant''s own conversations'
            USING ERRCODE = 'CGF01', COLUMN = 'source',
                  HINT = 'An admin can allow it: cogdb tenant set <tenant> '
                         'features.chat_import=true (cogdb.set_tenant_setting).';
    END IF;
    IF NEW.visibility = 'private' AND NEW.owner_user_id IS NULL THEN
        RAISE EXCEPTION 'a private memory needs a user in the context'
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'Pass a user to set_context, or use visibility ''tenant''.';
    END IF;

    FOREACH v_item SLICE 1 IN ARRAY ARRAY[
        ARRAY['human_content', NEW.human_content, '100000'],
        ARRAY['assistant_content', NEW.assistant_content, '100000'],
        ARRAY['summary', NEW.summary, '10000'],
        ARRAY['conversation_id', NEW.conversation_id, '255'],
        ARRAY['cluster_label', NEW.cluster_label, '255']]
    LOOP
        IF length(v_item[2]) > v_item[3]::integer THEN
            RAISE EXCEPTION '% is % characters; at most % are allowed',
                            v_item[1], length(v_item[2]), v_item[3]
                USING ERRCODE = 'CGV01', COLUMN = v_item[1],
                      HINT = 'Split long documents into several memories.';
        END IF;
    END LOOP;
    IF coalesce(NEW.human_content, '') = '' AND coalesce(NEW.assistant_content, '') = '' THEN
        RAISE EXCEPTION 'a memory needs human_content or assistant_content'
            USING ERRCODE = 'CGV01', COLUMN = 'human_content',
                  HINT = 'Store the question, the answer, or both.';
    END IF;

    IF NEW.technical_depth NOT BETWEEN 0 AND 10 THEN
        RAISE EXCEPTION 'technical_depth must be between 0 and 10, got %', NEW.technical_depth
            USING ERRCODE = 'CGV01', COLUMN = 'technical_depth',
                  HINT = 'Use 0 (none) to 10 (expert), or leave it out.';
    END IF;
    IF NOT NEW.cluster_confidence BETWEEN 0 AND 1 THEN  -- NaN sorts above 1: refused too
        RAISE EXCEPTION 'cluster_confidence must be between 0 and 1, got %', NEW.cluster_confidence
            USING ERRCODE = 'CGV01', COLUMN = 'cluster_confidence',
                  HINT = 'Use a probability from 0 to 1, or leave it out.';
    END IF;
    IF NEW.sequence_index < 0 OR NEW.access_count < 0 OR NEW.cluster_id < -1 THEN
        RAISE EXCEPTION 'sequence_index and access_count must be >= 0, cluster_id >= -1'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN NEW.sequence_index < 0 THEN 'sequence_index'
                                WHEN NEW.access_count < 0 THEN 'access_count'
                                ELSE 'cluster_id' END,
                  HINT = 'cluster_id -1 means no cluster.';
    END IF;
    IF NEW.expires_at <= NEW.created_at THEN
        RAISE EXCEPTION 'expires_at must be later than created_at'
            USING ERRCODE = 'CGV01', COLUMN = 'expires_at',
                  HINT = 'Leave expires_at out for a memory that never expires.';
    END IF;

    IF jsonb_typeof(NEW.tags) IS DISTINCT FROM 'array'
       AND jsonb_typeof(NEW.tags) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'tags must be a JSON list of strings or a JSON object, got %',
                        coalesce(jsonb_typeof(NEW.tags), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'tags',
                  HINT = 'e.g. ["ops", "deploy"] or {"project": "billing"}';
    END IF;
    IF jsonb_typeof(NEW.metadata) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'metadata must be a JSON object, got %',
                        coalesce(jsonb_typeof(NEW.metadata), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'metadata',
                  HINT = 'e.g. {"customer": "acme", "priority": 2}; search filters its top-level keys.';
    END IF;
    IF pg_column_size(NEW.tags) > 16384 OR pg_column_size(NEW.metadata) > 65536 THEN
        RAISE EXCEPTION '% is % bytes; at most % are allowed',
                        CASE WHEN pg_column_size(NEW.tags) > 16384 THEN 'tags' ELSE 'metadata' END,
                        greatest(pg_column_size(NEW.tags), pg_column_size(NEW.metadata)),
                        CASE WHEN pg_column_size(NEW.tags) > 16384 THEN 16384 ELSE 65536 END
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN pg_column_size(NEW.tags) > 16384 THEN 'tags' ELSE 'metadata' END,
                  HINT = 'Keep tags and metadata small: they are filters, not documents.';
    END IF;
    RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_memory_row() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.check_memory_row() IS
    'Row trigger on memories: validates a row before it is written (context, owner, id, model and embedding, sizes, ranges) and names the field it refuses.';

REVOKE ALL ON FUNCTION cogdb.enter_tenant(uuid, uuid) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.enter_tenant(uuid, uuid) IS NULL;
-- sql/functions/context/enter_tenant.sql as frozen in revision 0005
-- Makes tenant_id (and user_id) the context of the calling definer function's own
-- statements and returns the caller's context, for restore_context() to put back before the
-- function returns. FORCE RLS fences cogdb_owner too, so provisioning functions act inside
-- their target tenant this way. An error needs no restore: it aborts the transaction, or
-- rolls back to a savepoint, and either reverts the settings. Owner-only: the app sets its
-- context with set_context(), which checks it.
CREATE OR REPLACE FUNCTION cogdb.enter_tenant(tenant_id uuid, user_id uuid DEFAULT NULL)
    RETURNS text[]
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller text[] := ARRAY[coalesce(current_setting('app.tenant_id', true), ''),
                             coalesce(current_setting('app.user_id', true), ''),
                             coalesce(current_setting('app.context_xact', true), '')];
BEGIN
    -- Transaction-local, and not in this function's SET clause: they outlast the call.
    PERFORM set_config('app.tenant_id', enter_tenant.tenant_id::text, true);
    PERFORM set_config('app.user_id', coalesce(enter_tenant.user_id::text, ''), true);
    PERFORM set_config('app.context_xact', cogdb.context_stamp(), true);
    RETURN v_caller;
END
$$;

REVOKE ALL ON FUNCTION cogdb.enter_tenant(uuid, uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.enter_tenant(uuid, uuid) IS
    'Makes tenant_id (and user_id) the context of the calling definer function''s own statements and returns the caller''s context, for restore_context() to put back before the function returns.';

REVOKE ALL ON FUNCTION cogdb.set_context(text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.set_context(text, text) IS NULL;
-- sql/functions/context/set_context.sql as frozen in revision 0005
-- Sets the tenant (and optionally the user) for the rest of the current transaction.
-- Call it first in every transaction. Refuses: superuser/BYPASSRLS roles and members of
-- cogdb_owner (RLS would be off or could be switched off), a second, different context in the
-- same transaction, an unknown tenant, and a user of another tenant. The settings are
-- transaction-local and stamped with the transaction, so they end with COMMIT/ROLLBACK.
CREATE OR REPLACE FUNCTION cogdb.set_context(tenant_id text, user_id text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_user uuid := cogdb.parse_uuid(user_id, 'user_id');
    v_old_tenant text := coalesce(cogdb.current_tenant_id()::text, '');
    v_old_user text := coalesce(cogdb.current_user_id()::text, '');
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = current_user
                                      AND (rolsuper OR rolbypassrls))
       OR pg_has_role(current_user, 'cogdb_owner', 'MEMBER') THEN
        RAISE EXCEPTION 'role % bypasses (or owns) row-level security; refusing to set a tenant context',
                        current_user
            USING ERRCODE = 'CGA03',
                  HINT = 'Connect as an app login (a member of cogdb_app only), not as a '
                         'superuser, BYPASSRLS role or member of cogdb_owner.';
    END IF;
    IF v_tenant IS NULL THEN
        RAISE EXCEPTION 'tenant_id is required' USING ERRCODE = 'CGV01', COLUMN = 'tenant_id',
              HINT = 'Call cogdb.set_context(''<tenant uuid>'', ''<user uuid or NULL>'').';
    END IF;
    IF v_old_tenant <> '' AND (v_old_tenant <> v_tenant::text
                               OR v_old_user <> coalesce(v_user::text, '')) THEN
        RAISE EXCEPTION 'this transaction already has a different tenant context'
            USING ERRCODE = 'CGA02',
                  HINT = 'Commit or roll back, then set the new context first thing in a new '
                         'transaction; contexts cannot be switched or nested.';
    END IF;
    -- The first statement of its transaction and not after BEGIN in the same message: an
    -- autocommit call, whose context ends with this very statement.
    IF statement_timestamp() = transaction_timestamp()
       AND current_query() !~* '^\s*(BEGIN|START\s+TRANSACTION)\M' THEN
        RAISE NOTICE 'cogdb: the tenant context ends with this statement (no transaction is open)'
            USING HINT = 'Run BEGIN first; the context lasts until COMMIT or ROLLBACK.';
    END IF;
    PERFORM set_config('app.tenant_id', v_tenant::text, true);
    PERFORM set_config('app.user_id', coalesce(v_user::text, ''), true);
    PERFORM set_config('app.context_xact', cogdb.context_stamp(), true);
    -- Both lookups run under RLS with the new context: they see only this tenant's rows.
    IF NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', v_tenant
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'Create it with cogdb.create_tenant() (admin) or check the id.';
    END IF;
    IF v_user IS NOT NULL AND NOT EXISTS (SELECT FROM cogdb.users u WHERE u.id = v_user) THEN
        RAISE EXCEPTION 'user % does not belong to tenant %', v_user, v_tenant
            USING ERRCODE = 'CGA02', COLUMN = 'user_id',
                  HINT = 'Use the tenant the user was created in (see cogdb.resolve_identity).';
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.set_context(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.set_context(text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.set_context(text, text) IS
    'Sets the tenant (and optionally the user) for the rest of the current transaction.';

-- sql/functions/context/tenant_gate.sql: new in this revision
DROP FUNCTION cogdb.tenant_gate(uuid);

-- >>> step 20_partition.down.sql
-- cogdb.memories becomes one plain table again: every promoted tenant's partition is folded
-- back into the DEFAULT partition, which takes the table's name, keys, indexes, triggers,
-- policies, grants and comment; foreign keys of other tables and functions on the row type
-- are re-created against it. The per-tenant indexes on partitions go with them (the
-- earlier maintain builds its partial indexes again).
DO $$
DECLARE
    r record;
    v_parent regclass := 'cogdb.memories'::regclass;
    v_after text[] := '{}';
    v_fks text[] := '{}';
    v_table text[] := '{}';
    v_parts text[] := '{}';
    v_columns text;
    v_stmt text;
    i integer;
BEGIN
    SELECT string_agg(DISTINCT v.oid::regclass::text, ', ') INTO v_stmt
      FROM pg_depend d JOIN pg_rewrite w ON w.oid = d.objid JOIN pg_class v ON v.oid = w.ev_class
     WHERE d.refobjid = v_parent AND d.classid = 'pg_rewrite'::regclass AND v.oid <> v_parent;
    IF v_stmt IS NOT NULL THEN
        RAISE EXCEPTION 'views on cogdb.memories (%) must be dropped first', v_stmt;
    END IF;
    FOR r IN SELECT p.oid::regprocedure::text AS sig, pg_get_functiondef(p.oid) AS def,
                    obj_description(p.oid, 'pg_proc') AS note,
                    ARRAY(SELECT a.grantee::regrole::text FROM aclexplode(p.proacl) a
                           WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> 0
                             AND a.grantee <> p.proowner) AS grantees,
                    EXISTS (SELECT FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                             WHERE a.grantee = 0) AS public_exec
               FROM pg_proc p
              WHERE p.prorettype = 'cogdb.memories'::regtype
                 OR 'cogdb.memories'::regtype = ANY (p.proargtypes)
    LOOP
        v_after := v_after || r.def
                   || CASE WHEN r.public_exec THEN NULL
                           ELSE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', r.sig) END
                   || CASE WHEN cardinality(r.grantees) > 0
                           THEN format('GRANT EXECUTE ON FUNCTION %s TO %s', r.sig,
                                       array_to_string(r.grantees, ', ')) END
                   || format('COMMENT ON FUNCTION %s IS %L', r.sig, r.note);
        EXECUTE format('DROP FUNCTION %s', r.sig);
    END LOOP;
    FOR r IN SELECT k.conrelid::regclass::text AS tbl, k.conname, pg_get_constraintdef(k.oid) AS def
               FROM pg_constraint k
              WHERE k.confrelid = v_parent AND k.contype = 'f' AND k.conparentid = 0
                AND k.conrelid <> v_parent
    LOOP
        v_fks := v_fks || ARRAY[ARRAY[r.tbl, format('ALTER TABLE %s ADD CONSTRAINT %I %s',
                                                    r.tbl, r.conname, r.def)]];
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
    END LOOP;

    -- Policies of other tables that read memories: they depend on the parent, which goes.
    -- Dropped, then created again against the table.
    FOR r IN SELECT DISTINCT p.oid, p.polname, p.polrelid::regclass::text AS tbl, p.polpermissive,
                    p.polcmd, p.polroles, pg_get_expr(p.polqual, p.polrelid) AS qual,
                    pg_get_expr(p.polwithcheck, p.polrelid) AS wcheck
               FROM pg_policy p JOIN pg_depend d
                 ON d.classid = 'pg_policy'::regclass AND d.objid = p.oid
              WHERE d.refobjid = v_parent AND p.polrelid <> v_parent
    LOOP
        v_after := v_after || format(
            'CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s', r.polname, r.tbl,
            CASE WHEN r.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
            CASE r.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                          WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
            (SELECT string_agg(CASE WHEN x = 0 THEN 'PUBLIC' ELSE quote_ident(x::regrole::text) END, ', ')
               FROM unnest(r.polroles) x),
            ' USING (' || r.qual || ')', ' WITH CHECK (' || r.wcheck || ')');
        EXECUTE format('DROP POLICY %I ON %s', r.polname, r.tbl);
    END LOOP;

    -- What the table carries after: the parent's triggers, policies, grants and comment.
    FOR r IN SELECT pg_get_triggerdef(t.oid) AS def FROM pg_trigger t
              WHERE t.tgrelid = v_parent AND NOT t.tgisinternal ORDER BY t.tgname
    LOOP
        v_table := v_table || r.def;
    END LOOP;
    FOR r IN SELECT p.polname, p.polpermissive, p.polcmd, p.polroles,
                    pg_get_expr(p.polqual, p.polrelid) AS qual,
                    pg_get_expr(p.polwithcheck, p.polrelid) AS wcheck
               FROM pg_policy p WHERE p.polrelid = v_parent ORDER BY p.polname
    LOOP
        v_table := v_table || format(
            'CREATE POLICY %I ON cogdb.memories AS %s FOR %s TO %s%s%s', r.polname,
            CASE WHEN r.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
            CASE r.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                          WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
            (SELECT string_agg(CASE WHEN x = 0 THEN 'PUBLIC' ELSE quote_ident(x::regrole::text) END, ', ')
               FROM unnest(r.polroles) x),
            ' USING (' || r.qual || ')', ' WITH CHECK (' || r.wcheck || ')');
    END LOOP;
    FOR r IN SELECT a.grantee::regrole::text AS grantee, string_agg(a.privilege_type, ', ') AS privs
               FROM pg_class c, aclexplode(c.relacl) a
              WHERE c.oid = v_parent AND a.grantee <> c.relowner AND a.grantee <> 0
              GROUP BY 1
    LOOP
        v_table := v_table || format('GRANT %s ON cogdb.memories TO %s', r.privs, r.grantee);
    END LOOP;
    v_table := v_table || format('COMMENT ON TABLE cogdb.memories IS %L',
                                 obj_description(v_parent, 'pg_class'));

    -- Detach every partition; the parent goes; the DEFAULT partition becomes the table.
    FOR r IN SELECT h.inhrelid::regclass::text AS part FROM pg_inherits h
              WHERE h.inhparent = v_parent AND h.inhrelid <> 'cogdb.memories_default'::regclass
    LOOP
        EXECUTE format('ALTER TABLE cogdb.memories DETACH PARTITION %s', r.part);
        v_parts := v_parts || r.part;
    END LOOP;
    ALTER TABLE cogdb.memories DETACH PARTITION cogdb.memories_default;
    DROP TABLE cogdb.memories;
    ALTER TABLE cogdb.memories_default RENAME TO memories;
    FOR r IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE i.indrelid = 'cogdb.memories'::regclass AND c.relname LIKE 'memories\_default\_%'
    LOOP
        EXECUTE format('ALTER INDEX cogdb.%I RENAME TO %I', r.relname,
                       'memories_' || substr(r.relname, length('memories_default_') + 1));
    END LOOP;
    FOR r IN SELECT t.tgname FROM pg_trigger t
              WHERE t.tgrelid = 'cogdb.memories'::regclass AND NOT t.tgisinternal
    LOOP
        EXECUTE format('DROP TRIGGER %I ON cogdb.memories', r.tgname);
    END LOOP;
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO v_columns
      FROM pg_attribute a
     WHERE a.attrelid = 'cogdb.memories'::regclass AND a.attnum > 0 AND NOT a.attisdropped;
    FOREACH v_stmt IN ARRAY v_parts LOOP
        EXECUTE format('INSERT INTO cogdb.memories (%s) SELECT %s FROM %s', v_columns, v_columns, v_stmt);
        EXECUTE format('DROP TABLE %s', v_stmt);
    END LOOP;
    FOREACH v_stmt IN ARRAY v_table LOOP
        EXECUTE v_stmt;
    END LOOP;
    FOREACH v_stmt IN ARRAY v_after LOOP
        EXECUTE v_stmt;
    END LOOP;
    -- As in the upgrade: validate foreign keys before forcing row security (see there).
    FOR i IN 1 .. coalesce(array_length(v_fks, 1), 0) LOOP
        IF (SELECT c.relforcerowsecurity FROM pg_class c WHERE c.oid = v_fks[i][1]::regclass) THEN
            EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', v_fks[i][1]);
            EXECUTE v_fks[i][2];
            EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', v_fks[i][1]);
        ELSE
            EXECUTE v_fks[i][2];
        END IF;
    END LOOP;
    ALTER TABLE cogdb.memories FORCE ROW LEVEL SECURITY;
END
$$;
-- <<< step 20_partition.down.sql

RESET ROLE;
