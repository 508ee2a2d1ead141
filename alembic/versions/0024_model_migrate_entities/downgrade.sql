-- cogdb revision 0024 (model_migrate_entities): downgrade, written by `python -m tools.freeze 0024` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

REVOKE ALL ON FUNCTION cogdb.distribution_plan() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.distribution_plan() IS NULL;
-- sql/functions/scale/distribution_plan.sql as frozen in revision 0014
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

REVOKE ALL ON FUNCTION cogdb.cleanup_model_embeddings(text, text, integer) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.cleanup_model_embeddings(text, text, integer) IS NULL;
-- sql/functions/models/cleanup_model_embeddings.sql as frozen in revision 0019
-- One batch of `cogdb model cleanup`: deletes at most `batch` of the tenant's kept vectors of
-- `model` from memory_embeddings (after a cutover: the old model's) and says whether to call
-- again (more). When none are left, the tenant's migrations away from `model` that were cut
-- over become phase cleaned, and `cogdb maintain` drops the old model's index once its
-- memories are gone. Refuses (CGC01) the vectors of a migration in progress to `model`.
-- Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.cleanup_model_embeddings(tenant_id text, model text,
                                                          batch integer DEFAULT 1000)
    RETURNS TABLE (deleted integer, more boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_saved text[];
BEGIN
    IF batch IS NULL OR batch NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'batch must be between 1 and 100000, got %', coalesce(batch::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'batch',
                  HINT = 'How many vectors one transaction deletes; 1000 is a good start.';
    END IF;
    PERFORM cogdb.resolve_model(model);
    IF EXISTS (SELECT FROM cogdb.model_migrations g
                WHERE g.tenant_id = v_tenant AND g.to_model = model
                  AND g.phase IN ('embedding', 'indexed')) THEN
        RAISE EXCEPTION 'tenant % is migrating to model %: its vectors are the migration''s work',
                        v_tenant, quote_literal(model)
            USING ERRCODE = 'CGC01', COLUMN = 'model',
                  HINT = 'Clean up the old model after the cutover: cogdb model cleanup --tenant T --model OLD';
    END IF;
    v_saved := cogdb.enter_tenant(v_tenant);
    DELETE FROM cogdb.memory_embeddings e
     WHERE e.tenant_id = v_tenant AND e.model = model
       AND e.memory_id IN (SELECT k.memory_id FROM cogdb.memory_embeddings k
                            WHERE k.tenant_id = v_tenant AND k.model = model
                            ORDER BY k.memory_id LIMIT batch);
    GET DIAGNOSTICS deleted = ROW_COUNT;
    more := deleted = batch;
    IF NOT more THEN
        UPDATE cogdb.model_migrations g SET phase = 'cleaned', cleaned_at = now()
         WHERE g.tenant_id = v_tenant AND g.from_model = model AND g.phase = 'cut_over';
    END IF;
    IF deleted > 0 THEN
        PERFORM cogdb.audit_note('model.cleanup', jsonb_build_object('model', model,
                                                                     'deleted', deleted));
    END IF;
    PERFORM cogdb.restore_context(v_saved);
    RETURN NEXT;
END
$$;

REVOKE ALL ON FUNCTION cogdb.cleanup_model_embeddings(text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.cleanup_model_embeddings(text, text, integer) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.cleanup_model_embeddings(text, text, integer) IS
    'One batch of cogdb model cleanup: deletes at most batch kept vectors of a model for a tenant; more = call again.';

REVOKE ALL ON FUNCTION cogdb.cut_over_model_migration(text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.cut_over_model_migration(text, text) IS NULL;
-- sql/functions/models/cut_over_model_migration.sql as frozen in revision 0019
-- The cutover of a model migration, one transaction, all or nothing. First it stops the
-- tenant's writes until the commit, so no memory of the old model can arrive behind the
-- swap: a promoted tenant's own partition is locked in SHARE mode (its writers wait, its
-- searches go on reading the old vectors through the old index while the new index is
-- built); a tenant in memories_default, small by definition (below search.ann_min_rows), has
-- its gate taken exclusively instead (tenant_gate: all its transactions wait, for the short
-- cutover; the other tenants in memories_default write on). The caller bounds either wait
-- with lock_timeout. Then it refuses with CGM01, changing nothing, unless every memory of the
-- tenant's from_model has a vector of to_model (memory_embeddings). Then it swaps: the old
-- vectors go into memory_embeddings (`cogdb model cleanup` deletes them), each memory takes
-- (to_model, its new vector), the new vectors leave memory_embeddings, and to_model becomes
-- the tenant's default model (set_tenant_setting). A search sees the old model before the
-- commit and the new one after it, never a mix. The memories are updated through
-- cogdb.memories (its triggers count, index and audit them) in the context of each owner in
-- turn (memories__owner_updates lets only the owner change a memory). Last, where the
-- tenant's partition has an ANN index for from_model (migration_index_missing), it builds
-- the one of to_model (ann_index_statement, a plain CREATE INDEX: its SHARE lock lets
-- searches through; one bulk build, where an index built before the swap takes an HNSW
-- insert per memory, measured 2.4x slower: bench/RESULTS.md, "Model migration"), so the
-- index commits together with the rows it serves and search never reads the new model
-- without it. Returns the migration, phase cut_over. Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.cut_over_model_migration(tenant_id text, to_model text)
    RETURNS SETOF cogdb.model_migrations
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_row cogdb.model_migrations;
    v_part text;
    v_saved text[];
    v_missing bigint;
    v_index text;
    v_owner uuid;
    v_n bigint := 0;
    v_step bigint;
BEGIN
    v_part := cogdb.memories_partition(v_tenant);
    IF v_part = 'memories_default' THEN
        PERFORM pg_advisory_xact_lock(cogdb.tenant_gate(v_tenant));
    ELSE
        EXECUTE format('LOCK TABLE cogdb.%I IN SHARE MODE', v_part);
    END IF;
    IF cogdb.memories_partition(v_tenant) <> v_part THEN   -- promoted meanwhile
        RAISE EXCEPTION 'tenant % was moved into a partition of its own meanwhile', v_tenant
            USING ERRCODE = '55P03', HINT = 'Try again: `cogdb model migrate` does.';
    END IF;
    v_row := cogdb.migration_in_progress(v_tenant, to_model);
    v_saved := cogdb.enter_tenant(v_tenant);
    EXECUTE format('SELECT count(*) FROM cogdb.%I m WHERE m.tenant_id = %L::uuid AND m.model = $1'
                   ' AND NOT EXISTS (SELECT FROM cogdb.memory_embeddings e'
                   '  WHERE e.tenant_id = %L::uuid AND e.memory_id = m.id AND e.model = $2)',
                   v_part, v_tenant, v_tenant)
       INTO v_missing USING v_row.from_model, to_model;
    IF v_missing > 0 THEN
        RAISE EXCEPTION 'cutover refused: % memories of model % have no vector of model % yet',
                        v_missing, quote_literal(v_row.from_model), quote_literal(to_model)
            USING ERRCODE = 'CGM01', COLUMN = 'to_model',
                  HINT = 'Run `cogdb model migrate --tenant ' || v_tenant || ' --to ' || to_model
                         || '` again: it embeds what is left, then cuts over.';
    END IF;
    v_index := cogdb.migration_index_missing(v_tenant, v_row.from_model, to_model);
    -- Keep the old vectors (a leftover of an earlier migration back is overwritten).
    EXECUTE format('INSERT INTO cogdb.memory_embeddings AS e (tenant_id, memory_id, model, embedding)'
                   ' SELECT m.tenant_id, m.id, m.model, m.embedding FROM cogdb.%I m'
                   '  WHERE m.tenant_id = %L::uuid AND m.model = $1'
                   ' ON CONFLICT (tenant_id, memory_id, model)'
                   ' DO UPDATE SET embedding = EXCLUDED.embedding, embedded_at = EXCLUDED.embedded_at',
                   v_part, v_tenant)
       USING v_row.from_model;
    FOR v_owner IN EXECUTE format('SELECT DISTINCT m.owner_user_id FROM cogdb.%I m'
                                  ' WHERE m.tenant_id = %L::uuid AND m.model = $1',
                                  v_part, v_tenant) USING v_row.from_model
    LOOP
        PERFORM set_config('app.user_id', coalesce(v_owner::text, ''), true);
        -- An anonymised memory takes the fixed unit vector anonymise_memories gives, whatever
        -- its side row holds (as store_model_vectors does).
        UPDATE cogdb.memories m
           SET model = to_model,
               embedding = CASE WHEN m.anonymised_at IS NULL THEN e.embedding
                                ELSE ('[1' || repeat(',0', public.vector_dims(e.embedding) - 1)
                                      || ']')::public.vector END
          FROM cogdb.memory_embeddings e
         WHERE m.tenant_id = v_tenant AND m.model = v_row.from_model
           AND m.owner_user_id IS NOT DISTINCT FROM v_owner
           AND e.tenant_id = v_tenant AND e.memory_id = m.id AND e.model = to_model;
        GET DIAGNOSTICS v_step = ROW_COUNT;
        v_n := v_n + v_step;
    END LOOP;
    PERFORM set_config('app.user_id', '', true);
    EXECUTE format('SELECT count(*) FROM cogdb.%I m WHERE m.tenant_id = %L::uuid AND m.model = $1',
                   v_part, v_tenant)
       INTO v_missing USING v_row.from_model;
    IF v_missing > 0 THEN
        RAISE EXCEPTION 'cutover refused: % memories of model % could not be switched', v_missing,
                        quote_literal(v_row.from_model)
            USING ERRCODE = 'CGM01', COLUMN = 'to_model',
                  HINT = 'Nothing was changed. `cogdb audit policies` reports policy changes that could hide rows from the owner.';
    END IF;
    DELETE FROM cogdb.memory_embeddings e WHERE e.tenant_id = v_tenant AND e.model = to_model;
    IF v_index IS NOT NULL THEN
        -- CREATE INDEX refuses a table with pending trigger events: the deferred check of
        -- memories.model against embedding_models runs now instead of at commit.
        SET CONSTRAINTS ALL IMMEDIATE;
        EXECUTE cogdb.ann_index_statement(v_tenant, to_model, false);
    END IF;
    PERFORM cogdb.set_tenant_setting(v_tenant::text, 'default_model', to_jsonb(to_model));
    UPDATE cogdb.model_migrations g
       SET phase = 'cut_over', cut_over_at = now(), total = v_n
     WHERE g.tenant_id = v_tenant AND g.id = v_row.id
    RETURNING g.* INTO v_row;
    PERFORM cogdb.audit_note('model.cut_over', jsonb_build_object(
        'from_model', v_row.from_model, 'to_model', to_model, 'memories', v_n));
    PERFORM cogdb.restore_context(v_saved);
    RETURN NEXT v_row;
END
$$;

REVOKE ALL ON FUNCTION cogdb.cut_over_model_migration(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.cut_over_model_migration(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.cut_over_model_migration(text, text) IS
    'The cutover of a model migration, one transaction: refuses (CGM01) unless every memory has its new vector and the index is valid; then swaps the vectors and makes the new model the tenant''s default.';

REVOKE ALL ON FUNCTION cogdb.start_model_migration(text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.start_model_migration(text, text) IS NULL;
-- sql/functions/models/start_model_migration.sql as frozen in revision 0019
-- Starts re-embedding a tenant's memories with `to_model` (`cogdb model migrate`,
-- docs/scale-out.md), or returns the migration of the tenant to `to_model` already in
-- progress (a run that was killed resumes from its after_id). from_model is the tenant's
-- model now (resolve_model in its context); total counts its memories of that model.
-- Refuses: an unknown model (CGV02), the tenant's own model (CGV01), another migration of
-- the tenant in progress (CGC01), vectors of to_model left in memory_embeddings by an
-- earlier migration (CGC01: `cogdb model cleanup` removes them; they may predate edits).
-- Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.start_model_migration(tenant_id text, to_model text)
    RETURNS SETOF cogdb.model_migrations
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_saved text[];
    v_from text;
    v_row cogdb.model_migrations;
    v_total bigint;
BEGIN
    PERFORM cogdb.resolve_model(to_model);
    v_saved := cogdb.enter_tenant(v_tenant);
    SELECT r.name INTO v_from FROM cogdb.resolve_model(NULL) r;
    EXECUTE format('SELECT count(*) FROM cogdb.%I m WHERE m.tenant_id = %L::uuid AND m.model = $1',
                   cogdb.memories_partition(v_tenant), v_tenant)
       INTO v_total USING v_from;
    SELECT g.* INTO v_row FROM cogdb.model_migrations g
     WHERE g.tenant_id = v_tenant AND g.phase IN ('embedding', 'indexed') FOR UPDATE;
    IF FOUND AND v_row.to_model = to_model THEN
        UPDATE cogdb.model_migrations g SET total = v_total
         WHERE g.tenant_id = v_tenant AND g.id = v_row.id RETURNING g.* INTO v_row;
        PERFORM cogdb.restore_context(v_saved);
        RETURN NEXT v_row;
        RETURN;
    ELSIF FOUND THEN
        RAISE EXCEPTION 'tenant % is migrating to model % already', v_tenant, quote_literal(v_row.to_model)
            USING ERRCODE = 'CGC01', COLUMN = 'to_model',
                  HINT = 'Finish it first: cogdb model migrate --tenant ' || v_tenant || ' --to ' || v_row.to_model;
    END IF;
    IF v_from = to_model THEN
        RAISE EXCEPTION 'model % is the tenant''s model already', quote_literal(to_model)
            USING ERRCODE = 'CGV01', COLUMN = 'to_model',
                  HINT = '`cogdb tenant show` names the tenant''s default model; migrate to another one.';
    END IF;
    IF EXISTS (SELECT FROM cogdb.memory_embeddings e
                WHERE e.tenant_id = v_tenant AND e.model = to_model) THEN
        RAISE EXCEPTION 'vectors of model % from an earlier migration are still kept for tenant %',
                        quote_literal(to_model), v_tenant
            USING ERRCODE = 'CGC01', COLUMN = 'to_model',
                  HINT = 'Remove them first: cogdb model cleanup --tenant ' || v_tenant || ' --model ' || to_model;
    END IF;
    INSERT INTO cogdb.model_migrations AS g (tenant_id, from_model, to_model, total)
    VALUES (v_tenant, v_from, to_model, v_total) RETURNING g.* INTO v_row;
    PERFORM cogdb.audit_note('model.migrate', jsonb_build_object(
        'from_model', v_from, 'to_model', to_model, 'memories', v_total));
    PERFORM cogdb.restore_context(v_saved);
    RETURN NEXT v_row;
END
$$;

REVOKE ALL ON FUNCTION cogdb.start_model_migration(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.start_model_migration(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.start_model_migration(text, text) IS
    'Starts re-embedding a tenant''s memories with to_model, or returns the migration to it already in progress (resume).';

-- sql/functions/models/remember_entity_embeddings.sql: new in this revision
DROP FUNCTION cogdb.remember_entity_embeddings(text[], text, public.vector[]);

-- sql/functions/models/store_entity_vectors.sql: new in this revision
DROP FUNCTION cogdb.store_entity_vectors(text, text, text[], public.vector[], uuid[]);

-- sql/functions/models/entity_migration_batch.sql: new in this revision
DROP FUNCTION cogdb.entity_migration_batch(text, text, integer);

-- sql/functions/models/private_entity_owners.sql: new in this revision
DROP FUNCTION cogdb.private_entity_owners(uuid);

-- sql/policies/entity_embeddings__migration.sql: new in this revision
DROP POLICY entity_embeddings__migration ON cogdb.entity_embeddings;

-- sql/policies/entity_embeddings__visible_entity.sql: new in this revision
DROP POLICY entity_embeddings__visible_entity ON cogdb.entity_embeddings;

-- sql/policies/entity_embeddings__tenant_fence.sql: new in this revision
DROP POLICY entity_embeddings__tenant_fence ON cogdb.entity_embeddings;

-- sql/tables/entity_embeddings.sql: new in this revision
DROP TABLE cogdb.entity_embeddings;

RESET ROLE;
