COMMENT ON TABLE cogdb.settings IS NULL;
COMMENT ON TABLE cogdb.embedding_models IS NULL;
COMMENT ON TABLE cogdb.tenants IS NULL;
COMMENT ON TABLE cogdb.users IS NULL;
COMMENT ON TABLE cogdb.identities IS NULL;
COMMENT ON TABLE cogdb.memories IS NULL;
COMMENT ON TABLE cogdb.memory_counts IS NULL;
