-- The ANN path's default ef_search: 100 -> 200 (a deployment that changed it keeps its value).
-- On the 1M benchmark's largest tenant (165k rows, an HNSW index built by maintain), 300 of
-- its own rows as queries found their ten nearest at recall 0.984 with 100 (three queries at
-- 0.0: the walk ended in another cluster) and 0.995 with 200, for 0.3 ms more at the median.
UPDATE cogdb.settings SET value = '200'
 WHERE key = 'search.ef_search' AND value = '100'::jsonb;
