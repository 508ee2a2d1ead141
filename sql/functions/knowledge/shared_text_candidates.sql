-- The text half of hybrid_search(…, include_shared => true) in the tenants that share with
-- the context: for each source tenant of its live grants (none unless the transaction asked
-- for shared rows: readable_tenants()), the nodes whose text matches `query` and that a
-- live grant covers, best first (then by id), at most max_rows (1-1000) per source: tenant,
-- kind ('memory' or 'entity'), id and rank, nothing else. The same bounded matching as
-- text_candidates (all the words first, then each word up to `scan`), run in each source on
-- its own, so shared text is matched and ranked exactly as own text is.
--
-- Covered exactly: every scan joins the index row to its memory or entity read through the
-- fences in the caller's context (memories__tenant_fence, entities__tenant_fence: the grant
-- test on live_grants() once per query; tenant-visible only) *before* the LIMIT, so a row a
-- grant does not cover never matches, never ranks and never uses up a scan. A shared memory
-- past its expires_at is left out too. ts_rank reads the row's own vector only (no corpus
-- statistics), so a rank says nothing about other rows.
-- Definer over the owner-only cogdb.text_index (FORCE RLS fences the owner too, so the joins
-- see what the caller's context sees, retention of the caller's own policies aside:
-- hybrid_search joins the ids back as the caller, under memories__retained).
CREATE OR REPLACE FUNCTION cogdb.shared_text_candidates(query tsquery, max_rows integer DEFAULT 100)
    RETURNS TABLE (tenant_id uuid, kind text, id text, rank real)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_rows integer := least(greatest(coalesce(max_rows, 100), 1), 1000);
    v_scan integer := least(greatest(2 * least(greatest(coalesce(max_rows, 100), 1), 1000), 100), 2000);
    v_words text[] := '{}';
    v_any tsquery := query;
    v_source uuid;
    v_kinds text[];
    v_ids text[];
    v_ranks real[];
    v_each text[];
BEGIN
    IF v_tenant IS NULL OR query IS NULL OR numnode(query) = 0 THEN
        RETURN;
    END IF;
    IF query::text !~ '[|!()]' THEN
        v_words := ARRAY(SELECT DISTINCT w FROM unnest(string_to_array(query::text, ' & ')) w);
        v_any := array_to_string(v_words, ' | ')::tsquery;
    END IF;
    IF cardinality(v_words) < 2 THEN
        v_words := '{}';
    END IF;
    FOREACH v_source IN ARRAY cogdb.readable_tenants() LOOP
        CONTINUE WHEN v_source = v_tenant;
        SELECT coalesce(array_agg(a.kind), '{}'), coalesce(array_agg(a.id), '{}'),
               coalesce(array_agg(a.rank), '{}')
          INTO v_kinds, v_ids, v_ranks
          FROM (SELECT CASE WHEN t.memory_id IS NOT NULL THEN 'memory' ELSE 'entity' END AS kind,
                       coalesce(t.memory_id, t.entity_id) AS id, ts_rank(t.tsv, v_any) AS rank
                  FROM cogdb.text_rows_matching(v_source, query) t
                 WHERE t.visibility = 'tenant'
                   AND (t.memory_id IS NULL
                        OR EXISTS (SELECT FROM cogdb.memories m
                                    WHERE m.tenant_id = v_source AND m.id = t.memory_id
                                      AND (m.expires_at IS NULL OR m.expires_at > now())))
                   AND (t.entity_id IS NULL
                        OR EXISTS (SELECT FROM cogdb.entities e
                                    WHERE e.tenant_id = v_source AND e.id = t.entity_id))
                 LIMIT v_scan) a;
        v_each := CASE WHEN cardinality(v_ids) >= v_rows THEN '{}' ELSE v_words END;
        RETURN QUERY
        SELECT v_source, h.kind, h.id, max(h.rank)
          FROM (SELECT * FROM unnest(v_kinds, v_ids, v_ranks) AS a(kind, id, rank)
                UNION ALL
                SELECT w.* FROM unnest(v_each) AS b(word)
                 CROSS JOIN LATERAL (
                    SELECT CASE WHEN t.memory_id IS NOT NULL THEN 'memory' ELSE 'entity' END AS kind,
                           coalesce(t.memory_id, t.entity_id) AS id, ts_rank(t.tsv, v_any) AS rank
                      FROM cogdb.text_rows_matching(v_source, b.word::tsquery) t
                     WHERE t.visibility = 'tenant'
                       AND (t.memory_id IS NULL
                            OR EXISTS (SELECT FROM cogdb.memories m
                                        WHERE m.tenant_id = v_source AND m.id = t.memory_id
                                          AND (m.expires_at IS NULL OR m.expires_at > now())))
                       AND (t.entity_id IS NULL
                            OR EXISTS (SELECT FROM cogdb.entities e
                                        WHERE e.tenant_id = v_source AND e.id = t.entity_id))
                     LIMIT v_scan) w) h
         GROUP BY h.kind, h.id
         ORDER BY 4 DESC, 3
         LIMIT v_rows;
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION cogdb.shared_text_candidates(tsquery, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.shared_text_candidates(tsquery, integer) TO cogdb_app;
COMMENT ON FUNCTION cogdb.shared_text_candidates(tsquery, integer) IS
    'The text half of hybrid search in the tenants sharing with the context (when it asked): ids and ranks of the nodes live grants cover that match a tsquery, per source tenant.';
