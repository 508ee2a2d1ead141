-- The k memories nearest to `query` that the caller may see, nearest first, each labelled
-- with its tenant (tenant_id). similarity is cosine similarity, 1 - cosine distance (1 = same
-- direction, 0 = orthogonal); ties are broken by id. Expired memories are never returned.
-- Reads only: no access tracking. No context: no rows. The search itself, its filters and
-- its plan (`plan`: exact or ann:<index>) are search_tenant's.
--
-- include_shared => true adds what the live grants the context holds share with it (the
-- fence, memories__tenant_fence, decides which rows): the context's own tenant and each
-- source tenant are searched on their own (search_tenant: each on its own partition and ANN
-- index, so each keeps its recall) and the k nearest of all are returned. The request lasts
-- for this call only (share_request(true), then share_request(false); an error reverts the
-- flag with its transaction or savepoint), and each
-- source tenant whose memories are returned gets a note in its audit chain (note_shared_read:
-- how many, never which). Volatile for that note.
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
                                        metadata_filter jsonb DEFAULT NULL,
                                        include_shared boolean DEFAULT false)
    RETURNS TABLE (id text, similarity double precision, conversation_id text,
                   sequence_index integer, human_content text, assistant_content text,
                   summary text, context_type text, source text, created_at timestamptz,
                   expires_at timestamptz, visibility text, owner_user_id uuid, tags jsonb,
                   metadata jsonb,
                   intent_type text, complexity text, technical_depth smallint,
                   emotional_valence text, urgency text, conversation_mode text,
                   action_required boolean, has_code boolean, has_error boolean,
                   cluster_id integer, cluster_label text, cluster_confidence real, plan text,
                   tenant_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_sources uuid[];
BEGIN
    IF v_tenant IS NULL THEN
        RETURN;  -- no context: nothing is visible
    END IF;
    IF include_shared IS NOT TRUE THEN
        RETURN QUERY SELECT s.*, v_tenant
                       FROM cogdb.search_tenant(v_tenant, query, k, model, only_conversation, only_source, only_context_type, tags_any, created_after, created_before, only_owner, only_visibility, ef_search, metadata_filter) s;
        RETURN;
    END IF;
    v_sources := cogdb.share_request(true);
    RETURN QUERY
    WITH hits AS MATERIALIZED (
        SELECT s.*, t.tenant
          FROM unnest(v_tenant || v_sources) AS t(tenant),
               LATERAL cogdb.search_tenant(t.tenant, query, k, model, only_conversation, only_source, only_context_type, tags_any, created_after, created_before, only_owner, only_visibility, ef_search, metadata_filter) s
         ORDER BY s.similarity DESC, s.id, t.tenant
         LIMIT k
    ), noted AS (
        SELECT cogdb.note_shared_read(h.tenant, 'search', count(*)::integer)
          FROM hits h WHERE h.tenant <> v_tenant GROUP BY h.tenant
    )
    SELECT h.* FROM hits h
     WHERE (SELECT count(*) FROM noted) >= 0
     ORDER BY h.similarity DESC, h.id, h.tenant;
    PERFORM cogdb.share_request(false);
END
$$;

REVOKE ALL ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, boolean) IS
    'The k memories nearest to `query` that the caller may see, nearest first, labelled with their tenant; include_shared adds what live grants share with the caller.';
