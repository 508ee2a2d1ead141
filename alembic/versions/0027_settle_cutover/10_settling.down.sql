-- A settling migration has made the new model the default already: the downgrade settles
-- nothing, so it refuses while one is settling (run `cogdb model migrate` to finish it).
DO $$
BEGIN
    IF EXISTS (SELECT FROM cogdb.model_migrations WHERE phase = 'settling') THEN
        RAISE EXCEPTION 'a model migration is settling'
            USING HINT = 'Finish it first: cogdb model migrate --tenant T --to MODEL';
    END IF;
END
$$;
DROP INDEX cogdb.model_migrations_one_in_progress_idx;
CREATE UNIQUE INDEX model_migrations_one_in_progress_idx ON cogdb.model_migrations (tenant_id)
    WHERE phase IN ('embedding', 'indexed');
ALTER TABLE cogdb.model_migrations DROP CONSTRAINT model_migrations_phase_check;
ALTER TABLE cogdb.model_migrations ADD CONSTRAINT model_migrations_phase_check
    CHECK (phase IN ('embedding', 'indexed', 'cut_over', 'cleaned'));
COMMENT ON TABLE cogdb.model_migrations IS
    'The state of each re-embedding of a tenant (cogdb model migrate): phase embedding, indexed, cut_over or cleaned, and the keyset position of the last committed batch. Owner-only.';
