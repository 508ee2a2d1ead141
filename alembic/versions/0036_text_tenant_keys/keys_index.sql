-- The text index's GIN index on the tenant and its tenant keys replaces the one on the
-- tenant and the text vector (sql/tables/text_index.sql says why); ANALYZE gives the
-- planner the new expression's statistics (owner-only, like the table).
DROP INDEX cogdb.text_index_tenant_tsv_idx;
CREATE INDEX text_index_tenant_keys_idx ON cogdb.text_index
    USING gin (tenant_id, cogdb.text_keys(tenant_id, tsv)) WITH (gin_pending_list_limit = 128);
ANALYZE cogdb.text_index;
