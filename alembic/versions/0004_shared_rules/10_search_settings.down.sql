DELETE FROM cogdb.settings WHERE key IN ('search.ef_search', 'search.max_scan_tuples');
