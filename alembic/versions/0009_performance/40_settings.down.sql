UPDATE cogdb.settings SET value = '100'
 WHERE key = 'search.ef_search' AND value = '200'::jsonb;
