ALTER TABLE cogdb.memories DROP COLUMN anonymised_at;
