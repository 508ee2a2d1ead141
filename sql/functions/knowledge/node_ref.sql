-- The canonical reference of one end of a relationship, as neighbors() returns nodes:
-- 'memory:<id>' when the memory id is set, else 'entity:<id>' (a relationship has exactly one
-- of the two at each end: relationships_one_from, relationships_one_to).
-- Immutable, and a standard-SQL body (inlined, names bound when it is created): the last key
-- of relationships' ranked indexes (relationships_out_ranked_idx, relationships_in_ranked_idx,
-- revision 0039) is this expression for the other end, the order a walk ranks nodes in within
-- a strength, and neighbors() names it the same way to read them in that order. Changing it
-- means rebuilding those two indexes.
CREATE OR REPLACE FUNCTION cogdb.node_ref(memory_id text, entity_id text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
RETURN CASE WHEN memory_id IS NOT NULL THEN 'memory:' || memory_id
            ELSE 'entity:' || entity_id
       END;

REVOKE ALL ON FUNCTION cogdb.node_ref(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.node_ref(text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.node_ref(text, text) IS
    'memory:<id> or entity:<id>: the reference of one end of a relationship, the order of its ranked indexes and neighbors()'' output.';
