-- The Citus plan for this database, read from its catalog (docs/scale-out.md): one row per
-- step a DBA runs on the coordinator, in order. Tenant tables (a tenant_id column, and no
-- key without it) are distributed by tenant_id, all co-located with the most referenced one,
-- referenced tables before the tables that reference them; global registries (no tenant_id,
-- or a key that is unique across tenants, like identities) and the tables a policy reads
-- through the functions it calls (found by name in their bodies, or through pg_depend for a
-- standard-SQL body, transitively) become
-- reference tables;
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
    v_policy_inputs regclass[];
    v_tables regclass[];
    v_anchor regclass;
    v_next regclass;
    v_kind text;
    v_step integer := 0;
    r record;
BEGIN
    -- The tables a policy reads through the functions it calls (retention_cutoffs reads
    -- retention_policies; live_grants, share_receipts): followed by name through the
    -- functions' bodies (pg_depend for a standard-SQL body), transitively. A shard's policy
    -- runs on a worker, which cannot run a distributed query from inside it, so these must be
    -- on every node: reference tables.
    WITH RECURSIVE reach(fn) AS (
        SELECT d.refobjid FROM pg_depend d
          JOIN pg_policy p ON d.classid = 'pg_policy'::regclass AND d.objid = p.oid
          JOIN pg_class c ON c.oid = p.polrelid
         WHERE d.refclassid = 'pg_proc'::regclass AND c.relnamespace = 'cogdb'::regnamespace
        UNION
        SELECT n.fn FROM reach w JOIN pg_proc g ON g.oid = w.fn
         CROSS JOIN LATERAL (
               SELECT f.oid FROM regexp_matches(g.prosrc, 'cogdb\.([a-z_0-9]+)', 'g') m
                 JOIN pg_proc f ON f.proname = m[1] AND f.pronamespace = 'cogdb'::regnamespace
               UNION ALL  -- a standard-SQL body (RETURN, BEGIN ATOMIC) has no text
               SELECT d.refobjid FROM pg_depend d
                WHERE d.classid = 'pg_proc'::regclass AND d.objid = g.oid
                  AND d.refclassid = 'pg_proc'::regclass) n(fn))
    SELECT coalesce(array_agg(DISTINCT c.oid::regclass), '{}') INTO v_policy_inputs
      FROM (SELECT c.oid FROM reach w JOIN pg_proc g ON g.oid = w.fn
             CROSS JOIN LATERAL regexp_matches(g.prosrc, 'cogdb\.([a-z_0-9]+)', 'g') m
              JOIN pg_class c ON c.relname = m[1] AND c.relnamespace = 'cogdb'::regnamespace
            UNION
            SELECT d.refobjid FROM reach w JOIN pg_depend d
                ON d.classid = 'pg_proc'::regclass AND d.objid = w.fn
               AND d.refclassid = 'pg_class'::regclass) t
      JOIN pg_class c ON c.oid = t.oid AND c.relnamespace = 'cogdb'::regnamespace
                     AND c.relkind IN ('r', 'p') AND NOT c.relispartition;

    SELECT coalesce(array_agg(x.rel ORDER BY x.rel::text) FILTER (WHERE x.kind = 'reference'), '{}'),
           coalesce(array_agg(x.rel ORDER BY x.rel::text) FILTER (WHERE x.kind = 'distributed'), '{}'),
           coalesce(array_agg(x.rel ORDER BY x.rel::text) FILTER (WHERE x.kind = 'coordinator'), '{}')
      INTO v_reference, v_distributed, v_coordinator
      FROM (SELECT c.oid::regclass AS rel,
                   CASE WHEN c.relname = 'alembic_version' THEN 'coordinator'
                        WHEN t.attnum IS NULL THEN 'reference'
                        WHEN c.oid = ANY (v_policy_inputs) THEN 'reference'
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
                note := CASE WHEN v_next = ANY (v_policy_inputs)
                    THEN 'Read by the policies of distributed tables (through the functions '
                         'they call): a copy on every node, so a shard''s policy reads it '
                         'locally. Small; written by the admin''s definer functions, each write '
                         'on every node.'
                    ELSE 'A global registry: a copy on every node.' END;
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
