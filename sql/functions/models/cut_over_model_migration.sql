-- The cutover of a model migration, one transaction, all or nothing. First it stops the
-- tenant's writes until the commit, so no memory of the old model can arrive behind the
-- swap: a promoted tenant that swaps its rows here has its own partition locked in SHARE
-- mode (its writers wait, its searches go on reading the old vectors through the old index
-- while the new index is built), taken by lock_unqueued, which tries without queueing ahead
-- of the tenant's writers while another transaction holds the partition (any tenant's
-- UPDATE or DELETE naming no tenant locks every partition), then queues for 200 ms at most
-- (revision 0032: a queued request held the tenant's writes until lock_timeout); a tenant in memories_default, small by definition (below
-- search.ann_min_rows), and a promoted tenant whose cutover only flips the default (it
-- settles, below) have their gate taken exclusively instead (tenant_gate: all the tenant's
-- transactions wait, for the short cutover; other tenants write on, and none of their open
-- statements holds it: a SHARE lock on the partition waited for any transaction that had
-- locked every partition, e.g. an UPDATE naming no tenant; revision 0031), by
-- close_tenant_gate (it lets the tenant's traffic through while it tries, and queues ahead
-- of it for 200 ms at most); the settling one holds its partition in SHARE UPDATE EXCLUSIVE
-- mode as well, so the side table's index aside, no index it checked is dropped until the
-- commit. The caller bounds either wait with lock_timeout. Then it refuses with CGM01, changing nothing,
-- unless every memory of the tenant's from_model has a vector of to_model
-- (memory_embeddings). Then it swaps: the old
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
-- without it.
-- Entities (their optional embedding, for hybrid search) move with the memories: their rows
-- of from_model are locked FOR UPDATE first (an upsert in flight ends before, the next one
-- waits for the commit), and the cutover refuses with CGM01 unless each has a current vector
-- of to_model (entity_embeddings with the digest of its embedding now: one made before the
-- entity's embedding last changed does not count); then they swap like the memories. An
-- entity is visible to the owner per user (entities__visible_to_user), so each step runs in
-- the tenant's context without a user for the tenant-visible ones, then in the context of
-- each owner of private entities (private_entity_owners) for theirs. An entity inserted by a transaction still open when
-- the cutover locks them keeps from_model (docs/scale-out.md). Returns the migration, phase
-- cut_over.
-- A promoted tenant whose side and new-model indexes are built (model_migration_settles,
-- settle_index_steps: `cogdb model migrate` builds them CONCURRENTLY before the cutover)
-- skips the memories' and the entities' swap and the index build: after the checks it
-- only makes to_model the default and returns phase settling (the entities since revision
-- 0033; before it they swapped here, about 0.4 ms each with the tenant's gate held); settle_model_migration then
-- moves the rows in small transactions while search reads the union of both places
-- (search_tenant). The tenant's gate is then held for the check's count and the
-- entities' check, not for a write and an index insert per memory or entity (docs/scale-out.md, "The
-- cutover's write pause", and bench/RESULTS.md). Definer for cogdb_admin.
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
    v_user uuid;
    v_users uuid[];
    v_entities bigint := 0;
    v_swapped bigint := 0;
    v_ids text[] := '{}';
    v_step_ids text[];
    v_settles boolean;
    v_gated boolean;           -- the tenant's gate holds its writers (not a partition lock)
    v_total bigint;
BEGIN
    v_part := cogdb.memories_partition(v_tenant);
    v_gated := v_part = 'memories_default' OR cogdb.model_migration_settles(v_tenant, to_model);
    IF v_gated THEN
        IF v_part <> 'memories_default' THEN
            -- Before the gate (it conflicts with no writer, but may wait for an index build
            -- or a vacuum, which must not hold the tenant's traffic): no index of the
            -- partition can be dropped or built until the commit. A DROP INDEX CONCURRENTLY
            -- marks its index invalid before it waits for the transactions using it; this
            -- lock makes it wait first.
            EXECUTE format('LOCK TABLE cogdb.%I IN SHARE UPDATE EXCLUSIVE MODE', v_part);
        END IF;
        PERFORM cogdb.close_tenant_gate(v_tenant);
    ELSE
        -- Without queueing ahead of the tenant's writers while another transaction holds
        -- the partition (revision 0032): a queued SHARE request held them all.
        PERFORM cogdb.lock_unqueued(v_tenant, format('cogdb.%I', v_part)::regclass);
    END IF;
    IF cogdb.memories_partition(v_tenant) <> v_part THEN   -- promoted meanwhile
        RAISE EXCEPTION 'tenant % was moved into a partition of its own meanwhile', v_tenant
            USING ERRCODE = '55P03', HINT = 'Try again: `cogdb model migrate` does.';
    END IF;
    v_row := cogdb.migration_in_progress(v_tenant, to_model);
    v_saved := cogdb.enter_tenant(v_tenant);
    EXECUTE format('SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT FROM cogdb.memory_embeddings e'
                   '  WHERE e.tenant_id = %L::uuid AND e.memory_id = m.id AND e.model = $2)),'
                   ' count(*) FROM cogdb.%I m WHERE m.tenant_id = %L::uuid AND m.model = $1',
                   v_tenant, v_part, v_tenant)
       INTO v_missing, v_total USING v_row.from_model, to_model;
    IF v_missing > 0 THEN
        RAISE EXCEPTION 'cutover refused: % memories of model % have no vector of model % yet',
                        v_missing, quote_literal(v_row.from_model), quote_literal(to_model)
            USING ERRCODE = 'CGM01', COLUMN = 'to_model',
                  HINT = 'Run `cogdb model migrate --tenant ' || v_tenant || ' --to ' || to_model
                         || '` again: it embeds what is left, then cuts over.';
    END IF;
    -- Entities: lock the tenant's entities of from_model, count those without a current
    -- vector of to_model.
    v_users := cogdb.private_entity_owners(v_tenant);
    v_missing := 0;
    FOREACH v_user IN ARRAY array_prepend(NULL::uuid, v_users) LOOP
        PERFORM cogdb.enter_tenant(v_tenant, v_user);
        SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (
                   SELECT FROM cogdb.entity_embeddings e
                    WHERE e.tenant_id = v_tenant AND e.entity_id = n.id AND e.model = to_model
                      AND e.source_digest = md5(n.embedding::text)::uuid))
               , array_agg(n.id)
          INTO v_step, v_n, v_step_ids
          FROM (SELECT n.id, n.embedding FROM cogdb.entities n
                 WHERE n.tenant_id = v_tenant AND n.model = v_row.from_model
                   AND (CASE WHEN v_user IS NULL THEN n.visibility = 'tenant'
                             ELSE n.visibility = 'private' AND n.owner_user_id = v_user END)
                   FOR UPDATE) n;
        v_entities := v_entities + v_step;
        v_missing := v_missing + v_n;
        v_ids := v_ids || coalesce(v_step_ids, '{}');
    END LOOP;
    v_n := 0;
    PERFORM cogdb.enter_tenant(v_tenant);
    IF v_missing > 0 THEN
        RAISE EXCEPTION 'cutover refused: % entities of model % have no vector of model % yet',
                        v_missing, quote_literal(v_row.from_model), quote_literal(to_model)
            USING ERRCODE = 'CGM01', COLUMN = 'to_model',
                  HINT = 'Run `cogdb model migrate --tenant ' || v_tenant || ' --to ' || to_model
                         || '` again: it embeds what is left, then cuts over.';
    END IF;
    v_index := cogdb.migration_index_missing(v_tenant, v_row.from_model, to_model);
    v_settles := cogdb.model_migration_settles(v_tenant, to_model);
    IF v_gated AND v_part <> 'memories_default' AND NOT v_settles THEN
        -- Checked again under the locks: only a settling cutover may run without the
        -- partition's SHARE lock.
        RAISE EXCEPTION 'the side or new-model index of tenant % became unusable meanwhile', v_tenant
            USING ERRCODE = '55P03',
                  HINT = 'Try again (`cogdb model migrate` does): without the index the cutover swaps the rows under a SHARE lock on the partition.';
    END IF;
    IF NOT v_settles THEN
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
    ELSE
        -- The rows stay where they are and settle later (settle_model_migration); search
        -- reads both places meanwhile (search_tenant).
        v_n := v_total;
    END IF;
    IF NOT v_settles THEN
        -- Entities: keep the old vectors, each entity takes its new vector, in each context
        -- that sees them (swap_entity_vectors).
        v_swapped := cogdb.swap_entity_vectors(v_tenant, v_row.from_model, to_model, v_ids,
                                               array_prepend(NULL::uuid, v_users));
        IF v_swapped <> v_entities THEN
            RAISE EXCEPTION 'cutover refused: % of % entities of model % could not be switched',
                            v_entities - v_swapped, v_entities, quote_literal(v_row.from_model)
                USING ERRCODE = 'CGM01', COLUMN = 'to_model',
                      HINT = 'Nothing was changed. `cogdb audit policies` reports policy changes that could hide rows from the owner.';
        END IF;
        DELETE FROM cogdb.entity_embeddings e WHERE e.tenant_id = v_tenant AND e.model = to_model;
    END IF;
    -- A cutover that settles leaves the entities too (revision 0033): each keeps its old
    -- vector with its current vector of to_model in entity_embeddings (checked above, under
    -- the lock), hybrid search reads both places while the tenant settles, and
    -- settle_model_migration moves them after the memories.
    IF v_index IS NOT NULL AND NOT v_settles THEN
        -- CREATE INDEX refuses a table with pending trigger events: the deferred check of
        -- memories.model against embedding_models runs now instead of at commit.
        SET CONSTRAINTS ALL IMMEDIATE;
        EXECUTE cogdb.ann_index_statement(v_tenant, to_model, false);
    END IF;
    PERFORM cogdb.set_tenant_setting(v_tenant::text, 'default_model', to_jsonb(to_model));
    UPDATE cogdb.model_migrations g
       SET phase = CASE WHEN v_settles THEN 'settling' ELSE 'cut_over' END,
           cut_over_at = now(), total = v_n
     WHERE g.tenant_id = v_tenant AND g.id = v_row.id
    RETURNING g.* INTO v_row;
    PERFORM cogdb.audit_note('model.cut_over', jsonb_build_object(
        'from_model', v_row.from_model, 'to_model', to_model, 'memories', v_n,
        'entities', v_swapped, 'settling', v_settles,
        'entities_settling', CASE WHEN v_settles THEN v_entities ELSE 0 END));
    PERFORM cogdb.restore_context(v_saved);
    RETURN NEXT v_row;
END
$$;

REVOKE ALL ON FUNCTION cogdb.cut_over_model_migration(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.cut_over_model_migration(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.cut_over_model_migration(text, text) IS
    'The cutover of a model migration, one transaction: refuses (CGM01) unless every memory and entity of the old model has its new vector; then swaps the vectors and makes the new model the tenant''s default.';
