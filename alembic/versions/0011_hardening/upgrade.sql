-- cogdb revision 0011 (hardening): written by `python -m tools.freeze 0011` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> sql/functions/internal/vector_usable.sql
-- True when pgvector can compute the cosine distance between this vector and any other usable
-- one finitely: its norm lies between 1e-18 and 1e18. pgvector sums squares and products in
-- single precision, so a vector whose components all square below float's smallest value
-- (384 x 1e-45) has a zero norm there (every distance NaN), and one whose squares overflow
-- float (1e20 in every component) has an infinite one (NaN, even to itself). Within the bounds,
-- no sum of squares or of products can overflow (<= 1e36) and the largest component's square
-- stays above float's smallest subnormal for any pgvector dimension count (<= 16,000), while
-- every real embedding (norm ~1) is far inside. NULL for NULL. Inlinable (LANGUAGE sql, no
-- SET), so memories' trigger WHEN evaluates it without a function call.
CREATE OR REPLACE FUNCTION cogdb.vector_usable(v public.vector) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT public.vector_norm(v) BETWEEN 1e-18 AND 1e18
$$;

REVOKE ALL ON FUNCTION cogdb.vector_usable(public.vector) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.vector_usable(public.vector) TO cogdb_app;
COMMENT ON FUNCTION cogdb.vector_usable(public.vector) IS
    'True when the vector''s norm is between 1e-18 and 1e18, so its cosine distance to any usable vector is finite in pgvector''s single precision.';
-- <<< sql/functions/internal/vector_usable.sql

-- >>> sql/functions/internal/check_vector.sql
-- Nothing for a usable vector (cogdb.vector_usable); otherwise raises invalid_input (CGV01)
-- naming `field`: NULL, a zero vector, or a norm outside what pgvector's single-precision
-- cosine can handle. Every path that stores or searches with a vector calls it (memories
-- through check_memory_row, search, hybrid_search, entities through check_entity_row, the
-- LangGraph store's store_put and store_search), so each refuses the same vectors.
CREATE OR REPLACE FUNCTION cogdb.check_vector(v public.vector, field text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_norm double precision;
BEGIN
    IF v IS NULL THEN
        RAISE EXCEPTION '% is required', field USING ERRCODE = 'CGV01', COLUMN = field,
              HINT = 'Pass the vector of the text, embedded with its model.';
    END IF;
    IF cogdb.vector_usable(v) THEN
        RETURN;
    END IF;
    v_norm := public.vector_norm(v);
    IF v_norm = 0 THEN
        RAISE EXCEPTION '% is a zero vector; cosine similarity is undefined for it', field
            USING ERRCODE = 'CGV01', COLUMN = field,
                  HINT = 'Check the embedder: a real embedding has a non-zero norm.';
    END IF;
    RAISE EXCEPTION '% has norm %; cosine similarity needs a norm between 1e-18 and 1e18',
                    field, v_norm
        USING ERRCODE = 'CGV01', COLUMN = field,
              HINT = 'pgvector computes cosine in single precision, where this vector''s '
                     'squares underflow or overflow. Normalise it (a real embedding has norm ~1).';
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_vector(public.vector, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.check_vector(public.vector, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.check_vector(public.vector, text) IS
    'Raises CGV01 naming the field unless the vector is usable for cosine similarity (cogdb.vector_usable).';
-- <<< sql/functions/internal/check_vector.sql

-- >>> sql/functions/internal/parse_uuid.sql
-- The uuid in `value`, or NULL for NULL; raises invalid_input (CGV01) naming `field` otherwise.
-- Lets set_context and the admin functions take text and say which argument was wrong.
CREATE OR REPLACE FUNCTION cogdb.parse_uuid(value text, field text) RETURNS uuid
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    -- Exactly what the uuid cast accepts in the usual layout, nothing around it: no spaces,
    -- and braces only as a pair (either slipped through to the cast's 22P02, without a field).
    IF value !~* '^(\{[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}|[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12})$' THEN
        RAISE EXCEPTION '% must be a UUID, got %', field, quote_literal(left(value, 60))
            USING ERRCODE = 'CGV01', COLUMN = field,
                  HINT = 'Pass the id printed by create_tenant/create_user, e.g. 6f1c…-…';
    END IF;
    RETURN value::uuid;
END
$$;

REVOKE ALL ON FUNCTION cogdb.parse_uuid(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.parse_uuid(text, text) TO cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.parse_uuid(text, text) IS
    'The uuid in value (NULL for NULL), or CGV01 naming the field.';
-- <<< sql/functions/internal/parse_uuid.sql

-- >>> sql/functions/memories/check_memory_row.sql
-- Trigger: validates a memory row before it is written and fills the tenant's default model,
-- so a direct INSERT/UPDATE is checked like remember(). Each refusal names the field (the
-- error's COLUMN) and what is allowed. The CHECK constraints on cogdb.memories hold the same
-- rules declaratively; this function exists to explain them and to check what a CHECK cannot
-- (the context, the embedding's dimension for its model, a session the context can see, and
-- the fixed visibility of an offloaded context). On INSERT it runs only for a row that a rule
-- refuses, that leaves out its model or that names a session (the trigger's WHEN, see
-- sql/tables/memories.sql): other valid rows cost no call, and check_memory_batch checks
-- their dimensions, vocabularies and tags once per statement. On UPDATE it runs for every row.
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
    PERFORM cogdb.check_vector(NEW.embedding, 'embedding');

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
-- <<< sql/functions/memories/check_memory_row.sql

-- >>> step 20_memories_trigger.sql
-- The per-row check runs for every vector cogdb.vector_usable refuses (near-zero and huge
-- norms passed `vector_norm > 0`), so check_memory_row explains them with CGV01.
DROP TRIGGER memories_check_row_inserts ON cogdb.memories;
CREATE TRIGGER memories_check_row_inserts BEFORE INSERT ON cogdb.memories
    FOR EACH ROW WHEN ((
        NEW.tenant_id = cogdb.current_tenant_id()
        AND (NEW.owner_user_id IS NULL OR NEW.owner_user_id = cogdb.current_user_id())
        AND NEW.model IS NOT NULL AND NEW.embedding IS NOT NULL
        AND cogdb.vector_usable(NEW.embedding)
        AND NEW.source <> ALL (cogdb.chat_export_sources())
        AND length(NEW.id) <= 128 AND NEW.id ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]*$'
        AND NEW.visibility IN ('private', 'tenant')
        AND (NEW.visibility = 'tenant' OR NEW.owner_user_id IS NOT NULL)
        AND length(NEW.human_content) <= 100000 AND length(NEW.assistant_content) <= 100000
        AND (NEW.human_content <> '' OR NEW.assistant_content <> '')
        AND coalesce(length(NEW.summary) <= 10000, true)
        AND coalesce(length(NEW.conversation_id) <= 255, true)
        AND coalesce(length(NEW.cluster_label) <= 255, true)
        AND coalesce(NEW.technical_depth BETWEEN 0 AND 10, true)
        AND coalesce(NEW.cluster_confidence BETWEEN 0 AND 1, true)
        AND NEW.sequence_index >= 0 AND NEW.access_count >= 0 AND NEW.cluster_id >= -1
        AND coalesce(NEW.expires_at > NEW.created_at, true)
        AND jsonb_typeof(NEW.tags) IN ('array', 'object') AND pg_column_size(NEW.tags) <= 16384
        AND jsonb_typeof(NEW.metadata) = 'object' AND pg_column_size(NEW.metadata) <= 65536
        AND NEW.session_id IS NULL
        ) IS NOT TRUE)
    EXECUTE FUNCTION cogdb.check_memory_row();
-- <<< step 20_memories_trigger.sql

-- >>> step 30_tenant_statistics.sql
-- No planner statistics on tenant_id in the tables the app login may EXPLAIN: their most
-- common values gave any login another tenant's row count (a tenant of 2,400 rows estimated
-- at 2,264, a random uuid at 6). SET STATISTICS 0 stops ANALYZE from gathering them (on a
-- partitioned table it recurses to the partitions, and prepare_partition copies the target to
-- new ones); what ANALYZE had already gathered is cleared. Cost measured by `python -m bench
-- stats` (bench/RESULTS.md, Reliability).
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.relname FROM pg_class c
              WHERE c.relnamespace = 'cogdb'::regnamespace AND c.relkind IN ('r', 'p')
                AND (c.relname IN ('entities', 'entity_observations', 'events', 'memories', 'offloaded_contexts', 'relationship_types', 'relationships', 'sessions', 'store_items', 'store_vectors', 'users', 'working_context') OR c.relname LIKE 'memories\_%')
                AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid
                               AND a.attname = 'tenant_id' AND NOT a.attisdropped)
              ORDER BY c.relname
    LOOP
        EXECUTE format('ALTER TABLE cogdb.%I ALTER COLUMN tenant_id SET STATISTICS 0', r.relname);
        PERFORM pg_catalog.pg_clear_attribute_stats('cogdb', r.relname, 'tenant_id', inh)
           FROM unnest(ARRAY[false, true]) AS inh;
    END LOOP;
END
$$;
-- <<< step 30_tenant_statistics.sql

-- >>> sql/functions/search/search.sql
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
-- <<< sql/functions/search/search.sql

-- >>> sql/functions/sessions/search_sessions.sql
-- "The sessions where X came up": the sessions (that the context can see) of the memories
-- nearest to `query`, best first. It ranks with cogdb.search itself (the same plan choice,
-- filters of visibility and expiry, and model), taking its `candidates` nearest memories
-- (1 … settings.search.max_k), then groups them by session: similarity is the best of the
-- session's memories among them, matches how many there were, best_memory_id the nearest.
-- Memories without a session are left out. Ties: by session id.
CREATE OR REPLACE FUNCTION cogdb.search_sessions(query public.vector, k integer DEFAULT 10,
                                                 model text DEFAULT NULL,
                                                 candidates integer DEFAULT 200)
    RETURNS TABLE (session_id uuid, similarity double precision, matches bigint,
                   best_memory_id text, owner_user_id uuid, visibility text, mode text,
                   agent text, parent_session_id uuid, started_at timestamptz,
                   ended_at timestamptz, plan text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF search_sessions.k IS NULL OR search_sessions.k NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'k must be between 1 and 1000, got %', coalesce(search_sessions.k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'k', HINT = 'k is how many sessions to return.';
    END IF;
    -- Checked here too: with no session to join, the plan may never call cogdb.search.
    PERFORM cogdb.check_vector(search_sessions.query, 'query');
    RETURN QUERY
    SELECT s.id, max(h.similarity), count(*),
           (array_agg(h.id ORDER BY h.similarity DESC, h.id))[1],
           s.owner_user_id, s.visibility, s.mode, s.agent, s.parent_session_id, s.started_at,
           s.ended_at, min(h.plan)
      FROM cogdb.search(search_sessions.query, k => search_sessions.candidates,
                        model => search_sessions.model) h
      JOIN cogdb.memories m ON m.id = h.id
      JOIN cogdb.sessions s ON s.tenant_id = m.tenant_id AND s.id = m.session_id
     GROUP BY s.tenant_id, s.id
     ORDER BY 2 DESC, 1
     LIMIT search_sessions.k;
END
$$;

REVOKE ALL ON FUNCTION cogdb.search_sessions(public.vector, integer, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.search_sessions(public.vector, integer, text, integer) TO cogdb_app;
COMMENT ON FUNCTION cogdb.search_sessions(public.vector, integer, text, integer) IS
    'The sessions whose memories are nearest to `query` (ranked by cogdb.search), best first.';
-- <<< sql/functions/sessions/search_sessions.sql

-- >>> sql/functions/sessions/search_offloaded.sql
-- The k offloaded contexts nearest to `query`, nearest first: cogdb.search itself (same
-- plan choice, visibility, expiry and model) restricted to context_type 'offload', with
-- each one's session and sizes; the text itself comes from get_offloaded. The query is checked
-- first: with nothing offloaded to join, the plan may never call cogdb.search.
CREATE OR REPLACE FUNCTION cogdb.search_offloaded(query public.vector, k integer DEFAULT 10,
                                                  model text DEFAULT NULL)
    RETURNS TABLE (id text, similarity double precision, summary text, preview text,
                   session_id uuid, original_bytes integer, stored_bytes integer,
                   compression_ratio double precision, created_at timestamptz, plan text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM cogdb.check_vector(search_offloaded.query, 'query');
    RETURN QUERY
    SELECT h.id, h.similarity, h.summary, h.human_content, m.session_id,
           octet_length(o.content), pg_column_size(o.content),
           round((octet_length(o.content)::numeric / pg_column_size(o.content)), 2)::double precision,
           h.created_at, h.plan
      FROM cogdb.search(search_offloaded.query, k => search_offloaded.k,
                        model => search_offloaded.model, only_context_type => 'offload') h
      JOIN cogdb.memories m ON m.id = h.id
      JOIN cogdb.offloaded_contexts o ON o.tenant_id = m.tenant_id AND o.memory_id = m.id
     ORDER BY h.similarity DESC, h.id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.search_offloaded(public.vector, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.search_offloaded(public.vector, integer, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.search_offloaded(public.vector, integer, text) IS
    'The k offloaded contexts nearest to `query` (ranked by cogdb.search), with their session and sizes.';
-- <<< sql/functions/sessions/search_offloaded.sql

-- >>> sql/functions/knowledge/check_entity_row.sql
-- Trigger (BEFORE INSERT OR UPDATE ON entities): what the CHECK constraints cannot say, so a
-- direct INSERT/UPDATE is checked like upsert_entity(): a context is required, the tenant and
-- (on insert) the owner are the context's, an owner never changes (except to NULL when the
-- foreign key clears a deleted user), the id is the one its key derives (entity_id_for), the
-- key never changes, and an embedding matches its model's dimensions. Each refusal names the
-- field.
CREATE OR REPLACE FUNCTION cogdb.check_entity_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid;
    v_dims integer;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.owner_user_id IS DISTINCT FROM OLD.owner_user_id THEN
        -- Deleting a user clears the owner of their shared entities: the foreign key's action
        -- runs as the table owner, changes nothing else, and needs no context.
        IF current_user = 'cogdb_owner' AND NEW.owner_user_id IS NULL
           AND to_jsonb(NEW) - 'owner_user_id' = to_jsonb(OLD) - 'owner_user_id' THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'owner_user_id cannot be changed'
            USING ERRCODE = 'CGA02', COLUMN = 'owner_user_id',
                  HINT = 'Upsert a new entity under another key instead.';
    END IF;
    v_tenant := cogdb.require_tenant('writing entities');
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
    IF TG_OP = 'UPDATE' AND (NEW.system, NEW.external_id, NEW.id)
                            IS DISTINCT FROM (OLD.system, OLD.external_id, OLD.id) THEN
        RAISE EXCEPTION 'an entity''s key (system, external_id) and id never change'
            USING ERRCODE = 'CGV01', COLUMN = 'external_id',
                  HINT = 'Upsert the entity under its new key and merge the old one into it '
                         '(cogdb.merge_entities).';
    END IF;
    IF NEW.id IS DISTINCT FROM cogdb.entity_id_for(NEW.system, NEW.external_id) THEN
        RAISE EXCEPTION 'id must be cogdb.entity_id_for(system, external_id)'
            USING ERRCODE = 'CGV01', COLUMN = 'id',
                  HINT = 'Leave id to cogdb.upsert_entity, which derives it from the key.';
    END IF;
    -- The CHECKs on cogdb.entities, explained with the field (a bare 23514 names no field).
    IF NEW.entity_type IS NULL OR length(NEW.entity_type) NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'entity_type must be 1-100 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'entity_type',
                  HINT = 'e.g. customer, person, project; leave it out for thing.';
    END IF;
    IF NEW.name IS NULL OR length(NEW.name) NOT BETWEEN 1 AND 500 THEN
        RAISE EXCEPTION 'name must be 1-500 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'name',
                  HINT = 'Leave it out to use the external id as the name.';
    END IF;
    IF NEW.visibility IS NULL OR NEW.visibility NOT IN ('private', 'tenant') THEN
        RAISE EXCEPTION 'visibility must be private or tenant, got %',
                        coalesce(quote_literal(NEW.visibility), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'tenant: every user of the tenant sees it; private: only its owner.';
    END IF;
    IF jsonb_typeof(NEW.data) IS DISTINCT FROM 'object' OR pg_column_size(NEW.data) > 1048576 THEN
        RAISE EXCEPTION 'data must be a JSON object of at most 1 MiB'
            USING ERRCODE = 'CGV01', COLUMN = 'data',
                  HINT = 'Upserts merge objects key by key; keep large documents elsewhere.';
    END IF;
    IF NEW.visibility = 'private' AND NEW.owner_user_id IS NULL THEN
        RAISE EXCEPTION 'a private entity needs a user in the context'
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'Pass a user to set_context, or use visibility ''tenant''.';
    END IF;
    IF NEW.embedding IS NOT NULL THEN
        SELECT r.name, r.dimensions INTO NEW.model, v_dims FROM cogdb.resolve_model(NEW.model) r;
        IF public.vector_dims(NEW.embedding) <> v_dims THEN
            RAISE EXCEPTION 'embedding has % dimensions; model % needs %',
                            public.vector_dims(NEW.embedding), quote_literal(NEW.model), v_dims
                USING ERRCODE = 'CGV01', COLUMN = 'embedding',
                      HINT = 'Embed with the model named, or pass the model the vector came from.';
        END IF;
        PERFORM cogdb.check_vector(NEW.embedding, 'embedding');
    END IF;
    RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_entity_row() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.check_entity_row() IS
    'Row trigger on entities: the context, tenant, owner, key and embedding rules a CHECK cannot state.';
-- <<< sql/functions/knowledge/check_entity_row.sql

-- >>> sql/functions/provisioning/create_tenant.sql
-- Creates a tenant and returns its id. With an external_id it is idempotent: the same
-- external_id, name and mode return the existing tenant; a different name or mode conflicts.
-- Definer (owned by cogdb_owner), executable by cogdb_admin only; the tenants registry is
-- readable to the owner through the tenants__registry_owner policy.
CREATE OR REPLACE FUNCTION cogdb.create_tenant(name text, mode text DEFAULT 'personal',
                                               external_id text DEFAULT NULL,
                                               isolation_level text DEFAULT 'strict',
                                               default_model text DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_id uuid;
    v_existing cogdb.tenants;
BEGIN
    IF coalesce(length(btrim(name)), 0) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'name must be 1-200 characters' USING ERRCODE = 'CGV01', COLUMN = 'name',
              HINT = 'Give the tenant a display name.';
    END IF;
    IF length(external_id) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'external_id must be 1-255 characters (or NULL)'
            USING ERRCODE = 'CGV01', COLUMN = 'external_id',
                  HINT = 'Your system''s id for the tenant; leave it out if there is none.';
    END IF;
    IF mode IS NULL OR mode NOT IN ('personal', 'enterprise') THEN
        RAISE EXCEPTION 'mode must be personal or enterprise, got %', coalesce(quote_literal(mode), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'mode',
                  HINT = 'personal: one person''s memory; enterprise: a team''s.';
    END IF;
    IF isolation_level IS NULL OR isolation_level NOT IN ('strict', 'shared', 'federated') THEN
        RAISE EXCEPTION 'isolation_level must be strict, shared or federated, got %',
                        coalesce(quote_literal(isolation_level), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'isolation_level',
                  HINT = 'Use strict unless the tenant shares memories with others.';
    END IF;
    IF default_model IS NOT NULL
       AND NOT EXISTS (SELECT FROM cogdb.embedding_models m WHERE m.name = default_model) THEN
        RAISE EXCEPTION 'unknown embedding model %', quote_literal(default_model)
            USING ERRCODE = 'CGV02', COLUMN = 'default_model',
                  HINT = 'Register it first with cogdb.register_model(name, dimensions).';
    END IF;

    INSERT INTO cogdb.tenants AS t (name, mode, external_id, isolation_level, default_model)
    VALUES (btrim(name), mode, external_id, isolation_level, default_model)
    ON CONFLICT ON CONSTRAINT tenants_external_id_key DO NOTHING
    RETURNING t.id INTO v_id;
    IF v_id IS NULL THEN
        SELECT * INTO v_existing FROM cogdb.tenants t WHERE t.external_id = create_tenant.external_id;
        IF v_existing.name IS DISTINCT FROM btrim(name) OR v_existing.mode IS DISTINCT FROM mode THEN
            RAISE EXCEPTION 'a tenant with external_id % already exists with another name or mode',
                            quote_literal(external_id)
                USING ERRCODE = 'CGC01', COLUMN = 'external_id',
                      HINT = 'Use another external_id, or the same name and mode to get its id.';
        END IF;
        v_id := v_existing.id;
    END IF;
    RETURN v_id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.create_tenant(text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.create_tenant(text, text, text, text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.create_tenant(text, text, text, text, text) IS
    'Creates a tenant and returns its id.';
-- <<< sql/functions/provisioning/create_tenant.sql

-- >>> sql/functions/knowledge/hybrid_search.sql
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
-- <<< sql/functions/knowledge/hybrid_search.sql

-- >>> sql/functions/store/store_put.sql
-- Writes a batch of LangGraph store puts in one call; returns how many items it wrote or
-- deleted. `items`: [{"namespace": [labels], "key": "k", "value": {…} or null (delete),
-- "ttl_minutes": n or null}]; a later item with the same namespace and key wins. A put
-- replaces the item's value, TTL and vectors (created_at stays). `vector_keys`:
-- [{"item": <1-based position in items>, "field": "<path>"}], one per vector of
-- `embeddings`, same order. Items are tenant-wide; the tenant comes from the context.
CREATE OR REPLACE FUNCTION cogdb.store_put(items jsonb, vector_keys jsonb DEFAULT '[]',
                                           embeddings public.vector[] DEFAULT '{}')
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_namespaces text[];
    v_keys text[];
    v_values jsonb[];
    v_ttls float8[];
    v_ords bigint[];
    v_deleted integer;
    v_written integer;
    v_bad bigint;
BEGIN
    PERFORM cogdb.require_tenant('writing store items');
    IF jsonb_typeof(items) IS DISTINCT FROM 'array'
       OR EXISTS (SELECT FROM jsonb_array_elements(items) e
                   WHERE jsonb_typeof(e) <> 'object'
                      OR jsonb_typeof(e -> 'namespace') IS DISTINCT FROM 'array'
                      OR jsonb_typeof(e -> 'key') IS DISTINCT FROM 'string'
                      OR coalesce(jsonb_typeof(e -> 'value'), 'null') NOT IN ('object', 'null')
                      OR coalesce(jsonb_typeof(e -> 'ttl_minutes'), 'null')
                         NOT IN ('number', 'null')) THEN
        RAISE EXCEPTION 'items must be a JSON array of {namespace: [labels], key: text, value: object or null, ttl_minutes: number or null}'
            USING ERRCODE = 'CGV01', COLUMN = 'items',
                  HINT = 'e.g. ''[{"namespace": ["users", "alice"], "key": "k", "value": {"a": 1}}]''';
    END IF;
    IF jsonb_array_length(coalesce(vector_keys, '[]')) <> coalesce(cardinality(embeddings), 0)
       OR EXISTS (SELECT FROM jsonb_array_elements(coalesce(vector_keys, '[]')) k
                   WHERE jsonb_typeof(k -> 'item') IS DISTINCT FROM 'number'
                      OR jsonb_typeof(k -> 'field') IS DISTINCT FROM 'string') THEN
        RAISE EXCEPTION '% vector keys but % embeddings; they pair up one to one, each {item, field}',
                        jsonb_array_length(coalesce(vector_keys, '[]')),
                        coalesce(cardinality(embeddings), 0)
            USING ERRCODE = 'CGV01', COLUMN = 'vector_keys',
                  HINT = 'e.g. ''[{"item": 1, "field": "$"}]'' with one vector.';
    END IF;
    -- Each vector is one cosine search could rank (NULL, zero, under- or overflowing ones are
    -- refused by cogdb.check_vector, naming its position).
    SELECT e.ord INTO v_bad FROM unnest(embeddings) WITH ORDINALITY AS e(v, ord)
     WHERE cogdb.vector_usable(e.v) IS NOT TRUE ORDER BY e.ord LIMIT 1;
    IF v_bad IS NOT NULL THEN
        PERFORM cogdb.check_vector(embeddings[v_bad], format('embeddings[%s]', v_bad));
    END IF;

    -- The puts, deduplicated (the last of a namespace and key wins), as parallel arrays.
    SELECT array_agg(d.namespace), array_agg(d.key), array_agg(d.value),
           array_agg(d.ttl_minutes), array_agg(d.ord)
      INTO v_namespaces, v_keys, v_values, v_ttls, v_ords
      FROM (SELECT DISTINCT ON (n.namespace, e.obj ->> 'key')
                   e.ord, n.namespace, e.obj ->> 'key' AS key,
                   nullif(e.obj -> 'value', 'null') AS value,
                   (e.obj ->> 'ttl_minutes')::float8 AS ttl_minutes
              FROM jsonb_array_elements(items) WITH ORDINALITY AS e(obj, ord),
                   LATERAL (SELECT cogdb.store_namespace(
                                ARRAY(SELECT jsonb_array_elements_text(e.obj -> 'namespace')))
                            AS namespace) n
             ORDER BY n.namespace, e.obj ->> 'key', e.ord DESC) d;
    IF v_ords IS NULL THEN
        RETURN 0;
    END IF;

    -- Items first: the upsert locks each written item (waiting for a concurrent put of the
    -- same key to commit), so the vectors' DELETE below, a later statement with a newer
    -- snapshot, sees and removes that put's vectors before this one inserts its own (deleting
    -- them first raced: two puts of one key both inserted vectors, 23505). Deleted items take
    -- their vectors with them (ON DELETE CASCADE).
    DELETE FROM cogdb.store_items s
     USING unnest(v_namespaces, v_keys, v_values) AS i(namespace, key, value)
     WHERE i.value IS NULL AND s.namespace = i.namespace AND s.key = i.key;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    INSERT INTO cogdb.store_items AS s (namespace, key, value, expires_at, ttl_minutes)
    SELECT i.namespace, i.key, i.value, now() + i.ttl_minutes * interval '1 minute',
           i.ttl_minutes
      FROM unnest(v_namespaces, v_keys, v_values, v_ttls)
           AS i(namespace, key, value, ttl_minutes)
     WHERE i.value IS NOT NULL
     ORDER BY i.namespace, i.key
        ON CONFLICT (tenant_id, namespace, key) DO UPDATE
       SET value = EXCLUDED.value, updated_at = now(), expires_at = EXCLUDED.expires_at,
           ttl_minutes = EXCLUDED.ttl_minutes;
    GET DIAGNOSTICS v_written = ROW_COUNT;
    DELETE FROM cogdb.store_vectors v
     USING unnest(v_namespaces, v_keys, v_values) AS i(namespace, key, value)
     WHERE i.value IS NOT NULL AND v.namespace = i.namespace AND v.key = i.key;
    INSERT INTO cogdb.store_vectors (namespace, key, field, embedding)
    SELECT DISTINCT ON (i.namespace, i.key, k.obj ->> 'field')
           i.namespace, i.key, k.obj ->> 'field', embeddings[k.ord]
      FROM jsonb_array_elements(coalesce(vector_keys, '[]')) WITH ORDINALITY AS k(obj, ord)
      JOIN unnest(v_namespaces, v_keys, v_values, v_ords) AS i(namespace, key, value, ord)
        ON i.ord = (k.obj ->> 'item')::bigint
     WHERE i.value IS NOT NULL
     ORDER BY i.namespace, i.key, k.obj ->> 'field', k.ord DESC;
    RETURN v_deleted + v_written;
END
$$;

REVOKE ALL ON FUNCTION cogdb.store_put(jsonb, jsonb, public.vector[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_put(jsonb, jsonb, public.vector[]) TO cogdb_app;
COMMENT ON FUNCTION cogdb.store_put(jsonb, jsonb, public.vector[]) IS
    'Writes a batch of LangGraph store puts (value null deletes) with their vectors; returns how many items were written or deleted.';
-- <<< sql/functions/store/store_put.sql

-- >>> sql/functions/store/store_search.sql
-- Store items under a namespace prefix (label by label: ['a'] matches a and a.b, never ab;
-- no labels: the whole tenant), narrowed by `filter` on the value's top-level keys (cogdb's
-- metadata filter: {"k": v}, $eq $ne $gt $gte $lt $lte $in $nin; $gt… compare numbers with
-- numbers, strings with strings). Without `query`: newest update first, score NULL. With
-- it: items with vectors of the query's dimensions, ranked by the best cosine similarity of
-- any of their vectors (score, 1 = same direction), then namespace and key. page_size
-- (0-1000) and page_offset page the result after filtering; refresh_ttl and omit_expired
-- as in store_get. `plan` says how a query search ran, as cogdb.search does:
--   exact            every candidate vector ranked: a tenant without an ANN index for the
--                    query's dimensions, or at most search.exact_max_rows candidates after
--                    the prefix and the filter;
--   ann:<index>      the tenant's own partial HNSW index (store_ann_index_name, built by
--                    `cogdb maintain`), iterative scans keeping filtered recall; an item's
--                    best vector among the nearest candidates ranks it.
SELECT '[1]'::public.vector;  -- loads pgvector, so the hnsw.* settings below are known
CREATE OR REPLACE FUNCTION cogdb.store_search(namespace_prefix text[] DEFAULT '{}',
                                              query public.vector DEFAULT NULL,
                                              filter jsonb DEFAULT NULL,
                                              page_size integer DEFAULT 10,
                                              page_offset integer DEFAULT 0,
                                              refresh_ttl boolean DEFAULT true,
                                              omit_expired boolean DEFAULT false)
    RETURNS TABLE (namespace text[], key text, value jsonb, created_at timestamptz,
                   updated_at timestamptz, score double precision, plan text)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    -- Scoped to this call; the values used come from cogdb.settings (search.*), and the ANN
    -- path turns sorts and bitmap scans off for its query (see below).
    SET hnsw.ef_search = 100
    SET hnsw.iterative_scan = 'relaxed_order'
    SET hnsw.max_scan_tuples = 50000
    SET enable_sort = on
    SET enable_bitmapscan = on
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_prefix text := CASE WHEN cardinality(coalesce(namespace_prefix, '{}')) > 0
                          THEN cogdb.store_namespace(namespace_prefix) END;
    -- $1 prefix, $2 include expired, $3 page_size, $4 page_offset, $5 refresh, $6 query.
    -- cogdb.metadata_filter_sql writes its condition on m.metadata: here, the item's value.
    v_where constant text :=
        ' WHERE ($1::text IS NULL OR i.namespace = $1'
        ' OR (i.namespace >= $1 || ''.'' AND i.namespace < $1 || ''/''))'
        ' AND ($2 OR i.expires_at IS NULL OR i.expires_at > now())'
        || cogdb.metadata_filter_sql(filter);
    v_from constant text :=
        ' FROM cogdb.store_vectors v JOIN cogdb.store_items i ON i.tenant_id = v.tenant_id'
        ' AND i.namespace = v.namespace AND i.key = v.key'
        ' CROSS JOIN LATERAL (SELECT i.value AS metadata) m';
    v_dims integer := public.vector_dims(query);
    v_index text;
    v_exact_max integer := cogdb.int_setting('search.exact_max_rows');
    v_candidates bigint;
    v_plan text := 'exact';
    v_ranked text;
BEGIN
    IF page_size IS NULL OR page_size NOT BETWEEN 0 AND 1000 THEN
        RAISE EXCEPTION 'page_size must be between 0 and 1000, got %', coalesce(page_size::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'page_size',
                  HINT = 'Page through more with page_offset.';
    END IF;
    IF page_offset IS NULL OR page_offset < 0 THEN
        RAISE EXCEPTION 'page_offset must be 0 or more, got %', coalesce(page_offset::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'page_offset', HINT = '0 is the first page.';
    END IF;
    IF v_tenant IS NULL THEN
        RETURN;  -- no context: nothing is visible
    END IF;

    IF query IS NULL THEN
        v_plan := NULL;
        v_ranked := 'SELECT i.namespace, i.key, NULL::float8 AS score, i.updated_at'
                    ' FROM cogdb.store_items i CROSS JOIN LATERAL (SELECT i.value AS metadata) m'
                    || v_where
                    || ' ORDER BY i.updated_at DESC, i.namespace, i.key LIMIT $3 OFFSET $4';
    ELSE
        PERFORM cogdb.check_vector(query, 'query');
        v_index := cogdb.store_ann_index_name(v_tenant, v_dims);
        IF EXISTS (SELECT FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
                    WHERE c.relname = v_index AND c.relnamespace = 'cogdb'::regnamespace
                      AND x.indisvalid) THEN
            -- Count the candidate vectors, stopping just past the exact threshold.
            EXECUTE format('SELECT count(*) FROM (SELECT 1%s AND v.tenant_id = %L'
                           ' AND v.dims = %s LIMIT %s) c',
                           v_from || v_where, v_tenant, v_dims, v_exact_max + 1)
               INTO v_candidates
              USING v_prefix, NOT omit_expired, page_size, page_offset, refresh_ttl, query;
            IF v_candidates > v_exact_max THEN
                v_plan := 'ann:' || v_index;
                PERFORM set_config('hnsw.ef_search',
                                   greatest(cogdb.int_setting('search.ef_search'),
                                            (page_size + page_offset) * 4)::text, true);
                PERFORM set_config('hnsw.max_scan_tuples',
                                   cogdb.int_setting('search.max_scan_tuples')::text, true);
                -- Past the threshold the index is the plan we want; without statistics on
                -- namespaces (SET STATISTICS 0) the planner would often pick a bitmap scan
                -- of the whole tenant and a sort (280 ms instead of 1.5 ms at 50k vectors).
                PERFORM set_config('enable_sort', 'off', true);
                PERFORM set_config('enable_bitmapscan', 'off', true);
            END IF;
        END IF;
        IF v_plan = 'exact' THEN
            v_ranked := 'SELECT v.namespace, v.key,'
                        ' max(1 - (v.embedding OPERATOR(public.<=>) $6)) AS score,'
                        ' NULL::timestamptz AS updated_at'
                        || v_from || v_where
                        || format(' AND v.dims = %s', v_dims)
                        || ' GROUP BY v.namespace, v.key'
                           ' ORDER BY score DESC, v.namespace, v.key LIMIT $3 OFFSET $4';
        ELSE
            -- The tenant and the dimension as literals let the planner use the partial
            -- index; the nearest (page_size + page_offset) * 4 vectors rank the items.
            v_ranked := format(
                'SELECT c.namespace, c.key, max(1 - c.distance) AS score,'
                ' NULL::timestamptz AS updated_at FROM ('
                ' SELECT v.namespace, v.key,'
                ' (v.embedding::public.vector(%s)) OPERATOR(public.<=>) $6 AS distance'
                '%s AND v.tenant_id = %L AND v.dims = %s'
                ' ORDER BY (v.embedding::public.vector(%s)) OPERATOR(public.<=>) $6'
                ' LIMIT ($3 + $4) * 4) c'
                ' GROUP BY c.namespace, c.key'
                ' ORDER BY score DESC, c.namespace, c.key LIMIT $3 OFFSET $4',
                v_dims, v_from || v_where, v_tenant, v_dims, v_dims);
        END IF;
    END IF;
    RETURN QUERY EXECUTE
        'WITH ranked AS MATERIALIZED (' || v_ranked || '),'
        ' refreshed AS (UPDATE cogdb.store_items s'
        '   SET expires_at = now() + s.ttl_minutes * interval ''1 minute'''
        '  FROM ranked r WHERE $5 AND s.namespace = r.namespace AND s.key = r.key'
        '   AND s.expires_at > now() RETURNING 1)'
        ' SELECT string_to_array(i.namespace, ''.''), i.key, i.value, i.created_at,'
        ' i.updated_at, r.score, $7 FROM ranked r JOIN cogdb.store_items i'
        ' ON i.namespace = r.namespace AND i.key = r.key'
        || CASE WHEN query IS NULL THEN ' ORDER BY i.updated_at DESC, i.namespace, i.key'
                ELSE ' ORDER BY r.score DESC, i.namespace, i.key' END
      USING v_prefix, NOT omit_expired, page_size, page_offset, refresh_ttl, query, v_plan;
END
$$;

REVOKE ALL ON FUNCTION cogdb.store_search(text[], public.vector, jsonb, integer, integer, boolean, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_search(text[], public.vector, jsonb, integer, integer, boolean, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.store_search(text[], public.vector, jsonb, integer, integer, boolean, boolean) IS
    'Store items under a namespace prefix, filtered on the value''s top-level keys; newest first, or ranked by cosine similarity to `query` (exact, or the tenant''s own ANN index when large).';
-- <<< sql/functions/store/store_search.sql

RESET ROLE;
