-- Phase settling (docs/scale-out.md "Re-embedding without downtime"): the cutover of a
-- promoted tenant only makes the new model the default; the rows move afterwards, in small
-- transactions (settle_model_migration). A settling migration is still in progress: the
-- tenant starts no other one until it has settled.
ALTER TABLE cogdb.model_migrations DROP CONSTRAINT model_migrations_phase_check;
ALTER TABLE cogdb.model_migrations ADD CONSTRAINT model_migrations_phase_check
    CHECK (phase IN ('embedding', 'indexed', 'settling', 'cut_over', 'cleaned'));
DROP INDEX cogdb.model_migrations_one_in_progress_idx;
CREATE UNIQUE INDEX model_migrations_one_in_progress_idx ON cogdb.model_migrations (tenant_id)
    WHERE phase IN ('embedding', 'indexed', 'settling');
COMMENT ON TABLE cogdb.model_migrations IS
    'The state of each re-embedding of a tenant (cogdb model migrate): phase embedding, indexed, settling, cut_over or cleaned, and the keyset position of the last committed batch. Owner-only.';
