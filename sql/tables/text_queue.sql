-- Memories waiting for the full-text index (docs/knowledge.md "Deferred text indexing"). A
-- statement that inserts at least text.defer_min_rows memories (remember_many of a batch, an
-- import) queues their ids here instead of computing their text vectors in the writer's
-- transaction; cogdb.index_queued_text (run by `cogdb maintain`) and
-- cogdb.index_pending_text (the app, for its own tenant) index them and empty the queue.
-- Until then hybrid search finds them through its vector half only. Ids and owners only,
-- never content: the indexer reads the text from memories, in the memory owner's context.
-- No foreign keys: a queued memory that is deleted, or a tenant that is, leaves an entry the
-- indexer drops (a per-row foreign-key check is most of what the queue saves). Owner-only
-- (policy text_queue__registry_owner, no grants).
CREATE TABLE cogdb.text_queue (
    tenant_id     uuid NOT NULL,
    memory_id     text NOT NULL,
    owner_user_id uuid,
    queued_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, memory_id)
);
-- The indexer takes the oldest entries first, of one tenant (index_pending_text) or of all
-- (cogdb maintain), max_rows at a time: read in this order, a call stops after max_rows
-- entries instead of sorting the whole queue (revision 0040: 0.5-1.9 s a call at 1M queued).
CREATE INDEX text_queue_tenant_queued_idx ON cogdb.text_queue (tenant_id, queued_at);
CREATE INDEX text_queue_queued_idx ON cogdb.text_queue (queued_at);
ALTER TABLE cogdb.text_queue ALTER COLUMN memory_id SET STATISTICS 0;
ALTER TABLE cogdb.text_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.text_queue FORCE ROW LEVEL SECURITY;
COMMENT ON TABLE cogdb.text_queue IS
    'Memories inserted in bulk whose full-text indexing is deferred to cogdb.index_queued_text (cogdb maintain) or cogdb.index_pending_text; owner-only.';
COMMENT ON COLUMN cogdb.text_queue.owner_user_id IS
    'The memory''s owner when queued: the indexer reads a private memory in its owner''s context.';
