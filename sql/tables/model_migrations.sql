-- The state of each re-embedding of a tenant's memories (`cogdb model migrate`,
-- docs/scale-out.md "Re-embedding without downtime"), one row per migration, through the
-- phases embedding (batches write the new vectors into cogdb.memory_embeddings; after_id is
-- the keyset position of the last committed batch, so a killed run resumes there), indexed
-- (the batch pass ended; the ANN index a promoted tenant needs for to_model is settled: the
-- cutover builds it, in its own transaction), cut_over (one transaction swapped the vectors,
-- built that index and made to_model the tenant's default) and cleaned (the old vectors are
-- gone). A promoted tenant passes through settling between indexed and cut_over: its cutover
-- only made to_model the default, and settle_model_migration moves the rows in small
-- transactions while search reads both places (docs/scale-out.md). At most one migration of
-- a tenant is in progress (embedding, indexed or settling).
--
-- Owner-only, like cogdb.memory_counts: written by cogdb_admin's definer functions and read
-- across tenants (list_model_migrations), outside any tenant context; the app learns its own
-- tenant's migration through cogdb.migration_target().
CREATE TABLE cogdb.model_migrations (
    tenant_id   uuid NOT NULL REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    from_model  text NOT NULL REFERENCES cogdb.embedding_models (name),
    to_model    text NOT NULL REFERENCES cogdb.embedding_models (name),
    phase       text NOT NULL DEFAULT 'embedding'
                CHECK (phase IN ('embedding', 'indexed', 'settling', 'cut_over', 'cleaned')),
    -- The keyset position: every memory of from_model with an id up to it has its vector.
    after_id    text NOT NULL DEFAULT '',
    embedded    bigint NOT NULL DEFAULT 0 CHECK (embedded >= 0),
    total       bigint NOT NULL DEFAULT 0 CHECK (total >= 0),
    started_at  timestamptz NOT NULL DEFAULT now(),
    cut_over_at timestamptz,
    cleaned_at  timestamptz,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT model_migrations_two_models CHECK (from_model <> to_model)
);
-- One migration in progress per tenant.
CREATE UNIQUE INDEX model_migrations_one_in_progress_idx ON cogdb.model_migrations (tenant_id)
    WHERE phase IN ('embedding', 'indexed', 'settling');
ALTER TABLE cogdb.model_migrations ALTER COLUMN tenant_id SET STATISTICS 0;
ALTER TABLE cogdb.model_migrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.model_migrations FORCE ROW LEVEL SECURITY;
REVOKE ALL ON cogdb.model_migrations FROM PUBLIC;
COMMENT ON TABLE cogdb.model_migrations IS
    'The state of each re-embedding of a tenant (cogdb model migrate): phase embedding, indexed, settling, cut_over or cleaned, and the keyset position of the last committed batch. Owner-only.';
