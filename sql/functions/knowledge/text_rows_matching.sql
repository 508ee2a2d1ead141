-- The rows of cogdb.text_index of `tenant_id` whose text matches `query`, found through the
-- index's tenant keys (cogdb.text_keys: the posting lists of the tenant's own documents with
-- each word) or, for a query those keys cannot answer (cogdb.text_keys_query is NULL: no
-- part of it without negation, or a word of 500 characters or more), through the index's
-- tenant column (all the tenant's rows, then the match). One branch runs: the other's condition is false (or NULL)
-- before it reads anything. In the keyed branch the tenant test is written `(…) IS TRUE`,
-- which no index answers, so no plan combines the keys with the tenant's whole posting list.
-- Every row is checked against the query itself and the tenant.
-- Inlined into its callers (SQL, stable, no SET clause, standard-SQL body), the definers
-- text_candidates and shared_text_candidates; owner-only.
CREATE OR REPLACE FUNCTION cogdb.text_rows_matching(tenant_id uuid, query tsquery)
    RETURNS SETOF cogdb.text_index
    LANGUAGE sql STABLE SECURITY INVOKER
BEGIN ATOMIC
    SELECT t.*
      FROM cogdb.text_index t
     WHERE cogdb.text_keys_query(text_rows_matching.tenant_id, text_rows_matching.query) IS NULL
       AND t.tenant_id = text_rows_matching.tenant_id
       AND t.tsv @@ text_rows_matching.query
    UNION ALL
    SELECT t.*
      FROM cogdb.text_index t
     WHERE cogdb.text_keys(t.tenant_id, t.tsv)
               @@ cogdb.text_keys_query(text_rows_matching.tenant_id, text_rows_matching.query)
       AND (t.tenant_id = text_rows_matching.tenant_id) IS TRUE
       AND t.tsv @@ text_rows_matching.query;
END;

REVOKE ALL ON FUNCTION cogdb.text_rows_matching(uuid, tsquery) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.text_rows_matching(uuid, tsquery) IS
    'The text index rows of a tenant matching a tsquery, through the tenant keys (or the tenant column for a query they cannot answer); owner-only.';
