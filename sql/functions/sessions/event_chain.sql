-- The causal chain of an event: the event itself, then its parent, its parent's parent, …
-- back to the root (nearest first), at most max_depth + 1 events. Parents are appended
-- before their children and never change, so a chain has no cycles; and a reader who sees
-- an event sees its whole chain (check_event_row refuses a parent its readers could not
-- see). An event the context cannot see has no chain (no rows).
CREATE OR REPLACE FUNCTION cogdb.event_chain(event_id uuid, max_depth integer DEFAULT 1000)
    RETURNS SETOF cogdb.events
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE chain AS (
        SELECT e, 0 AS depth FROM cogdb.events e WHERE e.id = event_chain.event_id
        UNION ALL
        SELECT p, c.depth + 1 FROM chain c
          JOIN cogdb.events p ON p.tenant_id = (c.e).tenant_id AND p.id = (c.e).parent_event_id
         WHERE c.depth < least(greatest(event_chain.max_depth, 0), 100000)
    )
    SELECT (c.e).* FROM chain c ORDER BY c.depth
$$;

REVOKE ALL ON FUNCTION cogdb.event_chain(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.event_chain(uuid, integer) TO cogdb_app;
COMMENT ON FUNCTION cogdb.event_chain(uuid, integer) IS
    'The causal chain of an event: the event, its parent, and so on back to the root (nearest first).';
