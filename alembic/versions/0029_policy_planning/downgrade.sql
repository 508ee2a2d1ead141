-- cogdb revision 0029 (policy_planning): downgrade, written by `python -m tools.freeze 0029` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

REVOKE ALL ON FUNCTION cogdb.distribution_plan() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.distribution_plan() IS NULL;
-- sql/functions/scale/distribution_plan.sql as frozen in revision 0024
-- The Citus plan for this database, read from its catalog (docs/scale-out.md): one row per
-- step a DBA runs on the coordinator, in order. Tenant tables (a tenant_id column, and no
-- key without it) are distributed by tenant_id, all co-located with the most referenced one,
-- referenced tables before the tables that reference them; global registries (no tenant_id,
-- or a key that is unique across tenants, like identities) and the tables a policy reads
-- through the functions it calls (found by name in their bodies, transitively) become
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
    -- functions' bodies, transitively. A shard's policy runs on a worker, which cannot run a
    -- distributed query from inside it, so these must be on every node: reference tables.
    WITH RECURSIVE reach(fn) AS (
        SELECT d.refobjid FROM pg_depend d
          JOIN pg_policy p ON d.classid = 'pg_policy'::regclass AND d.objid = p.oid
          JOIN pg_class c ON c.oid = p.polrelid
         WHERE d.refclassid = 'pg_proc'::regclass AND c.relnamespace = 'cogdb'::regnamespace
        UNION
        SELECT f.oid FROM reach w JOIN pg_proc g ON g.oid = w.fn
         CROSS JOIN LATERAL regexp_matches(g.prosrc, 'cogdb\.([a-z_0-9]+)', 'g') m
          JOIN pg_proc f ON f.proname = m[1] AND f.pronamespace = 'cogdb'::regnamespace)
    SELECT coalesce(array_agg(DISTINCT c.oid::regclass), '{}') INTO v_policy_inputs
      FROM reach w JOIN pg_proc g ON g.oid = w.fn
     CROSS JOIN LATERAL regexp_matches(g.prosrc, 'cogdb\.([a-z_0-9]+)', 'g') m
      JOIN pg_class c ON c.relname = m[1] AND c.relnamespace = 'cogdb'::regnamespace
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

REVOKE ALL ON FUNCTION cogdb.fact_holds(timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.fact_holds(timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz) IS NULL;
-- sql/functions/knowledge/fact_holds.sql as frozen in revision 0008
-- Whether a relationship record is part of the picture at (as_of, known_at): cogdb's
-- knowledge as of `known_at` (recorded by then and not superseded by then; NULL: current
-- knowledge, i.e. not superseded), about the world at `as_of` (valid_from <= as_of <
-- valid_to; as_of NULL: known_at, else now). The one rule relationship reads share.
-- Inlinable (LANGUAGE sql, no SET clause) so that traversal plans it as plain conditions.
CREATE OR REPLACE FUNCTION cogdb.fact_holds(valid_from timestamptz, valid_to timestamptz,
                                            recorded_at timestamptz, superseded_at timestamptz,
                                            as_of timestamptz, known_at timestamptz)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT (known_at IS NULL OR recorded_at <= known_at)
       AND (superseded_at IS NULL OR superseded_at > known_at)
       AND valid_from <= coalesce(as_of, known_at, pg_catalog.now())
       AND (valid_to IS NULL OR valid_to > coalesce(as_of, known_at, pg_catalog.now()))
$$;

REVOKE ALL ON FUNCTION cogdb.fact_holds(timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.fact_holds(timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz) TO cogdb_app;
COMMENT ON FUNCTION cogdb.fact_holds(timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz) IS
    'Whether a relationship record is part of the picture at (as_of, known_at): current knowledge by default, about now by default.';

REVOKE ALL ON FUNCTION cogdb.retention_cutoffs() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.retention_cutoffs() IS NULL;
-- sql/functions/retention/retention_cutoffs.sql as frozen in revision 0013
-- The context tenant's age cutoffs, for memories__retained: {context_type: {source: cutoff}}
-- with '*' for any, cutoff = now() - max_age ('-infinity' for a policy without max_age,
-- which keeps its memories against a wider policy); NULL when no policy of the tenant has a
-- max_age (or there is no context). Read once per query (an InitPlan in the policy), and
-- only when a memory is older than retention_horizon(); as the caller: the app may read its
-- own tenant's policies. Names the tenant (docs/conventions.md rule 3).
CREATE OR REPLACE FUNCTION cogdb.retention_cutoffs() RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT jsonb_object_agg(g.context_type, g.cutoffs)
      FROM (SELECT p.context_type, bool_or(p.max_age IS NOT NULL) AS limited,
                   jsonb_object_agg(p.source, coalesce(pg_catalog.now() - p.max_age,
                                                       '-infinity'::timestamptz)) AS cutoffs
              FROM cogdb.retention_policies p
             WHERE p.tenant_id = cogdb.current_tenant_id()
             GROUP BY p.context_type) g
    HAVING bool_or(g.limited)
$$;

REVOKE ALL ON FUNCTION cogdb.retention_cutoffs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.retention_cutoffs() TO cogdb_app;
COMMENT ON FUNCTION cogdb.retention_cutoffs() IS
    'The context tenant''s retention age cutoffs as {context_type: {source: timestamptz}}, NULL without an age limit; read once per query by memories__retained.';

REVOKE ALL ON FUNCTION cogdb.retention_horizon() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.retention_horizon() IS NULL;
-- sql/functions/retention/retention_horizon.sql as frozen in revision 0013
-- The youngest age cutoff of the context tenant's policies: now() minus the shortest max_age;
-- a memory created after it is kept by every policy, so memories__retained looks no further
-- for it. '-infinity' when no policy of the tenant has a max_age (or there is no context):
-- every memory passes with one comparison. Read once per query (an InitPlan in the policy).
CREATE OR REPLACE FUNCTION cogdb.retention_horizon() RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT coalesce(pg_catalog.now() - min(p.max_age), '-infinity'::timestamptz)
      FROM cogdb.retention_policies p
     WHERE p.tenant_id = cogdb.current_tenant_id()
$$;

REVOKE ALL ON FUNCTION cogdb.retention_horizon() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.retention_horizon() TO cogdb_app;
COMMENT ON FUNCTION cogdb.retention_horizon() IS
    'The youngest retention age cutoff of the context tenant (now() minus the shortest max_age), -infinity without an age limit; read once per query by memories__retained.';

REVOKE ALL ON FUNCTION cogdb.entity_grant_covers(jsonb, text, text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.entity_grant_covers(jsonb, text, text, text) IS NULL;
-- sql/functions/sharing/entity_grant_covers.sql as frozen in revision 0022
-- Whether a source tenant's entry of live_grants() (NULL: no grant from it) covers an entity:
-- tenant-visible (a private entity is never shared) and inside every entity criterion one of
-- its grants names (entity type: any of them; entity id). Only the entry's "e" list counts:
-- a grant that names memory criteria only shares no entity. The per-row half of
-- entities__tenant_fence's sharing branch, as grant_covers is memories__tenant_fence's: no
-- table is read, only the value the InitPlan computed once, and rows of the context's own
-- tenant never reach it. Entities have no retention (nothing ages them out), so no horizon.
-- One expression, each argument used once, so the planner inlines it (LANGUAGE sql, no SET
-- clause; docs/conventions.md rule 2): one jsonpath test per row.
CREATE OR REPLACE FUNCTION cogdb.entity_grant_covers(entry jsonb, visibility text, id text,
                                                     entity_type text)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT visibility = 'tenant'
       AND pg_catalog.jsonb_path_exists(
               entry,
               '$.e[*] ? ((!(exists(@.t)) || @.t[*] == $t) && (!(exists(@.i)) || @.i[*] == $id))',
               pg_catalog.jsonb_build_object('t', entity_type, 'id', id))
$$;

REVOKE ALL ON FUNCTION cogdb.entity_grant_covers(jsonb, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.entity_grant_covers(jsonb, text, text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.entity_grant_covers(jsonb, text, text, text) IS
    'Whether a source tenant''s live grants cover an entity (tenant-visible, inside each entity criterion a grant names); the per-row test of entities__tenant_fence.';

REVOKE ALL ON FUNCTION cogdb.grant_covers(jsonb, text, text, text, jsonb, timestamptz, timestamptz) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.grant_covers(jsonb, text, text, text, jsonb, timestamptz, timestamptz) IS NULL;
-- sql/functions/sharing/grant_covers.sql as frozen in revision 0015
-- Whether a source tenant's entry of live_grants() (NULL: no grant from it) covers a memory:
-- tenant-visible (a private memory is never shared); kept by the source's retention
-- (created after the source's horizon "h", or anonymised); and inside every criterion one of
-- its grants names (context type; any of its tags, a list's strings or an object's keys; its
-- id). The per-row half of memories__tenant_fence's sharing branch: no table is read, only
-- the value the InitPlan computed once, and rows of the context's own tenant never reach
-- it. One expression, each argument that may hold a sub-select used once, so the planner
-- inlines it (LANGUAGE sql, no SET clause; docs/conventions.md rule 2): one jsonpath test
-- per row, no function call of its own, no sub-plan.
CREATE OR REPLACE FUNCTION cogdb.grant_covers(entry jsonb, visibility text, id text,
                                              context_type text, tags jsonb,
                                              created_at timestamptz, anonymised_at timestamptz)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT visibility = 'tenant'
       AND pg_catalog.jsonb_path_exists(
               entry,
               '$ ? (@.h < $at || $anonymised == true) .g[*] ? ((!(exists(@.c)) || @.c[*] == $ct) && (!(exists(@.i)) || @.i[*] == $id) && (!(exists(@.g)) || @.g[*] == $tags[*]))',
               pg_catalog.jsonb_build_object(
                   -- clamped: JSON has no infinity
                   'at', least(greatest(EXTRACT(epoch FROM created_at), -1e15), 1e15),
                   'anonymised', anonymised_at IS NOT NULL,
                   'ct', context_type, 'id', id,
                   'tags', CASE WHEN pg_catalog.jsonb_typeof(tags) = 'object'
                                THEN pg_catalog.jsonb_path_query_array(tags, '$.keyvalue().key')
                                ELSE tags END))
$$;

REVOKE ALL ON FUNCTION cogdb.grant_covers(jsonb, text, text, text, jsonb, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.grant_covers(jsonb, text, text, text, jsonb, timestamptz, timestamptz) TO cogdb_app;
COMMENT ON FUNCTION cogdb.grant_covers(jsonb, text, text, text, jsonb, timestamptz, timestamptz) IS
    'Whether a source tenant''s live grants cover a memory (tenant-visible, kept by the source''s retention horizon, inside each criterion a grant names); the per-row test of memories__tenant_fence.';

REVOKE ALL ON FUNCTION cogdb.readable_tenants() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.readable_tenants() IS NULL;
-- sql/functions/sharing/readable_tenants.sql as frozen in revision 0022
-- The tenants whose rows the context may read in this statement: its own, then the source
-- tenants of its live grants when the transaction asked for shared rows (live_grants' keys;
-- none otherwise). memories__tenant_fence compares tenant_id with it first, as an InitPlan:
-- `tenant_id = ANY (…)` is an index condition and a partition-pruning key, so a query that
-- names another tenant reads none of its rows, and EXPLAIN ANALYZE has nothing to count
-- ("Rows Removed by Filter"); the per-row grant test (grant_covers) only ever sees rows of
-- this list. Inlinable (LANGUAGE sql, no SET clause, every name qualified). A statement of
-- a transaction that did not ask (app.include_shared is not its stamp) gets the context
-- tenant alone without calling live_grants() (a definer, which would return NULL then):
-- every fence that reads this list pays one plpgsql call less per query (revision 0022).
CREATE OR REPLACE FUNCTION cogdb.readable_tenants() RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('app.include_shared', true)
                     IS DISTINCT FROM cogdb.context_stamp()
                THEN ARRAY[cogdb.current_tenant_id()]
                ELSE pg_catalog.array_prepend(
                         cogdb.current_tenant_id(),
                         ARRAY(SELECT k::uuid
                                 FROM pg_catalog.jsonb_object_keys(cogdb.live_grants()) AS k))
           END
$$;

REVOKE ALL ON FUNCTION cogdb.readable_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.readable_tenants() TO cogdb_app;
COMMENT ON FUNCTION cogdb.readable_tenants() IS
    'The context tenant and, when the transaction asked for shared rows, the sources of its live grants: the tenants memories__tenant_fence lets a statement read.';

REVOKE ALL ON FUNCTION cogdb.current_user_id() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.current_user_id() IS NULL;
-- sql/functions/context/current_user_id.sql as frozen in revision 0005
-- The user of the current transaction's context; NULL when the context names no user or was
-- set in another transaction. Used by the memory visibility policy: stays inlinable.
CREATE OR REPLACE FUNCTION cogdb.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('app.context_xact', true) = cogdb.context_stamp()
                THEN nullif(pg_catalog.current_setting('app.user_id', true), '')::uuid
           END
$$;

REVOKE ALL ON FUNCTION cogdb.current_user_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.current_user_id() TO cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.current_user_id() IS
    'The user of the current transaction''s context.';

REVOKE ALL ON FUNCTION cogdb.current_tenant_id() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.current_tenant_id() IS NULL;
-- sql/functions/context/current_tenant_id.sql as frozen in revision 0005
-- The tenant of the current transaction's context; NULL when there is none, it has ended
-- (''), or it was set in another transaction (stamp mismatch, see context_stamp()).
-- Every tenant policy calls it, so it must stay inlinable: LANGUAGE sql, STABLE, no SET clause.
-- A malformed value raises (invalid uuid) rather than matching anything.
CREATE OR REPLACE FUNCTION cogdb.current_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('app.context_xact', true) = cogdb.context_stamp()
                THEN nullif(pg_catalog.current_setting('app.tenant_id', true), '')::uuid
           END
$$;

REVOKE ALL ON FUNCTION cogdb.current_tenant_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.current_tenant_id() TO cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.current_tenant_id() IS
    'The tenant of the current transaction''s context.';

REVOKE ALL ON FUNCTION cogdb.context_stamp() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.context_stamp() IS NULL;
-- sql/functions/context/context_stamp.sql as frozen in revision 0005
-- The current transaction's stamp (its start time as epoch text). set_context stores it in
-- app.context_xact beside the tenant; the readers below accept a context only when the stamp
-- matches, so a context SET at session level, which outlives its transaction, matches nothing
-- in the next one. Inlinable (LANGUAGE sql, STABLE, no SET clause): the policies depend on it.
CREATE OR REPLACE FUNCTION cogdb.context_stamp() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$ SELECT (EXTRACT(epoch FROM pg_catalog.transaction_timestamp()))::text $$;

REVOKE ALL ON FUNCTION cogdb.context_stamp() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.context_stamp() TO cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.context_stamp() IS
    'The current transaction''s stamp (its start time as epoch text).';

RESET ROLE;
