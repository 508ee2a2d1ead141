-- The GIN index on the tenant and the text vector again (as revision 0008 made it).
DROP INDEX cogdb.text_index_tenant_keys_idx;
CREATE INDEX text_index_tenant_tsv_idx ON cogdb.text_index USING gin (tenant_id, tsv)
    WITH (gin_pending_list_limit = 128);
