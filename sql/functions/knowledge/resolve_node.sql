-- The node a reference names, if the caller can see it: kind ('memory' or 'entity') and id,
-- or NULLs for a node that is missing or invisible (the two look the same). References:
--   memory:<id>                   a memory (an expired one counts as missing)
--   entity:<id>                   an entity by id
--   name:<name>                   the entity keyed by name (system '')
--   key:<system>:<external id>    the entity keyed (system, external id)
-- An entity that was merged into another resolves to its survivor. A reference of another
-- form raises CGV01 (column `column_name`, which names the caller's argument). The tenant
-- is named in the lookups as well as fenced by RLS, so a role without RLS resolves in the
-- context's tenant too.
CREATE OR REPLACE FUNCTION cogdb.resolve_node(ref text, column_name text DEFAULT 'node',
                                              OUT kind text, OUT id text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_prefix text := split_part(ref, ':', 1);
    v_rest text := substr(ref, length(split_part(ref, ':', 1)) + 2);
    v_entity text;
BEGIN
    IF ref IS NULL OR position(':' IN ref) = 0 OR v_rest = ''
       OR v_prefix NOT IN ('memory', 'entity', 'name', 'key')
       OR (v_prefix = 'key' AND position(':' IN v_rest) = 0) THEN
        RAISE EXCEPTION '% must be memory:<id>, entity:<id>, name:<name> or key:<system>:<external id>, got %',
                        column_name, coalesce(quote_literal(left(ref, 80)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = column_name,
                  HINT = 'e.g. memory:mem_1a2b…, name:Acme Corp, key:crm:42';
    END IF;
    IF v_prefix = 'memory' THEN
        SELECT 'memory', m.id INTO kind, id FROM cogdb.memories m
         WHERE m.tenant_id = cogdb.current_tenant_id() AND m.id = v_rest
           AND (m.expires_at IS NULL OR m.expires_at > now());
        RETURN;
    END IF;
    v_entity := CASE v_prefix
        WHEN 'entity' THEN v_rest
        WHEN 'name' THEN cogdb.entity_id_for('', v_rest)
        ELSE cogdb.entity_id_for(split_part(v_rest, ':', 1),
                                 substr(v_rest, length(split_part(v_rest, ':', 1)) + 2)) END;
    SELECT 'entity', coalesce(e.merged_into, e.id) INTO kind, id FROM cogdb.entities e
     WHERE e.tenant_id = cogdb.current_tenant_id() AND e.id = v_entity;
    IF id IS NOT NULL AND id <> v_entity
       AND NOT EXISTS (SELECT FROM cogdb.entities s
                        WHERE s.tenant_id = cogdb.current_tenant_id() AND s.id = resolve_node.id) THEN
        kind := NULL;  -- an alias of a survivor the caller cannot see
        id := NULL;
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.resolve_node(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.resolve_node(text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.resolve_node(text, text) IS
    'The node a reference (memory:<id>, entity:<id>, name:<name>, key:<system>:<external id>) names, if the caller can see it; aliases resolve to their survivor.';
