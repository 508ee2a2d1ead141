-- cogdb revision 0004 (shared_rules): downgrade, written by `python -m tools.freeze 0004` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

REVOKE ALL ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer) IS NULL;
-- sql/functions/search/search.sql as frozen in revision 0003
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

REVOKE ALL ON FUNCTION cogdb.forget(text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.forget(text) IS NULL;
-- sql/functions/memories/forget.sql as frozen in revision 0001
-- Deletes the memory with this id if the caller may see it; true if a row was deleted.
-- An invisible id returns false, exactly like a missing one.
CREATE OR REPLACE FUNCTION cogdb.forget(id text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF cogdb.current_tenant_id() IS NULL THEN
        RAISE EXCEPTION 'no tenant context: forgetting a memory needs one'
            USING ERRCODE = 'CGA01',
                  HINT = 'Call cogdb.set_context(tenant, user) first in the transaction.';
    END IF;
    DELETE FROM cogdb.memories m WHERE m.id = forget.id;
    RETURN FOUND;
END
$$;

REVOKE ALL ON FUNCTION cogdb.forget(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.forget(text) TO cogdb_app;

REVOKE ALL ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) IS NULL;
-- sql/functions/memories/remember_many.sql as frozen in revision 0001
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
    IF cogdb.current_tenant_id() IS NULL THEN
        RAISE EXCEPTION 'no tenant context: writing memories needs one'
            USING ERRCODE = 'CGA01',
                  HINT = 'Call cogdb.set_context(tenant, user) first in the transaction.';
    END IF;
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
                           'tags', 'cluster_id', 'cluster_label', 'cluster_confidence',
                           'access_count', 'last_accessed']);
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
               coalesce(r.tags, '{}') AS tags, coalesce(r.cluster_id, -1) AS cluster_id,
               r.cluster_label, r.cluster_confidence,
               coalesce(r.access_count, 0) AS access_count, r.last_accessed,
               embeddings[r.ord] AS embedding
          FROM ROWS FROM (jsonb_to_recordset(memories) AS (
                   id text, conversation_id text, sequence_index integer, human_content text,
                   assistant_content text, summary text, context_type text, source text,
                   created_at timestamptz, expires_at timestamptz, visibility text,
                   intent_type text, complexity text, technical_depth smallint,
                   emotional_valence text, urgency text, conversation_mode text,
                   action_required boolean, has_code boolean, has_error boolean, tags text[],
                   cluster_id integer, cluster_label text, cluster_confidence real,
                   access_count integer, last_accessed timestamptz))
               WITH ORDINALITY AS r(id, conversation_id, sequence_index, human_content,
                   assistant_content, summary, context_type, source, created_at, expires_at,
                   visibility, intent_type, complexity, technical_depth, emotional_valence,
                   urgency, conversation_mode, action_required, has_code, has_error, tags,
                   cluster_id, cluster_label, cluster_confidence, access_count,
                   last_accessed, ord)
    ), inserted AS (
        INSERT INTO cogdb.memories AS m (
            id, conversation_id, sequence_index, human_content, assistant_content, summary,
            context_type, source, created_at, expires_at, visibility, intent_type, complexity,
            technical_depth, emotional_valence, urgency, conversation_mode, action_required,
            has_code, has_error, tags, cluster_id, cluster_label, cluster_confidence,
            access_count, last_accessed, model, embedding)
        SELECT i.id, i.conversation_id, i.sequence_index, i.human_content, i.assistant_content,
               i.summary, i.context_type, i.source, i.created_at, i.expires_at, i.visibility,
               i.intent_type, i.complexity, i.technical_depth, i.emotional_valence, i.urgency,
               i.conversation_mode, i.action_required, i.has_code, i.has_error, i.tags,
               i.cluster_id, i.cluster_label, i.cluster_confidence, i.access_count,
               i.last_accessed, remember_many.model, i.embedding
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
                       ('has_error', 'boolean'), ('tags', 'text[]')) AS t(key, typ)
         WHERE jsonb_typeof(e.obj -> t.key) NOT IN ('null')
           AND CASE WHEN t.typ = 'text[]'
                    THEN jsonb_typeof(e.obj -> t.key) <> 'array'
                    ELSE jsonb_typeof(e.obj -> t.key) IN ('array', 'object')
                         OR NOT pg_input_is_valid(e.obj ->> t.key, t.typ) END
         ORDER BY e.ord
         LIMIT 1;
        IF v_bad_key IS NULL THEN
            RAISE;
        END IF;
        RAISE EXCEPTION '% of memory #% must be of type %, got %', v_bad_key, v_bad_ord,
                        v_bad_type, left((memories -> (v_bad_ord::integer - 1) -> v_bad_key)::text, 60)
            USING ERRCODE = 'CGV01', COLUMN = v_bad_key,
                  HINT = 'Numbers as JSON numbers, timestamps as ISO 8601 strings, tags as a list.';
    END;
END
$$;

REVOKE ALL ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) TO cogdb_app;

REVOKE ALL ON FUNCTION cogdb.check_memory_row() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.check_memory_row() IS NULL;
-- sql/functions/memories/check_memory_row.sql as frozen in revision 0002
-- Trigger: validates a memory row before it is written and fills the tenant's default model,
-- so a direct INSERT/UPDATE is checked like remember(). Each refusal names the field (the
-- error's COLUMN) and what is allowed. The CHECK constraints on cogdb.memories hold the same
-- rules declaratively; this function exists to explain them and to check what a CHECK cannot
-- (the context, and the embedding's dimension for its model).
CREATE OR REPLACE FUNCTION cogdb.check_memory_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
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
    IF v_tenant IS NULL THEN
        RAISE EXCEPTION 'no tenant context: writing memories needs one'
            USING ERRCODE = 'CGA01',
                  HINT = 'Call cogdb.set_context(tenant, user) first in the transaction.';
    END IF;
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

    -- length + an unbounded class: the same rule as {0,127}, whose bounded repetition made
    -- PostgreSQL's regex engine spend ~35 us per row.
    IF NEW.id IS NULL OR length(NEW.id) > 128 OR NEW.id !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' THEN
        RAISE EXCEPTION 'id must be 1-128 characters of letters, digits and _ . : - (got %)',
                        coalesce(quote_literal(left(NEW.id, 40)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'id',
                  HINT = 'Leave id out to get a server-made mem_<hex> id.';
    END IF;

    IF NEW.model IS NULL THEN
        SELECT coalesce(t.default_model, s.value #>> '{}') INTO NEW.model
          FROM cogdb.tenants t
          LEFT JOIN cogdb.settings s ON s.key = 'default_model'
         WHERE t.id = v_tenant;
    END IF;
    SELECT m.dimensions INTO v_dims FROM cogdb.embedding_models m WHERE m.name = NEW.model;
    IF v_dims IS NULL THEN
        RAISE EXCEPTION 'unknown embedding model %', coalesce(quote_literal(NEW.model), 'NULL')
            USING ERRCODE = 'CGV02', COLUMN = 'model',
                  HINT = 'List models with: SELECT name, dimensions FROM cogdb.embedding_models;';
    END IF;
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
    -- Tags pass here when their total length is at most 100 (so each one is).
    IF (NEW.visibility = ANY (cogdb.allowed_values('visibility'))
        AND NEW.context_type = ANY (cogdb.allowed_values('context_type'))
        AND NEW.source = ANY (cogdb.allowed_values('source'))
        AND NEW.source NOT IN ('chatgpt_export', 'claude_export')
        AND (NEW.intent_type IS NULL OR NEW.intent_type = ANY (cogdb.allowed_values('intent_type')))
        AND (NEW.complexity IS NULL OR NEW.complexity = ANY (cogdb.allowed_values('complexity')))
        AND (NEW.emotional_valence IS NULL
             OR NEW.emotional_valence = ANY (cogdb.allowed_values('emotional_valence')))
        AND (NEW.urgency IS NULL OR NEW.urgency = ANY (cogdb.allowed_values('urgency')))
        AND (NEW.conversation_mode IS NULL
             OR NEW.conversation_mode = ANY (cogdb.allowed_values('conversation_mode')))
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
        AND cardinality(NEW.tags) <= 64 AND coalesce(array_ndims(NEW.tags), 1) = 1
        AND array_position(NEW.tags, NULL) IS NULL AND NOT '' = ANY (NEW.tags)
        AND length(array_to_string(NEW.tags, '')) <= 100) IS TRUE THEN
        RETURN NEW;
    END IF;

    FOREACH v_item SLICE 1 IN ARRAY ARRAY[
        ARRAY['visibility', NEW.visibility], ARRAY['context_type', NEW.context_type],
        ARRAY['source', NEW.source], ARRAY['intent_type', NEW.intent_type],
        ARRAY['complexity', NEW.complexity], ARRAY['emotional_valence', NEW.emotional_valence],
        ARRAY['urgency', NEW.urgency], ARRAY['conversation_mode', NEW.conversation_mode]]
    LOOP
        IF v_item[2] IS NOT NULL AND NOT v_item[2] = ANY (cogdb.allowed_values(v_item[1])) THEN
            RAISE EXCEPTION '% must be one of %, got %', v_item[1],
                            array_to_string(cogdb.allowed_values(v_item[1]), ', '),
                            quote_literal(left(v_item[2], 60))
                USING ERRCODE = 'CGV01', COLUMN = v_item[1],
                      HINT = 'Use one of the listed values (see cogdb.allowed_values(field)).';
        END IF;
    END LOOP;
    -- The tenant setting features.chat_import (default: on for personal tenants, off for
    -- enterprise ones) gates memories made from providers' chat exports, whichever client
    -- writes them. Checked on INSERT and when an UPDATE turns a memory into one.
    IF NEW.source IN ('chatgpt_export', 'claude_export')
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

    IF cardinality(NEW.tags) > 64 OR array_ndims(NEW.tags) > 1
       OR EXISTS (SELECT FROM unnest(NEW.tags) t WHERE t IS NULL OR length(t) NOT BETWEEN 1 AND 100)
    THEN
        RAISE EXCEPTION 'tags must be a list of at most 64 non-empty strings of at most 100 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'tags',
                  HINT = 'Drop empty or NULL tags and keep each short.';
    END IF;
    RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_memory_row() FROM PUBLIC;

REVOKE ALL ON FUNCTION cogdb.register_model(text, integer, text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.register_model(text, integer, text, text) IS NULL;
-- sql/functions/provisioning/register_model.sql as frozen in revision 0001
-- Registers an embedding model (name, dimensions, metric) and returns its name. Idempotent
-- for the same definition; another dimension or metric under a known name conflicts.
-- Only cosine is supported: search reports cosine similarity. At most 2000 dimensions: vectors
-- are stored inline (STORAGE PLAIN) and pgvector's HNSW indexes stop there. Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.register_model(name text, dimensions integer,
                                                metric text DEFAULT 'cosine',
                                                description text DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_existing cogdb.embedding_models;
BEGIN
    IF name IS NULL OR name !~ '^[a-z0-9][a-z0-9._-]{0,62}$' THEN
        RAISE EXCEPTION 'name must be 1-63 lowercase letters, digits and . _ - (got %)',
                        coalesce(quote_literal(left(name, 70)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'name',
                  HINT = 'e.g. all-minilm-l6-v2 or bge-m3.';
    END IF;
    IF dimensions IS NULL OR dimensions NOT BETWEEN 1 AND 2000 THEN
        RAISE EXCEPTION 'dimensions must be between 1 and 2000, got %', coalesce(dimensions::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'dimensions',
                  HINT = 'Use the length of the model''s output vectors.';
    END IF;
    IF metric IS DISTINCT FROM 'cosine' THEN
        RAISE EXCEPTION 'metric must be cosine, got %', coalesce(quote_literal(metric), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'metric',
                  HINT = 'Normalise vectors for inner-product models; cosine ranks them alike.';
    END IF;
    INSERT INTO cogdb.embedding_models AS m (name, dimensions, metric, description)
    VALUES (name, dimensions, metric, description)
    ON CONFLICT ON CONSTRAINT embedding_models_pkey DO NOTHING;
    SELECT * INTO v_existing FROM cogdb.embedding_models m WHERE m.name = register_model.name;
    IF v_existing.dimensions <> dimensions OR v_existing.metric <> metric THEN
        RAISE EXCEPTION 'model % is already registered with % dimensions (%)',
                        quote_literal(name), v_existing.dimensions, v_existing.metric
            USING ERRCODE = 'CGC01', COLUMN = 'name',
                  HINT = 'A model name stands for one vector space: register a new name.';
    END IF;
    RETURN name;
END
$$;

REVOKE ALL ON FUNCTION cogdb.register_model(text, integer, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.register_model(text, integer, text, text) TO cogdb_admin;

REVOKE ALL ON FUNCTION cogdb.purge_private_memories() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.purge_private_memories() IS NULL;
-- sql/functions/provisioning/purge_private_memories.sql as frozen in revision 0001
-- Trigger (BEFORE DELETE ON users): deletes the departing user's private memories, which no
-- one else may read, before the foreign key clears owner_user_id on their shared ones.
-- Definer so it can see the private rows: it takes the user's own context for the purge,
-- and restores the caller's context before returning.
CREATE OR REPLACE FUNCTION cogdb.purge_private_memories() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- The caller's context, restored before returning (an error aborts the transaction or
    -- rolls back the savepoint, and either reverts the settings by itself).
    v_caller_tenant text := coalesce(current_setting('app.tenant_id', true), '');
    v_caller_user text := coalesce(current_setting('app.user_id', true), '');
    v_caller_stamp text := coalesce(current_setting('app.context_xact', true), '');
BEGIN
    PERFORM set_config('app.tenant_id', OLD.tenant_id::text, true);
    PERFORM set_config('app.user_id', OLD.id::text, true);
    PERFORM set_config('app.context_xact', cogdb.context_stamp(), true);
    DELETE FROM cogdb.memories m
     WHERE m.tenant_id = OLD.tenant_id AND m.owner_user_id = OLD.id AND m.visibility = 'private';
    PERFORM set_config('app.tenant_id', v_caller_tenant, true);
    PERFORM set_config('app.user_id', v_caller_user, true);
    PERFORM set_config('app.context_xact', v_caller_stamp, true);
    RETURN OLD;
END
$$;

REVOKE ALL ON FUNCTION cogdb.purge_private_memories() FROM PUBLIC;

REVOKE ALL ON FUNCTION cogdb.list_users(text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.list_users(text) IS NULL;
-- sql/functions/provisioning/list_users.sql as frozen in revision 0002
-- The users of one tenant (with their identities as 'provider/external_id'), oldest first.
-- Definer for cogdb_admin. FORCE RLS fences the owner too, so the function takes the target
-- tenant as its own context and restores the caller's before returning.
CREATE OR REPLACE FUNCTION cogdb.list_users(tenant_id text)
    RETURNS TABLE (id uuid, email text, identities text[], created_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    -- The caller's context, restored before returning (an error aborts the transaction or
    -- rolls back the savepoint, and either reverts the settings by itself).
    v_caller_tenant text := coalesce(current_setting('app.tenant_id', true), '');
    v_caller_user text := coalesce(current_setting('app.user_id', true), '');
    v_caller_stamp text := coalesce(current_setting('app.context_xact', true), '');
    v_tenant uuid := cogdb.parse_uuid(list_users.tenant_id, 'tenant_id');
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    PERFORM set_config('app.tenant_id', v_tenant::text, true);
    PERFORM set_config('app.user_id', '', true);
    PERFORM set_config('app.context_xact', cogdb.context_stamp(), true);
    RETURN QUERY
        SELECT u.id, u.email,
               ARRAY(SELECT i.auth_provider || '/' || i.external_id FROM cogdb.identities i
                      WHERE i.tenant_id = u.tenant_id AND i.user_id = u.id ORDER BY 1),
               u.created_at
          FROM cogdb.users u
         ORDER BY u.created_at, u.id;
    PERFORM set_config('app.tenant_id', v_caller_tenant, true);
    PERFORM set_config('app.user_id', v_caller_user, true);
    PERFORM set_config('app.context_xact', v_caller_stamp, true);
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_users(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_users(text) TO cogdb_admin;

REVOKE ALL ON FUNCTION cogdb.delete_user(text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.delete_user(text, text) IS NULL;
-- sql/functions/provisioning/delete_user.sql as frozen in revision 0001
-- Deletes a user; true if one was deleted. The user's private memories are deleted with them
-- (purge_private_memories trigger); their tenant-visible memories stay, with owner_user_id
-- set to NULL by the foreign key. Definer for cogdb_admin, fenced to the target tenant.
CREATE OR REPLACE FUNCTION cogdb.delete_user(tenant_id text, user_id text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    -- The caller's context, restored before returning (an error aborts the transaction or
    -- rolls back the savepoint, and either reverts the settings by itself).
    v_caller_tenant text := coalesce(current_setting('app.tenant_id', true), '');
    v_caller_user text := coalesce(current_setting('app.user_id', true), '');
    v_caller_stamp text := coalesce(current_setting('app.context_xact', true), '');
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_user uuid := cogdb.parse_uuid(user_id, 'user_id');
    v_deleted boolean;
BEGIN
    IF v_tenant IS NULL OR v_user IS NULL THEN
        RAISE EXCEPTION 'tenant_id and user_id are required'
            USING ERRCODE = 'CGV01', COLUMN = CASE WHEN v_tenant IS NULL THEN 'tenant_id' ELSE 'user_id' END,
                  HINT = 'Pass the tenant and the user to delete.';
    END IF;
    PERFORM set_config('app.tenant_id', v_tenant::text, true);
    PERFORM set_config('app.user_id', '', true);
    PERFORM set_config('app.context_xact', cogdb.context_stamp(), true);
    DELETE FROM cogdb.users u WHERE u.id = v_user;
    v_deleted := FOUND;
    PERFORM set_config('app.tenant_id', v_caller_tenant, true);
    PERFORM set_config('app.user_id', v_caller_user, true);
    PERFORM set_config('app.context_xact', v_caller_stamp, true);
    RETURN v_deleted;
END
$$;

REVOKE ALL ON FUNCTION cogdb.delete_user(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.delete_user(text, text) TO cogdb_admin;

REVOKE ALL ON FUNCTION cogdb.create_user(text, text, text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.create_user(text, text, text, text) IS NULL;
-- sql/functions/provisioning/create_user.sql as frozen in revision 0001
-- Creates a user in a tenant and returns the user's id; idempotent on (tenant, email).
-- With auth_provider and external_id it also records the identity that resolve_identity()
-- maps back to (tenant, user); an identity already bound to another user conflicts.
-- Definer, for cogdb_admin. FORCE RLS fences the owner too, so the function sets the target
-- tenant as its own context and restores the caller's before returning.
CREATE OR REPLACE FUNCTION cogdb.create_user(tenant_id text, email text,
                                             auth_provider text DEFAULT NULL,
                                             external_id text DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    -- The caller's context, restored before returning (an error aborts the transaction or
    -- rolls back the savepoint, and either reverts the settings by itself).
    v_caller_tenant text := coalesce(current_setting('app.tenant_id', true), '');
    v_caller_user text := coalesce(current_setting('app.user_id', true), '');
    v_caller_stamp text := coalesce(current_setting('app.context_xact', true), '');
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_email text := lower(btrim(email));
    v_user uuid;
    v_bound uuid;
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'Create the tenant first with cogdb.create_tenant().';
    END IF;
    IF v_email IS NULL OR v_email !~ '^[^@\s]+@[^@\s]+$' OR length(v_email) > 320 THEN
        RAISE EXCEPTION 'email must look like name@domain, got %', coalesce(quote_literal(left(email, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'email',
                  HINT = 'Pass the user''s email address, e.g. ann@example.com.';
    END IF;
    IF (auth_provider IS NULL) <> (external_id IS NULL)
       OR length(auth_provider) NOT BETWEEN 1 AND 64 OR length(external_id) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'auth_provider (1-64 chars) and external_id (1-255 chars) go together'
            USING ERRCODE = 'CGV01', COLUMN = 'external_id',
                  HINT = 'Pass both auth_provider and external_id, or neither.';
    END IF;
    PERFORM set_config('app.tenant_id', v_tenant::text, true);
    PERFORM set_config('app.user_id', '', true);
    PERFORM set_config('app.context_xact', cogdb.context_stamp(), true);

    INSERT INTO cogdb.users AS u (tenant_id, email) VALUES (v_tenant, v_email)
    ON CONFLICT ON CONSTRAINT users_tenant_id_email_key DO NOTHING
    RETURNING u.id INTO v_user;
    IF v_user IS NULL THEN
        SELECT u.id INTO v_user FROM cogdb.users u WHERE u.email = v_email;
    END IF;

    IF auth_provider IS NOT NULL THEN
        INSERT INTO cogdb.identities AS i (auth_provider, external_id, tenant_id, user_id)
        VALUES (auth_provider, external_id, v_tenant, v_user)
        ON CONFLICT ON CONSTRAINT identities_pkey DO NOTHING;
        SELECT i.user_id INTO v_bound FROM cogdb.identities i
         WHERE i.auth_provider = create_user.auth_provider AND i.external_id = create_user.external_id;
        IF v_bound IS DISTINCT FROM v_user THEN
            RAISE EXCEPTION 'identity %/% already belongs to another user', auth_provider, external_id
                USING ERRCODE = 'CGC01', COLUMN = 'external_id',
                      HINT = 'Find its owner with cogdb.resolve_identity(provider, external_id).';
        END IF;
    END IF;
    PERFORM set_config('app.tenant_id', v_caller_tenant, true);
    PERFORM set_config('app.user_id', v_caller_user, true);
    PERFORM set_config('app.context_xact', v_caller_stamp, true);
    RETURN v_user;
END
$$;

REVOKE ALL ON FUNCTION cogdb.create_user(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.create_user(text, text, text, text) TO cogdb_admin;

-- >>> step 20_dimensions_check.down.sql
ALTER TABLE cogdb.embedding_models DROP CONSTRAINT embedding_models_dimensions_check;
ALTER TABLE cogdb.embedding_models ADD CONSTRAINT embedding_models_dimensions_check
    CHECK (dimensions BETWEEN 1 AND 2000);
-- <<< step 20_dimensions_check.down.sql

-- sql/functions/provisioning/max_dimensions.sql: new in this revision
DROP FUNCTION cogdb.max_dimensions();

-- sql/functions/memories/chat_export_sources.sql: new in this revision
DROP FUNCTION cogdb.chat_export_sources();

-- sql/functions/internal/resolve_model.sql: new in this revision
DROP FUNCTION cogdb.resolve_model(text);

-- sql/functions/context/require_tenant.sql: new in this revision
DROP FUNCTION cogdb.require_tenant(text);

-- sql/functions/context/restore_context.sql: new in this revision
DROP FUNCTION cogdb.restore_context(text[]);

-- sql/functions/context/enter_tenant.sql: new in this revision
DROP FUNCTION cogdb.enter_tenant(uuid, uuid);

-- >>> step 10_search_settings.down.sql
DELETE FROM cogdb.settings WHERE key IN ('search.ef_search', 'search.max_scan_tuples');
-- <<< step 10_search_settings.down.sql

RESET ROLE;
