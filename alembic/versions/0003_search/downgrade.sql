-- cogdb revision 0003 (adaptive scoped search), downgrade to 0002: search as 0001 had it.
-- Dropping a partial ANN index built by `cogdb maintain` is left to the indexes' own names
-- (memories_ann_*), dropped here too. FROZEN: never edit.
SET LOCAL ROLE cogdb_owner;
DO $$
DECLARE
    v_name text;
BEGIN
    FOR v_name IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                   WHERE i.indrelid = 'cogdb.memories'::regclass AND c.relname LIKE 'memories\_ann\_%'
    LOOP
        EXECUTE format('DROP INDEX cogdb.%I', v_name);
    END LOOP;
END $$;
DROP TRIGGER memories_count_inserts ON cogdb.memories;
DROP TRIGGER memories_count_deletes ON cogdb.memories;
DROP TRIGGER memories_count_updates ON cogdb.memories;
DROP INDEX cogdb.memories_tenant_model_visibility_idx;
DROP FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz,
                           timestamptz, uuid, text, integer);
DROP FUNCTION cogdb.plan_maintenance();
DROP FUNCTION cogdb.compact_memory_counts();
DROP FUNCTION cogdb.count_memory_changes();
DROP FUNCTION cogdb.ann_index_name(uuid, text);
DROP TABLE cogdb.memory_counts;
DELETE FROM cogdb.settings WHERE key IN ('search.exact_max_rows', 'search.ann_min_rows',
                                         'search.hnsw_m', 'search.hnsw_ef_construction');

-- search as in 0001_foundation/10_functions.sql
-- The k memories nearest to `query` that the caller may see, nearest first.
-- similarity is cosine similarity, 1 - cosine distance (1 = same direction, 0 = orthogonal);
-- ties are broken by id. Expired memories are never returned. Reads only: no access tracking.
-- Filters narrow the candidates before ranking, so they never cost recall. No context: no rows.
CREATE OR REPLACE FUNCTION cogdb.search(query public.vector, k integer DEFAULT 10,
                                        model text DEFAULT NULL,
                                        only_conversation text DEFAULT NULL,
                                        only_source text DEFAULT NULL,
                                        only_context_type text DEFAULT NULL,
                                        tags_any text[] DEFAULT NULL,
                                        created_after timestamptz DEFAULT NULL,
                                        created_before timestamptz DEFAULT NULL)
    RETURNS TABLE (id text, similarity double precision, conversation_id text,
                   sequence_index integer, human_content text, assistant_content text,
                   summary text, context_type text, source text, created_at timestamptz,
                   expires_at timestamptz, visibility text, owner_user_id uuid, tags text[],
                   intent_type text, complexity text, technical_depth smallint,
                   emotional_valence text, urgency text, conversation_mode text,
                   action_required boolean, has_code boolean, has_error boolean,
                   cluster_id integer, cluster_label text, cluster_confidence real)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_model text := search.model;
    v_dims integer;
    v_max_k integer;
BEGIN
    IF v_tenant IS NULL THEN
        RETURN;  -- no context: nothing is visible
    END IF;
    SELECT (s.value #>> '{}')::integer INTO v_max_k FROM cogdb.settings s WHERE s.key = 'search.max_k';
    IF k IS NULL OR k NOT BETWEEN 1 AND v_max_k THEN
        RAISE EXCEPTION 'k must be between 1 and %, got %', v_max_k, coalesce(k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'k',
                  HINT = 'k is how many memories to return; the maximum is settings.search.max_k.';
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

    RETURN QUERY
    SELECT m.id, 1 - (m.embedding OPERATOR(public.<=>) query), m.conversation_id, m.sequence_index,
           m.human_content, m.assistant_content, m.summary, m.context_type, m.source,
           m.created_at, m.expires_at, m.visibility, m.owner_user_id, m.tags, m.intent_type,
           m.complexity, m.technical_depth, m.emotional_valence, m.urgency,
           m.conversation_mode, m.action_required, m.has_code, m.has_error, m.cluster_id,
           m.cluster_label, m.cluster_confidence
      FROM cogdb.memories m
     WHERE m.tenant_id = v_tenant AND m.model = v_model
       AND (m.expires_at IS NULL OR m.expires_at > now())
       AND (only_conversation IS NULL OR m.conversation_id = only_conversation)
       AND (only_source IS NULL OR m.source = only_source)
       AND (only_context_type IS NULL OR m.context_type = only_context_type)
       AND (tags_any IS NULL OR m.tags && tags_any)
       AND (created_after IS NULL OR m.created_at >= created_after)
       AND (created_before IS NULL OR m.created_at < created_before)
     ORDER BY m.embedding OPERATOR(public.<=>) query, m.id
     LIMIT k;
END
$$;

REVOKE ALL ON FUNCTION cogdb.search(vector, integer, text, text, text, text, text[], timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.search(vector, integer, text, text, text, text, text[], timestamptz, timestamptz) TO cogdb_app;

DROP FUNCTION cogdb.int_setting(text);

-- Policies as 0001 had them (the context helpers called per row).
DROP POLICY memories__tenant_fence ON cogdb.memories;
CREATE POLICY memories__tenant_fence ON cogdb.memories AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = cogdb.current_tenant_id()) WITH CHECK (tenant_id = cogdb.current_tenant_id());
DROP POLICY memories__visible_to_user ON cogdb.memories;
CREATE POLICY memories__visible_to_user ON cogdb.memories AS PERMISSIVE FOR ALL TO PUBLIC
    USING (visibility = 'tenant' OR owner_user_id = cogdb.current_user_id())
    WITH CHECK (visibility = 'tenant' OR owner_user_id = cogdb.current_user_id());
DROP POLICY memories__owner_updates ON cogdb.memories;
CREATE POLICY memories__owner_updates ON cogdb.memories AS RESTRICTIVE FOR UPDATE TO PUBLIC
    USING (owner_user_id IS NULL OR owner_user_id = cogdb.current_user_id())
    WITH CHECK (owner_user_id IS NULL OR owner_user_id = cogdb.current_user_id());
DROP POLICY memories__owner_deletes ON cogdb.memories;
CREATE POLICY memories__owner_deletes ON cogdb.memories AS RESTRICTIVE FOR DELETE TO PUBLIC
    USING (owner_user_id IS NULL OR owner_user_id = cogdb.current_user_id());
DROP POLICY users__tenant_fence ON cogdb.users;
CREATE POLICY users__tenant_fence ON cogdb.users AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = cogdb.current_tenant_id()) WITH CHECK (tenant_id = cogdb.current_tenant_id());
DROP POLICY tenants__own_row ON cogdb.tenants;
CREATE POLICY tenants__own_row ON cogdb.tenants AS PERMISSIVE FOR SELECT TO PUBLIC
    USING (id = cogdb.current_tenant_id());
