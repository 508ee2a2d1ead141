-- The ranked indexes neighbors() reads each frontier node's relationships through, strongest
-- first and then by the other end's reference, so that a level stops after the edges that can
-- make its result (sql/tables/relationships.sql says why).
CREATE INDEX relationships_out_ranked_idx ON cogdb.relationships
    (tenant_id, (from_memory_id IS NULL), cogdb.node_id(from_memory_id, from_entity_id),
     strength DESC,
     cogdb.node_ref(to_memory_id, to_entity_id) COLLATE "C");
CREATE INDEX relationships_in_ranked_idx ON cogdb.relationships
    (tenant_id, (to_memory_id IS NULL), cogdb.node_id(to_memory_id, to_entity_id),
     strength DESC,
     cogdb.node_ref(from_memory_id, from_entity_id) COLLATE "C");
-- No statistics on the node keys (the kind, node_id, node_ref): entity ids derive from names
-- and repeat across tenants, and an estimate from another tenant's values would show in any
-- caller's EXPLAIN (the id columns of the table have none either). Nor on the active key's
-- owner column (it held the uuids of users with private relationships since revision 0008).
ALTER INDEX cogdb.relationships_out_ranked_idx ALTER COLUMN 2 SET STATISTICS 0;
ALTER INDEX cogdb.relationships_out_ranked_idx ALTER COLUMN 3 SET STATISTICS 0;
ALTER INDEX cogdb.relationships_out_ranked_idx ALTER COLUMN 5 SET STATISTICS 0;
ALTER INDEX cogdb.relationships_in_ranked_idx ALTER COLUMN 2 SET STATISTICS 0;
ALTER INDEX cogdb.relationships_in_ranked_idx ALTER COLUMN 3 SET STATISTICS 0;
ALTER INDEX cogdb.relationships_in_ranked_idx ALTER COLUMN 5 SET STATISTICS 0;
ALTER INDEX cogdb.relationships_active_key ALTER COLUMN 7 SET STATISTICS 0;
-- What an earlier ANALYZE kept stays until cleared (a target of 0 only stops collecting).
SELECT pg_catalog.pg_clear_attribute_stats('cogdb', 'relationships_active_key', 'case', false);
ANALYZE cogdb.relationships;
