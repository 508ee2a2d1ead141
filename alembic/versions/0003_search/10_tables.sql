-- cogdb revision 0003 (adaptive scoped search): settings, tenant sizes, a covering index for
-- the visible-candidate count. FROZEN: never edit.
SET LOCAL ROLE cogdb_owner;
SELECT '[1]'::public.vector;  -- loads pgvector, so the hnsw.* settings of search() are known

INSERT INTO cogdb.settings (key, value, description) VALUES
    ('search.exact_max_rows', '1000',
     'search ranks every visible candidate exactly when there are at most this many'),
    ('search.ann_min_rows', '1500',
     'a tenant/model with at least this many memories gets a partial HNSW index (cogdb maintain); it is dropped below half of this'),
    ('search.hnsw_m', '16', 'HNSW m of the per-tenant indexes built from now on'),
    ('search.hnsw_ef_construction', '128', 'HNSW ef_construction of the per-tenant indexes built from now on');

-- Append-only deltas of memories per (tenant, model), written by a statement trigger;
-- `cogdb maintain` sums and compacts them. Owner-only (like identities): FORCE RLS hides
-- other tenants' memories from the owner, so sizes are recorded as rows are written.
CREATE TABLE cogdb.memory_counts (
    tenant_id   uuid NOT NULL REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    model       text NOT NULL,
    delta       bigint NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX memory_counts_tenant_model_idx ON cogdb.memory_counts (tenant_id, model);
ALTER TABLE cogdb.memory_counts ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.memory_counts FORCE ROW LEVEL SECURITY;

-- Lets search count a caller's visible candidates (tenant, model, visibility, owner, expiry)
-- from the index alone, without visiting the heap.
CREATE INDEX memories_tenant_model_visibility_idx
    ON cogdb.memories (tenant_id, model, visibility, owner_user_id) INCLUDE (expires_at);
