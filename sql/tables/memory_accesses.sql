-- Append-only log of memory accesses, written by cogdb.record_access(ids) (a separate call a
-- client makes after a search, so search itself stays read-only) and folded into
-- memories.access_count / last_accessed by `cogdb maintain` (cogdb.fold_memory_accesses),
-- which then deletes the folded rows. owner_user_id is the memory's owner when it was
-- accessed: the fold updates each memory in its owner's context. Owner-only (policy
-- memory_accesses__registry_owner, no grants).
CREATE TABLE cogdb.memory_accesses (
    tenant_id     uuid NOT NULL REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    memory_id     text NOT NULL,
    owner_user_id uuid,
    accessed_at   timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE cogdb.memory_accesses ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.memory_accesses FORCE ROW LEVEL SECURITY;
COMMENT ON TABLE cogdb.memory_accesses IS
    'Append-only log of memory accesses (cogdb.record_access), folded into memories by cogdb maintain; owner-only.';
