CREATE INDEX text_queue_tenant_queued_idx ON cogdb.text_queue (tenant_id, queued_at);
CREATE INDEX text_queue_queued_idx ON cogdb.text_queue (queued_at);
