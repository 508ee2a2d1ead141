-- cogdb revision 0014 (scale_out): written by `python -m tools.freeze 0014` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> sql/functions/scale/distribution_plan.sql
-- The Citus plan for this database, read from its catalog (docs/scale-out.md): one row per
-- step a DBA runs on the coordinator, in order. Tenant tables (a tenant_id column, and no
-- key without it) are distributed by tenant_id, all co-located with the most referenced one,
-- referenced tables before the tables that reference them; global registries (no tenant_id,
-- or a key that is unique across tenants, like identities) become reference tables;
-- Alembic's version table stays on the coordinator. A foreign key from a reference table to
-- a distributed one (Citus refuses those) is dropped first, and its note says what then
-- keeps the rule. Partitions are left out: they follow their parent. Reads only the
-- catalog, so any role may run it; STABLE.
CREATE OR REPLACE FUNCTION cogdb.distribution_plan()
    RETURNS TABLE (step integer, table_name text, placement text, distribution_column text,
                   statement text, note text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_reference regclass[];
    v_distributed regclass[];
    v_coordinator regclass[];
    v_tables regclass[];
    v_anchor regclass;
    v_next regclass;
    v_kind text;
    v_step integer := 0;
    r record;
BEGIN
    SELECT coalesce(array_agg(x.rel ORDER BY x.rel::text) FILTER (WHERE x.kind = 'reference'), '{}'),
           coalesce(array_agg(x.rel ORDER BY x.rel::text) FILTER (WHERE x.kind = 'distributed'), '{}'),
           coalesce(array_agg(x.rel ORDER BY x.rel::text) FILTER (WHERE x.kind = 'coordinator'), '{}')
      INTO v_reference, v_distributed, v_coordinator
      FROM (SELECT c.oid::regclass AS rel,
                   CASE WHEN c.relname = 'alembic_version' THEN 'coordinator'
                        WHEN t.attnum IS NULL THEN 'reference'
                        WHEN EXISTS (SELECT FROM pg_constraint k
                                      WHERE k.conrelid = c.oid AND k.contype IN ('p', 'u')
                                        AND NOT t.attnum = ANY (k.conkey)) THEN 'reference'
                        ELSE 'distributed' END AS kind
              FROM pg_class c
              LEFT JOIN pg_attribute t ON t.attrelid = c.oid AND t.attname = 'tenant_id'
                                      AND NOT t.attisdropped
             WHERE c.relnamespace = 'cogdb'::regnamespace AND c.relkind IN ('r', 'p')
               AND NOT c.relispartition) x;

    step := 0; table_name := NULL; placement := NULL; distribution_column := NULL;
    statement := 'CREATE EXTENSION IF NOT EXISTS citus';
    note := 'On the coordinator and every worker, before anything else.';
    RETURN NEXT;

    -- Foreign keys Citus refuses: from a reference table to a distributed one.
    FOR r IN SELECT k.conrelid::regclass AS rel, k.conname, k.confrelid::regclass AS target
               FROM pg_constraint k
              WHERE k.contype = 'f' AND k.conrelid = ANY (v_reference)
                AND k.confrelid = ANY (v_distributed)
              ORDER BY 1, 2
    LOOP
        v_step := v_step + 1;
        step := v_step; table_name := r.rel::text; placement := 'reference';
        distribution_column := NULL;
        statement := format('ALTER TABLE %s DROP CONSTRAINT %I', r.rel, r.conname);
        note := format('Citus refuses a reference table''s key to distributed %s. What the key '
                       'did (its ON DELETE action) must then be done by the function that '
                       'deletes those rows (for users: cogdb.delete_user).', r.target);
        RETURN NEXT;
    END LOOP;

    -- Reference tables, then distributed ones; within each, referenced tables first.
    FOREACH v_kind IN ARRAY ARRAY['reference', 'distributed'] LOOP
        v_tables := CASE v_kind WHEN 'reference' THEN v_reference ELSE v_distributed END;
        WHILE cardinality(v_tables) > 0 LOOP
            SELECT x INTO v_next FROM unnest(v_tables) x
             WHERE NOT EXISTS (SELECT FROM pg_constraint k
                                WHERE k.conrelid = x AND k.contype = 'f' AND k.confrelid <> x
                                  AND k.confrelid = ANY (v_tables))
             ORDER BY (SELECT count(*) FROM pg_constraint k
                        WHERE k.confrelid = x AND k.contype = 'f') DESC, x::text
             LIMIT 1;
            EXIT WHEN v_next IS NULL;  -- a cycle of foreign keys: reported below
            v_step := v_step + 1;
            step := v_step; table_name := v_next::text; placement := v_kind;
            IF v_kind = 'reference' THEN
                distribution_column := NULL;
                statement := format('SELECT create_reference_table(%L)', v_next::text);
                note := 'A global registry: a copy on every node.';
            ELSE
                distribution_column := 'tenant_id';
                statement := CASE WHEN v_anchor IS NULL
                    THEN format('SELECT create_distributed_table(%L, %L)', v_next::text, 'tenant_id')
                    ELSE format('SELECT create_distributed_table(%L, %L, colocate_with => %L)',
                                v_next::text, 'tenant_id', v_anchor::text) END;
                note := CASE WHEN (SELECT c.relkind FROM pg_class c WHERE c.oid = v_next) = 'p'
                    THEN 'Partitioned: its partitions are distributed with it. On Citus a '
                         'tenant''s rows already sit together in its shard: leave promotion to '
                         'partitions off and give a very large tenant a shard of its own '
                         '(isolate_tenant_to_new_shard).'
                    ELSE 'Co-located by tenant: a tenant''s rows of every table share a shard.' END;
                v_anchor := coalesce(v_anchor, v_next);
            END IF;
            RETURN NEXT;
            v_tables := array_remove(v_tables, v_next);
        END LOOP;
        FOREACH v_next IN ARRAY v_tables LOOP
            v_step := v_step + 1;
            step := v_step; table_name := v_next::text; placement := v_kind;
            distribution_column := NULL; statement := NULL;
            note := 'Not placed: a cycle of foreign keys; drop one, place the tables, add it back.';
            RETURN NEXT;
        END LOOP;
    END LOOP;

    FOREACH v_next IN ARRAY v_coordinator LOOP
        v_step := v_step + 1;
        step := v_step; table_name := v_next::text; placement := 'coordinator';
        distribution_column := NULL; statement := NULL;
        note := 'Migration bookkeeping: stays a local table on the coordinator.';
        RETURN NEXT;
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION cogdb.distribution_plan() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.distribution_plan() TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.distribution_plan() IS
    'The Citus plan for this database, from its catalog: each table distributed by tenant_id (co-located), a reference table or coordinator-local, in the order a DBA runs it (docs/scale-out.md).';
-- <<< sql/functions/scale/distribution_plan.sql

-- >>> sql/policies/relationships__endpoints_visible.sql
-- A relationship exists for the caller only when the caller can see both of its nodes: the
-- sub-selects read memories and entities under their own policies (fence and visibility),
-- so an edge to another user's private memory or entity is neither read nor written, and a
-- traversal can never pass through such a node or reveal it. RESTRICTIVE: it narrows the
-- visibility policy, never widens it. The node tables' fences scope the ids to the context's
-- tenant; this table's own fence (relationships__tenant_fence) keeps the edge itself there.
-- Each sub-select also names the edge's tenant_id, so it reads one tenant's partition and,
-- on a cluster distributed by tenant, one co-located shard (docs/scale-out.md).
DROP POLICY IF EXISTS relationships__endpoints_visible ON cogdb.relationships;
CREATE POLICY relationships__endpoints_visible ON cogdb.relationships
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING ((from_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                               WHERE m.tenant_id = relationships.tenant_id
                                                 AND m.id = relationships.from_memory_id))
           AND (from_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                   WHERE e.tenant_id = relationships.tenant_id
                                                     AND e.id = relationships.from_entity_id))
           AND (to_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                 WHERE m.tenant_id = relationships.tenant_id
                                                   AND m.id = relationships.to_memory_id))
           AND (to_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                 WHERE e.tenant_id = relationships.tenant_id
                                                   AND e.id = relationships.to_entity_id)))
    WITH CHECK ((from_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                    WHERE m.tenant_id = relationships.tenant_id
                                                      AND m.id = relationships.from_memory_id))
                AND (from_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                        WHERE e.tenant_id = relationships.tenant_id
                                                          AND e.id = relationships.from_entity_id))
                AND (to_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                      WHERE m.tenant_id = relationships.tenant_id
                                                        AND m.id = relationships.to_memory_id))
                AND (to_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                      WHERE e.tenant_id = relationships.tenant_id
                                                        AND e.id = relationships.to_entity_id)));
-- <<< sql/policies/relationships__endpoints_visible.sql

-- >>> sql/policies/entity_observations__visible_entity.sql
-- Observations share their entity's visibility: a row is visible (and writable) when the
-- caller can see its entity, read under the entities policies. The only permissive policy
-- on entity_observations. The entities fence scopes the id to the context's tenant; this
-- table's own fence (entity_observations__tenant_fence) keeps the observation there. The
-- sub-select names the observation's tenant_id too: one co-located shard on a cluster
-- distributed by tenant (docs/scale-out.md).
DROP POLICY IF EXISTS entity_observations__visible_entity ON cogdb.entity_observations;
CREATE POLICY entity_observations__visible_entity ON cogdb.entity_observations
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (EXISTS (SELECT FROM cogdb.entities e
                    WHERE e.tenant_id = entity_observations.tenant_id
                      AND e.id = entity_observations.entity_id))
    WITH CHECK (EXISTS (SELECT FROM cogdb.entities e
                         WHERE e.tenant_id = entity_observations.tenant_id
                           AND e.id = entity_observations.entity_id));
-- <<< sql/policies/entity_observations__visible_entity.sql

RESET ROLE;
