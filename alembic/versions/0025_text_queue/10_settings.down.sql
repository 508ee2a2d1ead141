DELETE FROM cogdb.settings WHERE key = 'text.defer_min_rows';
