-- The ANN path's defaults, named in settings instead of search()'s SET clauses.
INSERT INTO cogdb.settings (key, value, description) VALUES
    ('search.ef_search', '100',
     'hnsw.ef_search of the ANN path when a call passes none (1-1000; higher: more recall, slower)'),
    ('search.max_scan_tuples', '50000',
     'hnsw.max_scan_tuples of the ANN path: how far an iterative scan goes to satisfy filters');
