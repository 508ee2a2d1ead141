ALTER INDEX cogdb.relationships_active_key ALTER COLUMN 7 SET STATISTICS -1;
DROP INDEX cogdb.relationships_in_ranked_idx;
DROP INDEX cogdb.relationships_out_ranked_idx;
