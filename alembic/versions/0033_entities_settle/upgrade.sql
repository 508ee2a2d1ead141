-- cogdb revision 0033 (entities_settle): written by `python -m tools.freeze 0033` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> sql/functions/models/swap_entity_vectors.sql
-- The entities' half of a model migration's swap, for the cutover (all the entities it
-- locked) and, since revision 0033, the settle (one batch): each entity of `ids` that is of
-- from_model keeps its old vector in entity_embeddings (with the digest of the embedding it
-- gives way to, so a migration back can use it) and takes its vector of to_model. An entity
-- is visible to the owner per user (entities__visible_to_user), so it runs in each context of
-- `contexts` in turn: NULL for the tenant-visible entities (the tenant's context without a
-- user), an owner's id for that owner's private ones; it ends in the tenant's context. The
-- ids are kept to with a filter, `(… = ANY (ids)) IS TRUE`, not an index condition, and each
-- entity's new vector is a primary-key probe of the side table (a sub-select per row, OFFSET
-- 0), never a join: with one row estimated for the tenant's entities (no statistics on
-- tenant_id), the planner ran the list as the index condition of a primary-key probe
-- repeated for every new vector (revision 0032), and joined a batch to every side row left
-- in a nested loop (the review of 0033): both quadratic. Returns how many entities it switched;
-- the caller compares that with what it locked and deletes the side rows of to_model.
-- Invoker: called by the definers cut_over_model_migration and settle_model_migration.
CREATE OR REPLACE FUNCTION cogdb.swap_entity_vectors(tenant_id uuid, from_model text,
                                                     to_model text, ids text[],
                                                     contexts uuid[])
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_user uuid;
    v_step bigint;
    v_swapped bigint := 0;
BEGIN
    FOREACH v_user IN ARRAY contexts LOOP
        PERFORM cogdb.enter_tenant(tenant_id, v_user);
        INSERT INTO cogdb.entity_embeddings AS k (tenant_id, entity_id, model, embedding,
                                                  source_digest)
        SELECT n.tenant_id, n.id, n.model, n.embedding, e.digest
          FROM cogdb.entities n
         CROSS JOIN LATERAL (SELECT md5(e.embedding::text)::uuid AS digest
                               FROM cogdb.entity_embeddings e
                              WHERE e.tenant_id = tenant_id AND e.entity_id = n.id
                                AND e.model = to_model
                             OFFSET 0) e
         WHERE n.tenant_id = tenant_id AND n.model = from_model
           AND (CASE WHEN v_user IS NULL THEN n.visibility = 'tenant'
                     ELSE n.visibility = 'private' AND n.owner_user_id = v_user END)
           AND (n.id = ANY (ids)) IS TRUE
        ON CONFLICT ON CONSTRAINT entity_embeddings_pkey
        DO UPDATE SET embedding = EXCLUDED.embedding, source_digest = EXCLUDED.source_digest,
                      embedded_at = EXCLUDED.embedded_at;
        UPDATE cogdb.entities n
           SET model = to_model,
               embedding = (SELECT e.embedding FROM cogdb.entity_embeddings e
                             WHERE e.tenant_id = tenant_id AND e.entity_id = n.id
                               AND e.model = to_model)
         WHERE n.tenant_id = tenant_id AND n.model = from_model
           AND (CASE WHEN v_user IS NULL THEN n.visibility = 'tenant'
                     ELSE n.visibility = 'private' AND n.owner_user_id = v_user END)
           AND (n.id = ANY (ids)) IS TRUE
           AND EXISTS (SELECT FROM cogdb.entity_embeddings e
                        WHERE e.tenant_id = tenant_id AND e.entity_id = n.id
                          AND e.model = to_model
                       OFFSET 0);
        GET DIAGNOSTICS v_step = ROW_COUNT;
        v_swapped := v_swapped + v_step;
    END LOOP;
    PERFORM cogdb.enter_tenant(tenant_id);
    RETURN v_swapped;
END
$$;

REVOKE ALL ON FUNCTION cogdb.swap_entity_vectors(uuid, text, text, text[], uuid[]) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.swap_entity_vectors(uuid, text, text, text[], uuid[]) IS
    'A model migration''s swap of the given entities'' vectors, in each context that sees them: the old vectors kept, the new ones taken; returns how many switched.';
-- <<< sql/functions/models/swap_entity_vectors.sql

-- >>> sql/functions/models/entities_to_settle.sql
-- How many entities of a settling migration's from_model still have a current vector of
-- to_model in entity_embeddings (its digest is that of the entity's embedding now): what
-- settle_model_migration has left to move (revision 0033). An entity whose embedding
-- changed since (an upsert with an embedding of from_model) has no current vector and keeps
-- from_model, as a memory written with an explicit model after the cutover does. Counted in
-- each context that sees the entities (the tenant's, then each owner of private ones:
-- private_entity_owners); ends in the tenant's context. Invoker: called by the definer
-- settle_model_migration.
CREATE OR REPLACE FUNCTION cogdb.entities_to_settle(tenant_id uuid, from_model text,
                                                    to_model text)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_user uuid;
    v_step bigint;
    v_left bigint := 0;
BEGIN
    FOREACH v_user IN ARRAY array_prepend(NULL::uuid, cogdb.private_entity_owners(tenant_id))
    LOOP
        PERFORM cogdb.enter_tenant(tenant_id, v_user);
        SELECT count(*) INTO v_step
          FROM cogdb.entities n
         WHERE n.tenant_id = tenant_id AND n.model = from_model
           AND (CASE WHEN v_user IS NULL THEN n.visibility = 'tenant'
                     ELSE n.visibility = 'private' AND n.owner_user_id = v_user END)
           AND EXISTS (SELECT FROM cogdb.entity_embeddings e
                        WHERE e.tenant_id = tenant_id AND e.entity_id = n.id
                          AND e.model = to_model
                          AND e.source_digest = md5(n.embedding::text)::uuid
                       OFFSET 0);
        v_left := v_left + v_step;
    END LOOP;
    PERFORM cogdb.enter_tenant(tenant_id);
    RETURN v_left;
END
$$;

REVOKE ALL ON FUNCTION cogdb.entities_to_settle(uuid, text, text) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.entities_to_settle(uuid, text, text) IS
    'How many entities of a settling migration''s old model still have a current vector of the new one: what the settle has left to move.';
-- <<< sql/functions/models/entities_to_settle.sql

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
-- <<< sql/functions/models/cut_over_model_migration.sql

-- >>> sql/functions/models/settle_model_migration.sql
-- One step of settling a migration whose cutover only made to_model the tenant's default
-- (docs/scale-out.md "Re-embedding without downtime"). Memories first, then entities
-- (revision 0033: the batch is entities once no memory is left; `settled` counts either,
-- `remaining` the memories left, and the entities left once no memory is). In one short transaction, at most
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
    v_user uuid;
    v_eids text[] := '{}';
    v_ectx uuid[] := '{}';
    v_step_ids text[];
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
    IF v_ids IS NULL THEN
        -- No memory left to move: a batch of entities (revision 0033; the settling cutover
        -- leaves them), those of from_model whose vector of to_model is current, locked
        -- FOR UPDATE in each context that sees them (an upsert of one waits for this batch),
        -- moved by swap_entity_vectors as the cutover moves them, their side rows of
        -- to_model deleted in the same transaction: hybrid search reads each in one place.
        FOREACH v_user IN ARRAY array_prepend(NULL::uuid, cogdb.private_entity_owners(v_tenant))
        LOOP
            EXIT WHEN cardinality(v_eids) >= batch;
            PERFORM cogdb.enter_tenant(v_tenant, v_user);
            SELECT array_agg(x.id) INTO v_step_ids
              FROM (SELECT n.id FROM cogdb.entities n
                     WHERE n.tenant_id = v_tenant AND n.model = v_row.from_model
                       AND (CASE WHEN v_user IS NULL THEN n.visibility = 'tenant'
                                 ELSE n.visibility = 'private' AND n.owner_user_id = v_user END)
                       AND EXISTS (SELECT FROM cogdb.entity_embeddings e
                                    WHERE e.tenant_id = v_tenant AND e.entity_id = n.id
                                      AND e.model = to_model
                                      AND e.source_digest = md5(n.embedding::text)::uuid
                                   OFFSET 0)
                     ORDER BY n.id LIMIT batch - cardinality(v_eids)
                       FOR UPDATE OF n) x;
            IF v_step_ids IS NOT NULL THEN
                v_eids := v_eids || v_step_ids;
                v_ectx := array_append(v_ectx, v_user);
            END IF;
        END LOOP;
        PERFORM cogdb.enter_tenant(v_tenant);
        IF cardinality(v_eids) > 0 THEN
            v_step := cogdb.swap_entity_vectors(v_tenant, v_row.from_model, to_model, v_eids,
                                                v_ectx);
            IF v_step <> cardinality(v_eids) THEN
                RAISE EXCEPTION 'settle refused: % of % entities of model % could not be switched',
                                cardinality(v_eids) - v_step, cardinality(v_eids),
                                quote_literal(v_row.from_model)
                    USING ERRCODE = 'CGM01', COLUMN = 'to_model',
                          HINT = 'Nothing was changed. `cogdb audit policies` reports policy changes that could hide rows from the owner.';
            END IF;
            DELETE FROM cogdb.entity_embeddings e
             WHERE e.tenant_id = v_tenant AND e.model = to_model AND e.entity_id = ANY (v_eids);
            settled := v_step;
        END IF;
    END IF;
    v_left := format('SELECT count(*) FROM cogdb.%I m WHERE m.tenant_id = %L::uuid AND m.model = $1'
                     ' AND EXISTS (SELECT FROM cogdb.memory_embeddings e'
                     '  WHERE e.tenant_id = %L::uuid AND e.memory_id = m.id AND e.model = $2)',
                     v_part, v_tenant, v_tenant);
    EXECUTE v_left INTO remaining USING v_row.from_model, to_model;
    IF remaining = 0 THEN  -- the entities are counted once no memory is left
        remaining := cogdb.entities_to_settle(v_tenant, v_row.from_model, to_model);
    END IF;
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
        IF remaining = 0 THEN
            remaining := cogdb.entities_to_settle(v_tenant, v_row.from_model, to_model);
        END IF;
    END IF;
    IF remaining = 0 THEN
        -- Side rows of to_model whose memory is of to_model already cannot be left (each
        -- batch deletes its own; remember_embeddings takes none after the cutover); any other
        -- leftover belongs to the migration and goes with it.
        DELETE FROM cogdb.memory_embeddings e WHERE e.tenant_id = v_tenant AND e.model = to_model;
        -- An entity whose embedding changed after the cutover (its side row no longer
        -- current) keeps from_model; its stale side row goes with the migration.
        DELETE FROM cogdb.entity_embeddings e WHERE e.tenant_id = v_tenant AND e.model = to_model;
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
            'from_model', v_row.from_model, 'to_model', to_model,
            'memories', CASE WHEN v_ids IS NULL THEN 0 ELSE settled END,
            'entities', CASE WHEN v_ids IS NULL THEN settled ELSE 0 END));
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

-- >>> sql/functions/knowledge/hybrid_search.sql
-- Hybrid search: full-text and vector ranking fused by reciprocal rank fusion (RRF), over the
-- memories, entity names and observations the caller may see. Returns the k best, best first
-- (ties by kind, then id), with the score, each half's rank (NULL where a half did not find
-- the node), the cosine similarity and the text rank, and the node's display fields (a
-- memory's, or an entity's name and type; the other kind's are NULL).
--
--   score = text_weight / (rrf_k + text rank) + vector_weight / (rrf_k + vector rank)
--
-- query_text alone runs the text half, query_vector alone the vector half, both run both.
-- The text half: cogdb.text_query (web-search syntax, the tenant's search.language, words
-- OR-ed) against the owner-only text index through cogdb.text_candidates, joined back to
-- memories and entities under their policies and the filters. The vector half: cogdb.search
-- itself for memories (its plan, exact or the tenant's ANN index, is in `plan`) and an exact
-- scan of the entities that have an embedding of the same model (while a model migration of
-- the tenant settles onto that model, also of the entities not moved yet, through their
-- current vector of it in entity_embeddings: revision 0033). Each half contributes its
-- best `candidates` (default 50, at least k, at most 1000); with filters the text half
-- fetches four times as many before filtering.
-- Filters are search's; they narrow memories. Entities have no conversation, source, context
-- type, tags or metadata: any of those filters leaves entities out; owner and visibility
-- apply to them, created_after/before to their first_seen. include_entities => false leaves
-- them out. Every row carries tenant_id, the tenant the node lives in. Reads only (but for
-- the audit note below); no context, no rows.
--
-- include_shared => true adds what the live grants the context holds share with it: the text
-- half also runs in each source tenant (shared_text_candidates: the same matching, over the
-- rows a grant covers only), the vector half searches each source's memories on its own
-- (search_tenant, as search(include_shared) does) and the covered entities, and nodes are
-- told apart by (kind, tenant, id). The request lasts for this call only (share_request(true),
-- then share_request(false)); each source tenant whose nodes are returned gets a note in its
-- audit chain (note_shared_read: how many memories and entities, never which). Every
-- statement names its tenants (docs/conventions.md rule 3).
CREATE OR REPLACE FUNCTION cogdb.hybrid_search(query_text text DEFAULT NULL,
                                               query_vector public.vector DEFAULT NULL,
                                               k integer DEFAULT 10,
                                               model text DEFAULT NULL,
                                               only_conversation text DEFAULT NULL,
                                               only_source text DEFAULT NULL,
                                               only_context_type text DEFAULT NULL,
                                               tags_any text[] DEFAULT NULL,
                                               created_after timestamptz DEFAULT NULL,
                                               created_before timestamptz DEFAULT NULL,
                                               only_owner uuid DEFAULT NULL,
                                               only_visibility text DEFAULT NULL,
                                               ef_search integer DEFAULT NULL,
                                               metadata_filter jsonb DEFAULT NULL,
                                               rrf_k integer DEFAULT 60,
                                               text_weight double precision DEFAULT 1,
                                               vector_weight double precision DEFAULT 1,
                                               candidates integer DEFAULT 50,
                                               include_entities boolean DEFAULT true,
                                               include_shared boolean DEFAULT false)
    RETURNS TABLE (kind text, id text, score double precision, text_rank integer,
                   vector_rank integer, similarity double precision, text_score real,
                   name text, entity_type text, conversation_id text, human_content text,
                   assistant_content text, summary text, context_type text, source text,
                   created_at timestamptz, visibility text, owner_user_id uuid, tags jsonb,
                   metadata jsonb, plan text, tenant_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_max_k integer := cogdb.int_setting('search.max_k');
    v_text tsquery;
    v_use_text boolean;
    v_use_vector boolean := query_vector IS NOT NULL AND vector_weight > 0;
    v_cand integer;
    v_text_fetch integer;
    v_model text;
    v_entities boolean;
    v_filtered boolean;
    v_plan text;
    v_tenant uuid := cogdb.current_tenant_id();
    v_tenants uuid[];
    v_asked boolean := false;
    v_tkind text[] := '{}';
    v_ttenant uuid[] := '{}';
    v_tid text[] := '{}';
    v_trank real[] := '{}';
    v_keep text[];
    v_mids text[] := '{}';
    v_vid text[] := '{}';
    v_vtenant uuid[] := '{}';
    v_vsim double precision[] := '{}';
    v_vplan text;
    v_default text;
    v_side regclass;
    v_entity_side boolean := false;   -- entities of the tenant settling onto v_model
    v_entity_none boolean := false;   -- v_model is not the model the tenant settles onto
BEGIN
    IF v_tenant IS NULL THEN
        RETURN;  -- no context: nothing is visible
    END IF;
    IF k IS NULL OR k NOT BETWEEN 1 AND v_max_k THEN
        RAISE EXCEPTION 'k must be between 1 and %, got %', v_max_k, coalesce(k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'k',
                  HINT = 'k is how many results to return; the maximum is settings.search.max_k.';
    END IF;
    IF rrf_k IS NULL OR rrf_k < 1 THEN
        RAISE EXCEPTION 'rrf_k must be at least 1, got %', coalesce(rrf_k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'rrf_k',
                  HINT = 'The fusion constant; 60 is the usual value. Larger flattens the ranks.';
    END IF;
    IF text_weight IS NULL OR vector_weight IS NULL OR text_weight < 0 OR vector_weight < 0
       OR text_weight = 'NaN' OR vector_weight = 'NaN' THEN
        RAISE EXCEPTION 'text_weight and vector_weight must be numbers >= 0'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN text_weight IS NULL OR NOT text_weight >= 0 OR text_weight = 'NaN'
                                THEN 'text_weight' ELSE 'vector_weight' END,
                  HINT = 'Both default to 1; 0 turns a half off.';
    END IF;
    IF candidates IS NULL OR candidates NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'candidates must be between 1 and 1000, got %', coalesce(candidates::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'candidates',
                  HINT = 'How many results each half contributes to the fusion (default 50).';
    END IF;
    IF only_visibility IS NOT NULL AND NOT only_visibility = ANY (cogdb.allowed_values('visibility')) THEN
        RAISE EXCEPTION 'only_visibility must be private or tenant, got %', quote_literal(only_visibility)
            USING ERRCODE = 'CGV01', COLUMN = 'only_visibility',
                  HINT = 'Leave it out to search everything the context may see.';
    END IF;
    IF nullif(btrim(query_text), '') IS NULL AND query_vector IS NULL THEN
        RAISE EXCEPTION 'hybrid search needs query_text, query_vector or both'
            USING ERRCODE = 'CGV01', COLUMN = 'query_text',
                  HINT = 'Pass the text (full-text half) and its embedding (vector half).';
    END IF;
    IF text_weight = 0 AND vector_weight = 0 THEN
        RAISE EXCEPTION 'text_weight and vector_weight are both 0: nothing would rank'
            USING ERRCODE = 'CGV01', COLUMN = 'text_weight', HINT = 'Leave them out for 1 each.';
    END IF;
    IF nullif(btrim(query_text), '') IS NOT NULL AND text_weight > 0 THEN
        v_text := cogdb.text_query(query_text);
    END IF;
    v_use_text := v_text IS NOT NULL AND numnode(v_text) > 0;
    v_cand := greatest(candidates, k);
    v_filtered := NOT (only_conversation IS NULL AND only_source IS NULL
                       AND only_context_type IS NULL AND tags_any IS NULL
                       AND created_after IS NULL AND created_before IS NULL
                       AND only_owner IS NULL AND only_visibility IS NULL
                       AND (metadata_filter IS NULL OR metadata_filter = '{}'::jsonb));
    v_text_fetch := CASE WHEN v_filtered THEN least(1000, v_cand * 4) ELSE v_cand END;
    v_entities := coalesce(include_entities, true) AND only_conversation IS NULL
                  AND only_source IS NULL AND only_context_type IS NULL AND tags_any IS NULL
                  AND (metadata_filter IS NULL OR metadata_filter = '{}'::jsonb);
    IF v_use_vector THEN
        v_model := (cogdb.resolve_model(hybrid_search.model)).name;
        PERFORM cogdb.check_vector(query_vector, 'query_vector');
        -- A migration of the tenant settling onto its default model (revision 0033; the
        -- rule search_tenant follows for memories): the entities not moved yet keep the old
        -- model, with their current vector of the default in entity_embeddings, so the
        -- entity half reads both places; an explicit search of another model finds no
        -- entity, never a part of them. Catalog cache lookups, no query, for every other
        -- tenant.
        v_default := CASE WHEN hybrid_search.model IS NULL THEN v_model
                          ELSE (cogdb.resolve_model(NULL)).name END;
        v_side := to_regclass('cogdb.' || cogdb.settle_index_name(v_tenant, v_default));
        IF v_side IS NOT NULL AND v_model <> v_default THEN
            v_entity_none := true;
        ELSIF v_side IS NOT NULL THEN
            v_entity_side := coalesce((SELECT i.indisvalid FROM pg_index i
                                        WHERE i.indexrelid = v_side), false);
        END IF;
    END IF;
    v_plan := concat_ws('+', CASE WHEN v_use_text THEN 'text' END,
                        CASE WHEN v_use_vector THEN 'vector' END);
    v_tenants := ARRAY[v_tenant];
    IF include_shared IS TRUE THEN
        v_tenants := v_tenant || cogdb.share_request(true);
        v_asked := true;
    END IF;

    -- The text half: candidates from the text index (ids and ranks of the context's visible
    -- rows), then only the memories that pass the filters. Static statements (their plans are
    -- kept); the filters need dynamic SQL only when some are given.
    IF v_use_text THEN
        SELECT coalesce(array_agg(c.kind), '{}'), coalesce(array_agg(c.id), '{}'),
               coalesce(array_agg(c.rank), '{}'), coalesce(array_agg(c.tenant), '{}')
          INTO v_tkind, v_tid, v_trank, v_ttenant
          FROM (SELECT o.kind, o.id, o.rank, v_tenant AS tenant
                  FROM cogdb.text_candidates(v_text, v_text_fetch) o
                UNION ALL
                SELECT s.kind, s.id, s.rank, s.tenant_id
                  FROM cogdb.shared_text_candidates(v_text, v_text_fetch) s
                 WHERE v_asked) c;
        v_mids := ARRAY(SELECT u.id FROM unnest(v_tkind, v_tid) AS u(kind, id)
                         WHERE u.kind = 'memory');
        IF v_filtered THEN
            -- The filtered memories' keys ('<tenant>/<id>'): ids can repeat across tenants.
            EXECUTE 'SELECT coalesce(array_agg(m.tenant_id::text || ''/'' || m.id), ''{}'')'
                    ' FROM cogdb.memories m WHERE m.id = ANY ($1) AND m.tenant_id = ANY ($2)'
                    || cogdb.memory_filters_sql(3, metadata_filter)
               INTO v_keep
              USING v_mids, v_tenants, only_conversation, only_source, only_context_type,
                    tags_any, created_after, created_before, only_owner, only_visibility;
        END IF;
    END IF;
    -- The vector half: search's own search, each tenant on its own (search_tenant, as
    -- search does: each keeps its partition, ANN index and recall), the best v_cand of all.
    IF v_use_vector THEN
        SELECT coalesce(array_agg(s.id ORDER BY s.similarity DESC, s.id, s.tenant), '{}'),
               coalesce(array_agg(s.similarity ORDER BY s.similarity DESC, s.id, s.tenant), '{}'),
               coalesce(array_agg(s.tenant ORDER BY s.similarity DESC, s.id, s.tenant), '{}'),
               min(s.plan)
          INTO v_vid, v_vsim, v_vtenant, v_vplan
          FROM (SELECT h.id, h.similarity, h.plan, t.tenant
                  FROM unnest(v_tenants) AS t(tenant),
                       LATERAL cogdb.search_tenant(t.tenant, query_vector, v_cand, v_model,
                                                   only_conversation, only_source,
                                                   only_context_type, tags_any, created_after,
                                                   created_before, only_owner, only_visibility,
                                                   ef_search, metadata_filter) h
                 ORDER BY h.similarity DESC, h.id, t.tenant
                 LIMIT v_cand) s;
    END IF;

    RETURN QUERY
    WITH cand AS MATERIALIZED (
        -- Every candidate memory of both halves the caller sees (under the memories'
        -- policies), read in one statement and used twice: to keep the text half's visible,
        -- unexpired memories and to show the fused ones. By id under the fence only, so
        -- that each partition is read through its primary key, once for all the ids. With
        -- the tenant in the index condition (one lookup per id, or `tenant_id = t`), the
        -- planner took a (tenant, ...) index and read all of the tenant's rows per lookup:
        -- without statistics on tenant_id (docs/trust-model.md) it deems the fence and the
        -- tenant together to leave one row (bench/RESULTS.md, Knowledge). The tenants are
        -- still named, as a filter the index cannot use (IS TRUE); the joins below match
        -- tenant and id.
        SELECT m.tenant_id, m.id, m.conversation_id, m.human_content, m.assistant_content,
               m.summary, m.context_type, m.source, m.created_at, m.visibility,
               m.owner_user_id, m.tags, m.metadata, m.expires_at
          FROM cogdb.memories m
         WHERE m.id = ANY (v_mids || v_vid) AND (m.tenant_id = ANY (v_tenants)) IS TRUE
    ), text_hits AS (
        SELECT u.kind, u.tenant, u.id, u.rank
          FROM unnest(v_tkind, v_ttenant, v_tid, v_trank) AS u(kind, tenant, id, rank)
         WHERE (u.kind = 'memory'
                AND (NOT v_filtered OR u.tenant::text || '/' || u.id = ANY (v_keep))
                AND EXISTS (SELECT FROM cand m
                             WHERE m.tenant_id = u.tenant AND m.id = u.id
                               AND (m.expires_at IS NULL OR m.expires_at > now())))
            OR (u.kind = 'entity' AND v_entities
                AND EXISTS (SELECT FROM cogdb.entities e
                             WHERE e.tenant_id = u.tenant AND e.id = u.id
                               AND e.merged_into IS NULL
                               AND (only_owner IS NULL OR e.owner_user_id = only_owner)
                               AND (only_visibility IS NULL OR e.visibility = only_visibility)
                               AND (created_after IS NULL OR e.first_seen >= created_after)
                               AND (created_before IS NULL OR e.first_seen < created_before)))
    ), text_ranked AS (
        SELECT t.kind, t.tenant, t.id, t.rank,
               row_number() OVER (ORDER BY t.rank DESC, t.kind, t.id, t.tenant) AS pos
          FROM text_hits t
         ORDER BY t.rank DESC, t.kind, t.id, t.tenant
         LIMIT v_cand
    ), vector_hits AS (
        SELECT 'memory' AS kind, u.tenant, u.id, u.similarity
          FROM unnest(v_vid, v_vsim, v_vtenant) AS u(id, similarity, tenant)
        UNION ALL
        (SELECT 'entity', e.tenant_id, e.id, 1 - (e.embedding OPERATOR(public.<=>) query_vector)
           FROM cogdb.entities e
          WHERE v_use_vector AND v_entities AND e.tenant_id = ANY (v_tenants)
            AND (NOT v_entity_none OR e.tenant_id <> v_tenant)
            AND e.model = v_model AND e.embedding IS NOT NULL
            AND e.merged_into IS NULL
            AND (only_owner IS NULL OR e.owner_user_id = only_owner)
            AND (only_visibility IS NULL OR e.visibility = only_visibility)
            AND (created_after IS NULL OR e.first_seen >= created_after)
            AND (created_before IS NULL OR e.first_seen < created_before)
          ORDER BY e.embedding OPERATOR(public.<=>) query_vector, e.id, e.tenant_id
          LIMIT v_cand)
        UNION ALL
        -- The tenant's entities still of the old model while it settles: their current
        -- vector of v_model (its digest is that of the entity's embedding now), read under
        -- entity_embeddings' and entities' policies. The settle moves an entity and deletes
        -- its side row in one transaction, so each entity is in one of the two branches.
        -- Each entity's side vector is a primary-key probe (LATERAL … OFFSET 0): as a join,
        -- planned generic with one row estimated for the tenant, it read all the tenant's
        -- entities once per side row (the review of 0033: 2.7 s at 2,000 entities).
        (SELECT 'entity', e.tenant_id, e.id, 1 - (k.embedding OPERATOR(public.<=>) query_vector)
           FROM cogdb.entities e
          CROSS JOIN LATERAL (SELECT k.embedding FROM cogdb.entity_embeddings k
                               WHERE k.tenant_id = e.tenant_id AND k.entity_id = e.id
                                 AND k.model = v_model
                                 AND k.source_digest = md5(e.embedding::text)::uuid
                              OFFSET 0) k
          WHERE v_entity_side AND v_entities AND e.tenant_id = v_tenant
            AND e.model <> v_model AND e.embedding IS NOT NULL
            AND e.merged_into IS NULL
            AND (only_owner IS NULL OR e.owner_user_id = only_owner)
            AND (only_visibility IS NULL OR e.visibility = only_visibility)
            AND (created_after IS NULL OR e.first_seen >= created_after)
            AND (created_before IS NULL OR e.first_seen < created_before)
          ORDER BY k.embedding OPERATOR(public.<=>) query_vector, e.id
          LIMIT v_cand)
    ), vector_ranked AS (
        SELECT v.kind, v.tenant, v.id, v.similarity,
               row_number() OVER (ORDER BY v.similarity DESC, v.kind, v.id, v.tenant) AS pos
          FROM vector_hits v
    ), fused AS (
        SELECT coalesce(t.kind, v.kind) AS kind, coalesce(t.tenant, v.tenant) AS tenant,
               coalesce(t.id, v.id) AS id,
               coalesce(text_weight / (rrf_k + t.pos), 0)
               + coalesce(vector_weight / (rrf_k + v.pos), 0) AS score,
               t.pos AS tpos, v.pos AS vpos, v.similarity, t.rank
          FROM text_ranked t
          FULL JOIN vector_ranked v ON v.kind = t.kind AND v.tenant = t.tenant AND v.id = t.id
         ORDER BY 4 DESC, 1, 3, 2
         LIMIT k
    ), found AS MATERIALIZED (
        -- Joined back through the policies of memories and entities: only visible rows return.
        SELECT f.kind, f.id, f.score, f.tpos::integer AS tpos, f.vpos::integer AS vpos,
               f.similarity, f.rank, e.name, e.entity_type, m.conversation_id,
               m.human_content, m.assistant_content, m.summary, m.context_type, m.source,
               coalesce(m.created_at, e.first_seen) AS created_at,
               coalesce(m.visibility, e.visibility) AS visibility,
               coalesce(m.owner_user_id, e.owner_user_id) AS owner_user_id,
               m.tags, m.metadata, v_plan || coalesce(':' || v_vplan, '') AS plan, f.tenant
          FROM fused f
          LEFT JOIN cand m
                 ON f.kind = 'memory' AND m.tenant_id = f.tenant AND m.id = f.id
          LEFT JOIN cogdb.entities e
                 ON f.kind = 'entity' AND e.tenant_id = f.tenant AND e.id = f.id
         WHERE m.id IS NOT NULL OR e.id IS NOT NULL
    ), noted AS (
        SELECT cogdb.note_shared_read(x.tenant, 'hybrid_search',
                                      (count(*) FILTER (WHERE x.kind = 'memory'))::integer,
                                      (count(*) FILTER (WHERE x.kind = 'entity'))::integer)
          FROM found x WHERE v_asked AND x.tenant <> v_tenant GROUP BY x.tenant
    )
    SELECT x.* FROM found x
     WHERE (SELECT count(*) FROM noted) >= 0
     ORDER BY x.score DESC, x.kind, x.id, x.tenant;
    IF v_asked THEN
        PERFORM cogdb.share_request(false);
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean, boolean) IS
    'Full-text and vector ranking fused by reciprocal rank fusion over the memories, entity names and observations the caller may see, labelled with their tenant; include_shared adds what live grants share with the caller.';
-- <<< sql/functions/knowledge/hybrid_search.sql

RESET ROLE;
