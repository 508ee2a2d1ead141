-- The id of one end of a relationship, whichever kind it is: the memory id when set, else
-- the entity id (a relationship has exactly one of the two at each end). With
-- `(<end>_memory_id IS NULL)` for the kind, it is how the ranked indexes
-- (relationships_out_ranked_idx, relationships_in_ranked_idx, revision 0039) key a node, so
-- that one index serves both kinds. A bare CASE of the columns, on purpose: under row-level
-- security the planner makes a condition an index condition only if nothing in it could leak
-- a row's values through an error (contain_leaked_vars); a CASE and `=` on text qualify,
-- while building 'memory:<id>' (node_ref, text concatenation) does not, and would leave the
-- node's key a filter run after the policies' checks of every edge of the tenant.
-- Immutable, a standard-SQL body (inlined, names bound when it is created). Changing it means
-- rebuilding those two indexes.
CREATE OR REPLACE FUNCTION cogdb.node_id(memory_id text, entity_id text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
RETURN CASE WHEN memory_id IS NOT NULL THEN memory_id ELSE entity_id END;

REVOKE ALL ON FUNCTION cogdb.node_id(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.node_id(text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.node_id(text, text) IS
    'The memory id, else the entity id, of one end of a relationship: with the kind, the key of its ranked indexes.';
