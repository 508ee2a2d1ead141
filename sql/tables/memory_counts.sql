-- Append-only deltas of memories per (tenant, model), written by the statement triggers on
-- memories (count_memory_changes); `cogdb maintain` sums and compacts them to decide which
-- tenants get their own ANN index. Owner-only (policy memory_counts__registry_owner, no
-- grants): FORCE RLS hides other tenants' memories from the owner too, so sizes are
-- recorded as rows are written rather than counted later.
CREATE TABLE cogdb.memory_counts (
    tenant_id   uuid NOT NULL REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    model       text NOT NULL,
    delta       bigint NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX memory_counts_tenant_model_idx ON cogdb.memory_counts (tenant_id, model);
ALTER TABLE cogdb.memory_counts ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.memory_counts FORCE ROW LEVEL SECURITY;
COMMENT ON TABLE cogdb.memory_counts IS
    'Append-only deltas of memories per tenant and model, for cogdb maintain; owner-only.';
