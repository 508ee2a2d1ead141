-- When the retention purge anonymised a memory (NULL: never). A new nullable column without
-- a default: no rewrite of the table or its partitions.
ALTER TABLE cogdb.memories ADD COLUMN anonymised_at timestamptz;
