-- cogdb revision 0032 (swap_unqueued): written by `python -m tools.freeze 0032` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> sql/functions/context/lock_unqueued.sql
-- Takes, for the rest of the transaction, a lock that writers of one tenant wait for,
-- without queueing ahead of them while it cannot have it: the tenant's gate (tenant_gate)
-- exclusively when share_table is NULL, else share_table (the tenant's own partition of
-- memories) in SHARE mode. A queued request makes every later conflicting one wait behind
-- it, so a wait for someone else (a transaction of the tenant left open; for the partition,
-- also any tenant's UPDATE or DELETE naming no tenant, which locks every partition in ROW
-- EXCLUSIVE mode) would stall the tenant's traffic for as long as the request waits. So it
-- first tries without queueing, every 10 ms, for the caller's lock_timeout less 200 ms (1 s
-- when there is no lock_timeout), which lets the tenant's traffic through meanwhile; only
-- then does it queue, for at most 200 ms, so a tenant whose transactions always overlap is
-- still served: its running transactions end, its new ones wait at most that long. Times
-- out with 55P03, as a lock wait does (the callers' retries expect it), a caller without a
-- lock_timeout too (revision 0032, from its review: with none, 0031's gate queued without a
-- bound, holding the tenant's traffic for as long as it waited). Revision 0031 for the gate (close_tenant_gate), 0032 for the
-- partition (a model migration's cutover that swaps a promoted tenant's rows).
CREATE OR REPLACE FUNCTION cogdb.lock_unqueued(tenant_id uuid, share_table regclass DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_key bigint := cogdb.tenant_gate(tenant_id);
    v_timeout text := current_setting('lock_timeout');
    v_ms bigint := (SELECT s.setting::bigint FROM pg_settings s WHERE s.name = 'lock_timeout');
    v_queue_ms constant bigint := 200;
    v_until timestamptz;
BEGIN
    v_until := clock_timestamp()
               + make_interval(secs => CASE WHEN v_ms = 0 THEN 1000
                                            ELSE greatest(v_ms - v_queue_ms, 0) END / 1000.0);
    LOOP
        IF share_table IS NULL THEN
            IF pg_try_advisory_xact_lock(v_key) THEN
                RETURN;
            END IF;
        ELSE
            BEGIN
                EXECUTE format('LOCK TABLE %s IN SHARE MODE NOWAIT', share_table);
                RETURN;
            EXCEPTION WHEN lock_not_available THEN
                NULL;
            END;
        END IF;
        EXIT WHEN clock_timestamp() >= v_until;
        PERFORM pg_sleep(0.01);
    END LOOP;
    IF v_ms = 0 OR v_ms > v_queue_ms THEN
        PERFORM set_config('lock_timeout', v_queue_ms || 'ms', true);
    END IF;
    IF share_table IS NULL THEN
        PERFORM pg_advisory_xact_lock(v_key);
    ELSE
        EXECUTE format('LOCK TABLE %s IN SHARE MODE', share_table);
    END IF;
    PERFORM set_config('lock_timeout', v_timeout, true);
END
$$;

REVOKE ALL ON FUNCTION cogdb.lock_unqueued(uuid, regclass) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.lock_unqueued(uuid, regclass) IS
    'Takes a tenant''s gate exclusively, or its partition in SHARE mode: tries without queueing for most of lock_timeout (the tenant''s traffic goes on), then queues for at most 200 ms.';
-- <<< sql/functions/context/lock_unqueued.sql

-- >>> sql/functions/context/close_tenant_gate.sql
-- Takes the tenant's gate (tenant_gate) exclusively for the rest of the transaction, for
-- the short steps that must see none of the tenant's transactions open and let none start
-- (a model migration's cutover that settles or runs in memories_default, and the settle's
-- end). Every transaction of the tenant holds the gate shared (set_context, enter_tenant);
-- lock_unqueued takes it without queueing ahead of them for most of the caller's
-- lock_timeout, then queues for 200 ms at most (55P03 after that). Revision 0031 (review of
-- the cutover on the gate); since 0032 the rule lives in lock_unqueued, which the swapping
-- cutover also uses for its partition.
CREATE OR REPLACE FUNCTION cogdb.close_tenant_gate(tenant_id uuid) RETURNS void
    LANGUAGE sql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT cogdb.lock_unqueued(tenant_id, NULL);
$$;

REVOKE ALL ON FUNCTION cogdb.close_tenant_gate(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.close_tenant_gate(uuid) IS
    'Takes a tenant''s gate exclusively: tries without queueing for most of lock_timeout (the tenant''s traffic goes on), then queues for at most 200 ms.';
-- <<< sql/functions/context/close_tenant_gate.sql

-- >>> sql/functions/models/cut_over_model_migration.sql
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
-- skips the memories' swap and the index build: after the checks (and the entities' swap) it
-- only makes to_model the default and returns phase settling; settle_model_migration then
-- moves the rows in small transactions while search reads the union of both places
-- (search_tenant). The tenant's gate is then held for the check's count and the
-- entities, not for a write and an index insert per memory (docs/scale-out.md, "The
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
    -- Entities: keep the old vectors (with the digest of the embedding they give way to),
    -- then each entity takes its new vector, in the context that sees it. The entities
    -- locked above are kept to with a filter, `(… = ANY (v_ids)) IS TRUE`, not an index
    -- condition: with one row estimated for the tenant's entities (no statistics on
    -- tenant_id), the planner ran the list as the index condition of a primary-key probe
    -- repeated for every new vector, reading all of it each time, and these two statements
    -- were quadratic in the tenant's entities (revision 0032: 1.7 and 1.1 s of a 2.9 s
    -- cutover at 4,000 entities, under auto_explain).
    FOREACH v_user IN ARRAY array_prepend(NULL::uuid, v_users) LOOP
        PERFORM cogdb.enter_tenant(v_tenant, v_user);
        INSERT INTO cogdb.entity_embeddings AS k (tenant_id, entity_id, model, embedding,
                                                  source_digest)
        SELECT n.tenant_id, n.id, n.model, n.embedding, md5(e.embedding::text)::uuid
          FROM cogdb.entities n
          JOIN cogdb.entity_embeddings e
            ON e.tenant_id = v_tenant AND e.entity_id = n.id AND e.model = to_model
         WHERE n.tenant_id = v_tenant AND n.model = v_row.from_model
           AND (CASE WHEN v_user IS NULL THEN n.visibility = 'tenant'
                     ELSE n.visibility = 'private' AND n.owner_user_id = v_user END)
           AND (n.id = ANY (v_ids)) IS TRUE
        ON CONFLICT ON CONSTRAINT entity_embeddings_pkey
        DO UPDATE SET embedding = EXCLUDED.embedding, source_digest = EXCLUDED.source_digest,
                      embedded_at = EXCLUDED.embedded_at;
        UPDATE cogdb.entities n
           SET model = to_model, embedding = e.embedding
          FROM cogdb.entity_embeddings e
         WHERE n.tenant_id = v_tenant AND n.model = v_row.from_model
           AND (CASE WHEN v_user IS NULL THEN n.visibility = 'tenant'
                     ELSE n.visibility = 'private' AND n.owner_user_id = v_user END)
           AND e.tenant_id = v_tenant AND e.entity_id = n.id AND e.model = to_model
           AND (n.id = ANY (v_ids)) IS TRUE;
        GET DIAGNOSTICS v_step = ROW_COUNT;
        v_swapped := v_swapped + v_step;
    END LOOP;
    PERFORM cogdb.enter_tenant(v_tenant);
    IF v_swapped <> v_entities THEN
        RAISE EXCEPTION 'cutover refused: % of % entities of model % could not be switched',
                        v_entities - v_swapped, v_entities, quote_literal(v_row.from_model)
            USING ERRCODE = 'CGM01', COLUMN = 'to_model',
                  HINT = 'Nothing was changed. `cogdb audit policies` reports policy changes that could hide rows from the owner.';
    END IF;
    DELETE FROM cogdb.entity_embeddings e WHERE e.tenant_id = v_tenant AND e.model = to_model;
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
        'entities', v_swapped, 'settling', v_settles));
    PERFORM cogdb.restore_context(v_saved);
    RETURN NEXT v_row;
END
$$;

REVOKE ALL ON FUNCTION cogdb.cut_over_model_migration(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.cut_over_model_migration(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.cut_over_model_migration(text, text) IS
    'The cutover of a model migration, one transaction: refuses (CGM01) unless every memory and entity of the old model has its new vector; then swaps the vectors and makes the new model the tenant''s default.';
-- <<< sql/functions/models/cut_over_model_migration.sql

-- >>> sql/functions/models/settle_model_migration.sql
-- One step of settling a migration whose cutover only made to_model the tenant's default
-- (docs/scale-out.md "Re-embedding without downtime"): in one short transaction, at most
-- `batch` memories of from_model that have a vector of to_model in memory_embeddings take it
-- (their old vector goes into memory_embeddings, as the swap of cut_over_model_migration
-- does; an anonymised memory takes the fixed unit vector), and those side rows of to_model
-- are deleted in the same transaction, so in any snapshot each memory is in exactly one of
-- the two places search reads (search_tenant's settling path) and recall stays full. The
-- memories are locked FOR UPDATE (a write to one of them waits for this batch, not for the
-- migration) and updated through cogdb.memories in each owner's context (its triggers count,
-- index and audit them; an update of the vector only re-indexes no text). When none is left,
-- the migration becomes phase cut_over and drop_index names the side index for the caller
-- to drop CONCURRENTLY (search stops reading it when nothing is left in it). Called again
-- after that, it changes nothing and names the index again (a run killed before the drop).
-- Before it ends the settle, it waits for the tenant's open transactions (its gate, taken
-- exclusively for a moment) and counts again, so a write of from_model begun before the cutover and
-- committed after the last batch is settled too (revision 0030).
-- Each memory of a batch reads its new vector by a primary-key probe of the side table (a
-- sub-select per row, revision 0032), not through a join: with one row estimated for the
-- tenant (no statistics on tenant_id), the planner joined the batch to all of the tenant's
-- side rows in a nested loop that compared every pair, so a batch cost its size times the
-- memories left to settle (bench/RESULTS.md, revision 0032).
-- A memory of from_model without a vector of to_model (written with an explicit model after
-- the cutover) keeps from_model, as after a cutover that swaps. CGN01 when the tenant has no
-- settling or settled migration to to_model. Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.settle_model_migration(tenant_id text, to_model text,
                                                        batch integer DEFAULT 1000)
    RETURNS TABLE (phase text, settled bigint, remaining bigint, drop_index text)
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
    v_ids text[];
    v_owner uuid;
    v_step bigint;
    v_left text;  -- counts the memories left to settle
BEGIN
    IF batch IS NULL OR batch NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'batch must be between 1 and 100000, got %', coalesce(batch::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'batch',
                  HINT = 'How many memories one transaction settles; 1000 is a good start.';
    END IF;
    SELECT g.* INTO v_row FROM cogdb.model_migrations g
     WHERE g.tenant_id = v_tenant AND g.to_model = to_model AND g.phase = 'settling'
       FOR UPDATE;
    IF NOT FOUND THEN
        SELECT g.* INTO v_row FROM cogdb.model_migrations g
         WHERE g.tenant_id = v_tenant AND g.to_model = to_model
           AND g.phase IN ('cut_over', 'cleaned')
         ORDER BY g.id DESC LIMIT 1;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'tenant % has no migration to model % that is settling', v_tenant,
                            coalesce(quote_literal(to_model), 'NULL')
                USING ERRCODE = 'CGN01', COLUMN = 'to_model',
                      HINT = '`cogdb model migrations` lists them; `cogdb model migrate` cuts over and settles.';
        END IF;
        phase := v_row.phase;
        settled := 0;
        remaining := 0;
        drop_index := CASE WHEN to_regclass(format('cogdb.%I',
                                   cogdb.settle_index_name(v_tenant, to_model))) IS NOT NULL
                           THEN cogdb.settle_index_name(v_tenant, to_model) END;
        RETURN NEXT;
        RETURN;
    END IF;
    v_part := cogdb.memories_partition(v_tenant);
    v_saved := cogdb.enter_tenant(v_tenant);
    EXECUTE format('SELECT array_agg(s.id) FROM (SELECT m.id FROM cogdb.%I m'
                   '  WHERE m.tenant_id = %L::uuid AND m.model = $1'
                   '    AND EXISTS (SELECT FROM cogdb.memory_embeddings e'
                   '                 WHERE e.tenant_id = %L::uuid AND e.memory_id = m.id'
                   '                   AND e.model = $2)'
                   '  ORDER BY m.id LIMIT $3 FOR UPDATE OF m) s',
                   v_part, v_tenant, v_tenant)
       INTO v_ids USING v_row.from_model, to_model, batch;
    settled := 0;
    IF v_ids IS NOT NULL THEN
        -- Keep the old vectors (a leftover of an earlier migration back is overwritten).
        -- Read from the partition, as the owner: every user's memories, private ones too.
        EXECUTE format('INSERT INTO cogdb.memory_embeddings AS e (tenant_id, memory_id, model,'
                       ' embedding) SELECT m.tenant_id, m.id, m.model, m.embedding'
                       ' FROM cogdb.%I m WHERE m.tenant_id = %L::uuid AND m.id = ANY ($1)'
                       ' AND m.model = $2 ON CONFLICT ON CONSTRAINT memory_embeddings_pkey'
                       ' DO UPDATE SET embedding = EXCLUDED.embedding,'
                       ' embedded_at = EXCLUDED.embedded_at', v_part, v_tenant)
          USING v_ids, v_row.from_model;
        FOR v_owner IN EXECUTE format('SELECT DISTINCT m.owner_user_id FROM cogdb.%I m'
                                      ' WHERE m.tenant_id = %L::uuid AND m.id = ANY ($1)',
                                      v_part, v_tenant) USING v_ids
        LOOP
            PERFORM set_config('app.user_id', coalesce(v_owner::text, ''), true);
            UPDATE cogdb.memories m
               SET model = to_model,
                   embedding = (SELECT CASE WHEN m.anonymised_at IS NULL THEN e.embedding
                                            ELSE ('[1' || repeat(',0', public.vector_dims(e.embedding) - 1)
                                                  || ']')::public.vector END
                                  FROM cogdb.memory_embeddings e
                                 WHERE e.tenant_id = v_tenant AND e.memory_id = m.id
                                   AND e.model = to_model)
             WHERE m.tenant_id = v_tenant AND m.id = ANY (v_ids)
               AND m.model = v_row.from_model
               AND m.owner_user_id IS NOT DISTINCT FROM v_owner
               AND EXISTS (SELECT FROM cogdb.memory_embeddings e
                            WHERE e.tenant_id = v_tenant AND e.memory_id = m.id
                              AND e.model = to_model
                           OFFSET 0);  -- a probe per row, never a join (as above)
            GET DIAGNOSTICS v_step = ROW_COUNT;
            settled := settled + v_step;
        END LOOP;
        PERFORM set_config('app.user_id', '', true);
        IF settled <> cardinality(v_ids) THEN
            RAISE EXCEPTION 'settle refused: % of % memories of model % could not be switched',
                            cardinality(v_ids) - settled, cardinality(v_ids),
                            quote_literal(v_row.from_model)
                USING ERRCODE = 'CGM01', COLUMN = 'to_model',
                      HINT = 'Nothing was changed. `cogdb audit policies` reports policy changes that could hide rows from the owner.';
        END IF;
        DELETE FROM cogdb.memory_embeddings e
         WHERE e.tenant_id = v_tenant AND e.model = to_model AND e.memory_id = ANY (v_ids);
    END IF;
    v_left := format('SELECT count(*) FROM cogdb.%I m WHERE m.tenant_id = %L::uuid AND m.model = $1'
                     ' AND EXISTS (SELECT FROM cogdb.memory_embeddings e'
                     '  WHERE e.tenant_id = %L::uuid AND e.memory_id = m.id AND e.model = $2)',
                     v_part, v_tenant, v_tenant);
    EXECUTE v_left INTO remaining USING v_row.from_model, to_model;
    IF remaining = 0 THEN
        -- The end, where no memory of the old model may arrive behind it: a write whose
        -- statement resolved from_model before the cutover committed can still be open, its
        -- memory invisible to this snapshot. The tenant's gate, taken exclusively (every
        -- transaction of the tenant holds it shared from set_context on), waits for the
        -- tenant's open transactions and holds its new ones for the rest of this short
        -- transaction; other tenants never wait, nor make it wait (a lock on the partition
        -- would wait for any tenant's statement that locked every partition); then count
        -- again, in a new snapshot: what arrived settles in the next batch (revision 0030).
        PERFORM cogdb.close_tenant_gate(v_tenant);  -- (revision 0031: without a queue first)
        EXECUTE v_left INTO remaining USING v_row.from_model, to_model;
    END IF;
    IF remaining = 0 THEN
        -- Side rows of to_model whose memory is of to_model already cannot be left (each
        -- batch deletes its own; remember_embeddings takes none after the cutover); any other
        -- leftover belongs to the migration and goes with it.
        DELETE FROM cogdb.memory_embeddings e WHERE e.tenant_id = v_tenant AND e.model = to_model;
        UPDATE cogdb.model_migrations g
           SET phase = 'cut_over'
         WHERE g.tenant_id = v_tenant AND g.id = v_row.id
        RETURNING g.* INTO v_row;
        PERFORM cogdb.audit_note('model.settled', jsonb_build_object(
            'from_model', v_row.from_model, 'to_model', to_model));
        drop_index := cogdb.settle_index_name(v_tenant, to_model);
    END IF;
    IF settled > 0 THEN
        PERFORM cogdb.audit_note('model.settle', jsonb_build_object(
            'from_model', v_row.from_model, 'to_model', to_model, 'memories', settled));
    END IF;
    phase := v_row.phase;
    PERFORM cogdb.restore_context(v_saved);
    RETURN NEXT;
END
$$;

REVOKE ALL ON FUNCTION cogdb.settle_model_migration(text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.settle_model_migration(text, text, integer) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.settle_model_migration(text, text, integer) IS
    'One short transaction of settling a migration whose cutover only flipped the default model: at most batch memories take their new vector; phase cut_over when none is left (drop_index: the side index to drop).';
-- <<< sql/functions/models/settle_model_migration.sql

RESET ROLE;
