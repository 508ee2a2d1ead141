-- Every table carries a COMMENT (psql's \dt+ shows it): the same as in sql/tables/.
COMMENT ON TABLE cogdb.settings IS
    'Global settings of the deployment (search thresholds, the default model); written by the owner only.';
COMMENT ON TABLE cogdb.embedding_models IS
    'The registry of embedding models: name, dimensions, metric and the embedder that makes their vectors.';
COMMENT ON TABLE cogdb.tenants IS
    'Tenants: name, mode (personal or enterprise), isolation level, settings and default model. Each sees only its own row.';
COMMENT ON TABLE cogdb.users IS
    'Users of a tenant; deleting one deletes their private memories and clears the owner of their shared ones.';
COMMENT ON TABLE cogdb.identities IS
    'Authenticated identities (provider, external id) mapped to their tenant and user; owner-only.';
COMMENT ON TABLE cogdb.memories IS
    'Memories: the seeds'' MemoryNode with its owner, visibility, tags, metadata, expiry and embedding. Fenced by tenant (RLS).';
COMMENT ON TABLE cogdb.memory_counts IS
    'Append-only deltas of memories per tenant and model, for cogdb maintain; owner-only.';
