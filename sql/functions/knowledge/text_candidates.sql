-- The text half of hybrid search: the nodes of the context's tenant whose text matches
-- `query`, best first (then by id), at most max_rows (1-1000): kind ('memory' or 'entity'),
-- id and rank, nothing else.
--
-- Matching: a document that has every word (or phrase) of the query is a candidate, and so
-- is one that has some of them: all candidates are ranked by ts_rank against the words
-- joined by OR, so more (and repeated) words rank higher. The work is bounded per word: the
-- documents with all the words, and those with each single word, are each taken up to
-- `scan` (2 x max_rows, 100-2000) before ranking, so a word that most of a large tenant's
-- documents contain costs a bounded ranking (its own scan of the index remains, about 0.1 us
-- per document that has it); a rare word or an exact token (an order number, an error code,
-- a name) is always ranked in full. When max_rows documents have every word, the single
-- words are not scanned. A query with OR or -excluded words is matched as written.
--
-- A tenant with at most `scan` documents is matched in one pass over its own rows instead:
-- no LIMIT above could bind there, so the candidates are the same (every document with
-- some word; with OR or -excluded words, every document matching the query), without the
-- index's posting lists of the words (a tiny tenant's text half cost several times its
-- vector half when those were the whole database's: bench/RESULTS.md, Knowledge).
--
-- Definer over the owner-only cogdb.text_index, whose GIN index the planner can use there
-- (see sql/tables/text_index.sql for why not under RLS): the bounded matching reads the
-- posting lists of the tenant's own documents with each word (cogdb.text_rows_matching).
-- It filters the tenant (cogdb.current_tenant_id(): no context, no rows) and the caller's
-- visibility itself; hybrid_search joins the ids back through memories and entities under
-- their policies, so a bug here could not show another tenant's row either.
CREATE OR REPLACE FUNCTION cogdb.text_candidates(query tsquery, max_rows integer DEFAULT 100,
                                                 kinds text[] DEFAULT ARRAY['memory', 'entity'])
    RETURNS TABLE (kind text, id text, rank real)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_user uuid := cogdb.current_user_id();
    v_rows integer := least(greatest(coalesce(max_rows, 100), 1), 1000);
    v_scan integer := least(greatest(2 * least(greatest(coalesce(max_rows, 100), 1), 1000), 100), 2000);
    v_words text[] := '{}';
    v_any tsquery := query;
    v_small boolean;
    v_kinds text[];
    v_ids text[];
    v_ranks real[];
BEGIN
    IF v_tenant IS NULL OR query IS NULL OR numnode(query) = 0 THEN
        RETURN;
    END IF;
    -- websearch_to_tsquery joins words and phrases with &; without OR, negation or groups,
    -- the top level splits there (<-> binds tighter), one entry per distinct word or phrase.
    IF query::text !~ '[|!()]' THEN
        v_words := ARRAY(SELECT DISTINCT w FROM unnest(string_to_array(query::text, ' & ')) w);
        v_any := array_to_string(v_words, ' | ')::tsquery;
    END IF;
    IF cardinality(v_words) < 2 THEN
        v_words := '{}';
    END IF;
    -- At most v_scan documents in the tenant (all kinds and visibilities; the two unique
    -- indexes, read no further than v_scan + 1 entries): one pass over them.
    SELECT (SELECT count(*) FROM (SELECT FROM cogdb.text_index t
                                   WHERE t.tenant_id = v_tenant AND t.memory_id IS NOT NULL
                                   LIMIT v_scan + 1) m)
           + (SELECT count(*) FROM (SELECT FROM cogdb.text_index t
                                     WHERE t.tenant_id = v_tenant AND t.entity_id IS NOT NULL
                                     LIMIT v_scan + 1) e) <= v_scan
      INTO v_small;
    IF v_small THEN
        RETURN QUERY
        SELECT a.kind, a.id, ts_rank(a.tsv, v_any)
          FROM (SELECT CASE WHEN t.memory_id IS NOT NULL THEN 'memory' ELSE 'entity' END AS kind,
                       coalesce(t.memory_id, t.entity_id) AS id, t.tsv
                  FROM cogdb.text_index t
                 WHERE t.tenant_id = v_tenant
                   AND (t.visibility = 'tenant' OR t.owner_user_id = v_user)
                OFFSET 0) a  -- the tenant's rows, then the match: not the words' posting lists
         WHERE a.kind = ANY (kinds)
           AND a.tsv @@ CASE WHEN cardinality(v_words) > 0 THEN v_any ELSE query END
         ORDER BY 3 DESC, 2
         LIMIT v_rows;
        RETURN;
    END IF;
    -- The documents with every word first; when there are max_rows of them, documents with
    -- only some of the words would rank below them, and the single words are not scanned.
    SELECT coalesce(array_agg(a.kind), '{}'), coalesce(array_agg(a.id), '{}'),
           coalesce(array_agg(a.rank), '{}')
      INTO v_kinds, v_ids, v_ranks
      FROM (SELECT CASE WHEN t.memory_id IS NOT NULL THEN 'memory' ELSE 'entity' END AS kind,
                   coalesce(t.memory_id, t.entity_id) AS id, ts_rank(t.tsv, v_any) AS rank
              FROM cogdb.text_rows_matching(v_tenant, query) t
             WHERE (t.visibility = 'tenant' OR t.owner_user_id = v_user)
             LIMIT v_scan) a;
    IF cardinality(v_ids) >= v_rows THEN
        v_words := '{}';
    END IF;
    RETURN QUERY
    SELECT h.kind, h.id, max(h.rank)
      FROM (SELECT * FROM unnest(v_kinds, v_ids, v_ranks) AS a(kind, id, rank)
            UNION ALL
            SELECT w.* FROM unnest(v_words) AS b(word)
             CROSS JOIN LATERAL (
                SELECT CASE WHEN t.memory_id IS NOT NULL THEN 'memory' ELSE 'entity' END AS kind,
                       coalesce(t.memory_id, t.entity_id) AS id, ts_rank(t.tsv, v_any) AS rank
                  FROM cogdb.text_rows_matching(v_tenant, b.word::tsquery) t
                 WHERE (t.visibility = 'tenant' OR t.owner_user_id = v_user)
                 LIMIT v_scan) w) h
     WHERE h.kind = ANY (kinds)
     GROUP BY h.kind, h.id
     ORDER BY 3 DESC, 2
     LIMIT v_rows;
END
$$;

REVOKE ALL ON FUNCTION cogdb.text_candidates(tsquery, integer, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.text_candidates(tsquery, integer, text[]) TO cogdb_app;
COMMENT ON FUNCTION cogdb.text_candidates(tsquery, integer, text[]) IS
    'The text half of hybrid search: ids and ranks of the context tenant''s visible nodes matching a tsquery (definer over the owner-only text index; bounded work per word).';
