DROP INDEX cogdb.text_queue_queued_idx;
DROP INDEX cogdb.text_queue_tenant_queued_idx;
