-- Deferred text indexing's threshold (docs/architecture.md "Deferred text indexing").
INSERT INTO cogdb.settings (key, value, description) VALUES
    ('text.defer_min_rows', '100',
     'An INSERT of at least this many memories queues their full-text indexing for cogdb maintain or cogdb.index_pending_text instead of doing it in the statement; 0 indexes every insert at once');
