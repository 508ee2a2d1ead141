-- Append-only deltas behind cogdb.stats(): per tenant and metric ('memories',
-- 'memories.context_type.<v>', 'memories.source.<v>', 'memories.visibility.<v>', 'entities',
-- 'entity_observations', 'relationships', 'relationships.superseded'), with the bytes of row
-- data they added or removed and when. Written by the definer statement trigger
-- cogdb.count_tenant_stats on every write, so stats are summed, never counted at read time;
-- `cogdb maintain` compacts them. Owner-only (policy tenant_stats__registry_owner, no
-- grants), like memory_counts.
CREATE TABLE cogdb.tenant_stats (
    tenant_id   uuid NOT NULL REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    metric      text NOT NULL,
    delta       bigint NOT NULL,
    bytes       bigint NOT NULL DEFAULT 0,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_stats_tenant_metric_idx ON cogdb.tenant_stats (tenant_id, metric);
ALTER TABLE cogdb.tenant_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.tenant_stats FORCE ROW LEVEL SECURITY;
COMMENT ON TABLE cogdb.tenant_stats IS
    'Append-only deltas of each tenant''s counts and bytes, for cogdb.stats(); owner-only.';
