-- cogdb revision 0027 (settle_cutover): written by `python -m tools.freeze 0027` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> step 10_settling.sql
-- Phase settling (docs/scale-out.md "Re-embedding without downtime"): the cutover of a
-- promoted tenant only makes the new model the default; the rows move afterwards, in small
-- transactions (settle_model_migration). A settling migration is still in progress: the
-- tenant starts no other one until it has settled.
ALTER TABLE cogdb.model_migrations DROP CONSTRAINT model_migrations_phase_check;
ALTER TABLE cogdb.model_migrations ADD CONSTRAINT model_migrations_phase_check
    CHECK (phase IN ('embedding', 'indexed', 'settling', 'cut_over', 'cleaned'));
DROP INDEX cogdb.model_migrations_one_in_progress_idx;
CREATE UNIQUE INDEX model_migrations_one_in_progress_idx ON cogdb.model_migrations (tenant_id)
    WHERE phase IN ('embedding', 'indexed', 'settling');
COMMENT ON TABLE cogdb.model_migrations IS
    'The state of each re-embedding of a tenant (cogdb model migrate): phase embedding, indexed, settling, cut_over or cleaned, and the keyset position of the last committed batch. Owner-only.';
-- <<< step 10_settling.sql

-- >>> sql/functions/models/settle_index_name.sql
-- The name of the HNSW index over one tenant's side vectors of one model in
-- cogdb.memory_embeddings, which search reads while a migration to that model settles
-- (docs/scale-out.md "Re-embedding without downtime"): memory_embeddings_ann_<24 hex>.
-- Deterministic, so search finds it by name (a catalog cache lookup); hashed, so names do not
-- spell out tenant ids; salted apart from ann_index_name.
CREATE OR REPLACE FUNCTION cogdb.settle_index_name(tenant_id uuid, model text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT 'memory_embeddings_ann_' || left(md5('side/' || tenant_id::text || '/' || model), 24) $$;

REVOKE ALL ON FUNCTION cogdb.settle_index_name(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.settle_index_name(uuid, text) TO cogdb_app, cogdb_admin;
COMMENT ON FUNCTION cogdb.settle_index_name(uuid, text) IS
    'The name of the HNSW index over one tenant''s side vectors of one model (memory_embeddings), read by search while a migration settles.';
-- <<< sql/functions/models/settle_index_name.sql

-- >>> sql/functions/models/model_migration_settles.sql
-- Whether a tenant's cutover to `to_model` only flips the default model and leaves the rows
-- to settle_model_migration (docs/scale-out.md "Re-embedding without downtime"): the tenant
-- has its own partition, and both indexes settle_index_steps names are valid (search reads
-- the side vectors and the new model's memories through them while the rows move).
-- Otherwise the cutover swaps the rows itself, in its transaction.
CREATE OR REPLACE FUNCTION cogdb.model_migration_settles(tenant_id uuid, to_model text)
    RETURNS boolean
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT cogdb.memories_partition(tenant_id) <> 'memories_default'
       AND coalesce((SELECT i.indisvalid FROM pg_index i
                      WHERE i.indexrelid = to_regclass(format('cogdb.%I',
                              cogdb.settle_index_name(tenant_id, to_model)))
                        AND i.indrelid = 'cogdb.memory_embeddings'::regclass), false)
       AND coalesce((SELECT i.indisvalid FROM pg_index i
                      WHERE i.indexrelid = to_regclass(format('cogdb.%I',
                              cogdb.ann_index_name(tenant_id, to_model)))
                        AND i.indrelid = to_regclass(format('cogdb.%I',
                              cogdb.partition_name(tenant_id)))), false)
$$;

REVOKE ALL ON FUNCTION cogdb.model_migration_settles(uuid, text) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.model_migration_settles(uuid, text) IS
    'Whether a tenant''s cutover only flips the default model (own partition, side and new-model indexes valid) and leaves the rows to settle.';
-- <<< sql/functions/models/model_migration_settles.sql

-- >>> sql/functions/models/settle_index_steps.sql
-- The index statements a tenant's migration to `to_model` needs before its cutover can only
-- flip the default model (docs/scale-out.md "Re-embedding without downtime"), in order, each
-- one statement to run in autocommit as cogdb_owner (`cogdb model migrate` runs them, as
-- `cogdb maintain` runs its plan): for a tenant whose own partition has a valid ANN index of
-- from_model (migration_index_missing: search reads it today), the HNSW index over the
-- tenant's side vectors of to_model (settle_index_name, partial on the tenant and the model)
-- and the index of to_model on the tenant's partition (ann_index_name: empty until rows
-- settle into it), both CONCURRENTLY, so neither blocks the tenant's writes. An index left
-- invalid by an interrupted build is dropped first. No rows: nothing to build (a tenant in
-- memories_default, or without an ANN index: its cutover swaps the rows itself), or both are
-- valid. Reads the catalog and the registry only; the migration itself is checked by
-- the cutover (model_migration_settles). Definer for cogdb_admin (model_migrations is
-- owner-only).
CREATE OR REPLACE FUNCTION cogdb.settle_index_steps(tenant_id text, to_model text)
    RETURNS TABLE (index_name text, statement text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_from text;
    v_dims integer;
    v_side text := cogdb.settle_index_name(v_tenant, to_model);
    v_main text := cogdb.ann_index_name(v_tenant, to_model);
    v_valid boolean;
BEGIN
    SELECT g.from_model INTO v_from FROM cogdb.model_migrations g
     WHERE g.tenant_id = v_tenant AND g.to_model = to_model
       AND g.phase IN ('embedding', 'indexed');
    SELECT m.dimensions INTO v_dims FROM cogdb.embedding_models m WHERE m.name = to_model;
    IF v_from IS NULL OR v_dims IS NULL
       OR NOT EXISTS (SELECT FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                       WHERE c.relname = cogdb.ann_index_name(v_tenant, v_from)
                         AND c.relnamespace = 'cogdb'::regnamespace AND i.indisvalid
                         AND i.indrelid = to_regclass(format('cogdb.%I',
                                                             cogdb.partition_name(v_tenant)))) THEN
        RETURN;
    END IF;
    SELECT i.indisvalid INTO v_valid FROM pg_index i
     WHERE i.indexrelid = to_regclass(format('cogdb.%I', v_side));
    IF v_valid IS FALSE THEN
        index_name := v_side;
        statement := format('DROP INDEX CONCURRENTLY IF EXISTS cogdb.%I', v_side);
        RETURN NEXT;
    END IF;
    IF v_valid IS NOT TRUE THEN
        index_name := v_side;
        statement := format('CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON cogdb.memory_embeddings'
                            ' USING hnsw ((embedding::public.vector(%s)) public.vector_cosine_ops)'
                            ' WITH (m = %s, ef_construction = %s)'
                            ' WHERE tenant_id = %L::uuid AND model = %L',
                            v_side, v_dims, cogdb.int_setting('search.hnsw_m'),
                            cogdb.int_setting('search.hnsw_ef_construction'), v_tenant, to_model);
        RETURN NEXT;
    END IF;
    v_valid := NULL;
    SELECT i.indisvalid INTO v_valid FROM pg_index i
     WHERE i.indexrelid = to_regclass(format('cogdb.%I', v_main));
    IF v_valid IS FALSE THEN
        index_name := v_main;
        statement := format('DROP INDEX CONCURRENTLY IF EXISTS cogdb.%I', v_main);
        RETURN NEXT;
    END IF;
    IF v_valid IS NOT TRUE THEN
        index_name := v_main;
        statement := cogdb.ann_index_statement(v_tenant, to_model, true);
        RETURN NEXT;
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.settle_index_steps(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.settle_index_steps(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.settle_index_steps(text, text) IS
    'The CONCURRENTLY index statements (side vectors, new model on the partition) a promoted tenant''s migration needs so its cutover only flips the default model.';
-- <<< sql/functions/models/settle_index_steps.sql

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
                   embedding = CASE WHEN m.anonymised_at IS NULL THEN e.embedding
                                    ELSE ('[1' || repeat(',0', public.vector_dims(e.embedding) - 1)
                                          || ']')::public.vector END
              FROM cogdb.memory_embeddings e
             WHERE m.tenant_id = v_tenant AND m.id = ANY (v_ids)
               AND m.model = v_row.from_model
               AND m.owner_user_id IS NOT DISTINCT FROM v_owner
               AND e.tenant_id = v_tenant AND e.memory_id = m.id AND e.model = to_model;
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
    EXECUTE format('SELECT count(*) FROM cogdb.%I m WHERE m.tenant_id = %L::uuid AND m.model = $1'
                   ' AND EXISTS (SELECT FROM cogdb.memory_embeddings e'
                   '  WHERE e.tenant_id = %L::uuid AND e.memory_id = m.id AND e.model = $2)',
                   v_part, v_tenant, v_tenant)
       INTO remaining USING v_row.from_model, to_model;
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

-- >>> sql/functions/models/cut_over_model_migration.sql
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
-- (search_tenant). The partition's SHARE lock is then held for the check's count and the
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
    v_total bigint;
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
    -- then each entity takes its new vector, in the context that sees it.
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
           AND n.id = ANY (v_ids)
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
           AND n.id = ANY (v_ids);
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

-- >>> sql/functions/models/start_model_migration.sql
-- Starts re-embedding a tenant's memories with `to_model` (`cogdb model migrate`,
-- docs/scale-out.md), or returns the migration of the tenant to `to_model` already in
-- progress (a run that was killed resumes from its after_id; one that is settling resumes
-- settling). from_model is the tenant's
-- model now (resolve_model in its context); total counts its memories of that model.
-- Refuses: an unknown model (CGV02), the tenant's own model (CGV01), another migration of
-- the tenant in progress (CGC01), vectors of to_model left in memory_embeddings or
-- entity_embeddings by an earlier migration (CGC01: `cogdb model cleanup` removes them; they
-- may predate edits).
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
     WHERE g.tenant_id = v_tenant AND g.phase IN ('embedding', 'indexed', 'settling') FOR UPDATE;
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
                WHERE e.tenant_id = v_tenant AND e.model = to_model)
       OR EXISTS (SELECT FROM cogdb.entity_embeddings e
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
-- <<< sql/functions/models/start_model_migration.sql

-- >>> sql/functions/models/cleanup_model_embeddings.sql
-- One batch of `cogdb model cleanup`: deletes at most `batch` of the tenant's kept vectors of
-- `model` from memory_embeddings, then from entity_embeddings (after a cutover: the old
-- model's) and says whether to call
-- again (more). When none are left, the tenant's migrations away from `model` that were cut
-- over become phase cleaned, and `cogdb maintain` drops the old model's index once its
-- memories are gone. Refuses (CGC01) the vectors of a migration in progress to `model`
-- (settling included: search reads them until they have settled).
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
    v_n integer;
BEGIN
    IF batch IS NULL OR batch NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'batch must be between 1 and 100000, got %', coalesce(batch::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'batch',
                  HINT = 'How many vectors one transaction deletes; 1000 is a good start.';
    END IF;
    PERFORM cogdb.resolve_model(model);
    IF EXISTS (SELECT FROM cogdb.model_migrations g
                WHERE g.tenant_id = v_tenant AND g.to_model = model
                  AND g.phase IN ('embedding', 'indexed', 'settling')) THEN
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
    IF deleted < batch THEN   -- the memories' are gone: the entities' next, in the same batch
        DELETE FROM cogdb.entity_embeddings e
         WHERE e.tenant_id = v_tenant AND e.model = model
           AND e.entity_id IN (SELECT k.entity_id FROM cogdb.entity_embeddings k
                                WHERE k.tenant_id = v_tenant AND k.model = model
                                ORDER BY k.entity_id LIMIT batch - deleted);
        GET DIAGNOSTICS v_n = ROW_COUNT;
        deleted := deleted + v_n;
    END IF;
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
-- <<< sql/functions/models/cleanup_model_embeddings.sql

-- >>> sql/functions/models/remember_embeddings.sql
-- Stores the second vectors of memories the caller just wrote, while its tenant migrates to
-- `model` (cogdb.migration_target): the Python client calls it right after remember_many, in
-- the same transaction, so a memory written during a migration has both vectors at commit.
-- One vector per id, same order; each is checked (check_model_vectors: dimensions of `model`,
-- a usable norm). A vector already stored for a memory is kept (the migration's batch may
-- have been first). Returns how many were stored.
--
-- The app's only way to write cogdb.memory_embeddings (it has SELECT there, no INSERT or
-- DELETE): the cutover makes these vectors the memories' own, so a second vector may only be
-- given for a memory whose embedding the context user may change (memories__owner_updates:
-- their own, or one without an owner) and that is not anonymised. Refuses (42501, naming the
-- first id) any other id of the tenant, and any id that is not a memory of the context's
-- tenant; (CGV01, COLUMN model) when no migration to `model` is in progress. A settling
-- migration (revision 0027) still takes them: a write whose statement began before the
-- cutover committed stores a memory of the old model after it, and its second vector is what
-- search and the settle find it by. Definer: reads the tenant's memories partition like the
-- migration's batches (cogdb.memories_partition), and model_migrations (owner-only).
CREATE OR REPLACE FUNCTION cogdb.remember_embeddings(ids text[], model text,
                                                     embeddings public.vector[])
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.require_tenant('writing memories');
    v_user uuid := cogdb.current_user_id();
    v_refused text;
    v_n integer;
BEGIN
    IF NOT EXISTS (SELECT FROM cogdb.migration_target() t WHERE t.to_model = model)
       AND NOT EXISTS (SELECT FROM cogdb.model_migrations g
                        WHERE g.tenant_id = v_tenant AND g.to_model = model
                          AND g.phase = 'settling') THEN
        RAISE EXCEPTION 'the tenant is not migrating to model %', coalesce(quote_literal(model), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'model',
                  HINT = 'Only a migration in progress (cogdb model migrate) takes a second vector.';
    END IF;
    PERFORM cogdb.check_model_vectors(ids, model, embeddings, 'Embed with the model named.');
    -- The first id that is not a memory this user may change (or is anonymised): refused.
    EXECUTE format(
        'SELECT u.id FROM unnest($1::text[]) WITH ORDINALITY AS u(id, ord)'
        ' WHERE NOT EXISTS (SELECT FROM cogdb.%I m WHERE m.tenant_id = %L::uuid AND m.id = u.id'
        '                    AND (m.owner_user_id IS NULL OR m.owner_user_id = $2)'
        '                    AND m.anonymised_at IS NULL)'
        ' ORDER BY u.ord LIMIT 1', cogdb.memories_partition(v_tenant), v_tenant)
       INTO v_refused USING ids, v_user;
    IF v_refused IS NOT NULL THEN
        RAISE EXCEPTION 'memory % is not one whose embedding this user may change', quote_literal(v_refused)
            USING ERRCODE = '42501', COLUMN = 'ids',
                  HINT = 'A second vector is for a memory the context user just wrote: their own, or one without an owner, not anonymised.';
    END IF;
    INSERT INTO cogdb.memory_embeddings AS e (tenant_id, memory_id, model, embedding)
    SELECT v_tenant, u.id, model, u.v FROM unnest(ids, embeddings) AS u(id, v)
    ON CONFLICT ON CONSTRAINT memory_embeddings_pkey DO NOTHING;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

REVOKE ALL ON FUNCTION cogdb.remember_embeddings(text[], text, public.vector[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.remember_embeddings(text[], text, public.vector[]) TO cogdb_app;
COMMENT ON FUNCTION cogdb.remember_embeddings(text[], text, public.vector[]) IS
    'Stores the second vectors (model = the migration''s target) of memories the context user may change, while the tenant migrates; returns how many.';
-- <<< sql/functions/models/remember_embeddings.sql

-- >>> sql/functions/search/search_tenant.sql
-- The k memories of `tenant` nearest to `query` that the caller may see, nearest first: the
-- context's own tenant, or (inside search(…, include_shared => true), which merges them) a
-- tenant whose live grant the context holds; the fence decides what is visible, this
-- function only names the tenant, so each tenant is searched on its own partition and index.
-- similarity is cosine similarity, 1 - cosine distance (1 = same direction, 0 = orthogonal);
-- ties are broken by id. Expired memories are never returned. Reads only: no access tracking.
-- No context: no rows.
--
-- The plan is chosen per call and reported in the `plan` column:
--   exact            every candidate the caller may see is ranked (a tenant/model without an
--                    ANN index, or one whose visible candidates, after the filters, number at
--                    most search.exact_max_rows — e.g. a user who sees few of a large
--                    tenant's memories because most are private to others);
--   ann:<index>      the HNSW index on the tenant's own partition (see ann_index_name and
--                    partition_name; `cogdb maintain` promotes the tenant and builds it), with
--                    iterative scans so filters keep their recall;
--   ann:<index>+<side index>
--                    while a model migration of the tenant settles (a valid index named
--                    settle_index_name exists): the union of that index and the HNSW index of
--                    the side vectors in memory_embeddings (exact: both ranked in full).
-- Every statement on memories names the tenant as a constant: planned for this call
-- (plan_cache_mode = force_custom_plan), the planner reads the tenant's partition only, and
-- unset filters fold away. The exact path and the count are static SQL (parsed once per
-- session); the ANN query, whose cast carries the model's dimensions, and a metadata filter,
-- whose keys are literals, are built per call. ef_search tunes the ANN path (default:
-- settings.search.ef_search; 1-1000, the range of pgvector's hnsw.ef_search).
SELECT '[1]'::public.vector;  -- loads pgvector, so the hnsw.* settings below are known
CREATE OR REPLACE FUNCTION cogdb.search_tenant(tenant uuid, query public.vector, k integer DEFAULT 10,
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
                                        metadata_filter jsonb DEFAULT NULL)
    RETURNS TABLE (id text, similarity double precision, conversation_id text,
                   sequence_index integer, human_content text, assistant_content text,
                   summary text, context_type text, source text, created_at timestamptz,
                   expires_at timestamptz, visibility text, owner_user_id uuid, tags jsonb,
                   metadata jsonb,
                   intent_type text, complexity text, technical_depth smallint,
                   emotional_valence text, urgency text, conversation_mode text,
                   action_required boolean, has_code boolean, has_error boolean,
                   cluster_id integer, cluster_label text, cluster_confidence real, plan text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    -- The SET clauses scope the set_config() calls below to this call; the values used
    -- come from cogdb.settings (search.ef_search, search.max_scan_tuples). The lookups
    -- before the memories statements keep their cached plans (auto).
    SET plan_cache_mode = auto
    SET enable_sort = on
    SET hnsw.ef_search = 100
    SET hnsw.iterative_scan = 'relaxed_order'
    SET hnsw.max_scan_tuples = 50000
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := search_tenant.tenant;
    v_model text;
    v_dims integer;
    v_settings jsonb;
    v_max_k integer;
    v_exact_max integer;
    v_index text;
    v_indexed boolean;
    v_visible bigint;
    v_side text;
    v_settling boolean;
    v_default text;
    v_dist text;
    v_side_dist text;
    v_columns constant text :=
        's.id, 1 - s.distance, s.conversation_id, s.sequence_index, s.human_content,'
        ' s.assistant_content, s.summary, s.context_type, s.source, s.created_at,'
        ' s.expires_at, s.visibility, s.owner_user_id, s.tags, s.metadata, s.intent_type,'
        ' s.complexity,'
        ' s.technical_depth, s.emotional_valence, s.urgency, s.conversation_mode,'
        ' s.action_required, s.has_code, s.has_error, s.cluster_id, s.cluster_label,'
        ' s.cluster_confidence';
    v_fields constant text :=
        'm.id, m.conversation_id, m.sequence_index, m.human_content, m.assistant_content,'
        ' m.summary, m.context_type, m.source, m.created_at, m.expires_at, m.visibility,'
        ' m.owner_user_id, m.tags, m.metadata, m.intent_type, m.complexity,'
        ' m.technical_depth, m.emotional_valence, m.urgency, m.conversation_mode,'
        ' m.action_required, m.has_code, m.has_error, m.cluster_id, m.cluster_label,'
        ' m.cluster_confidence';
BEGIN
    IF v_tenant IS NULL OR cogdb.current_tenant_id() IS NULL THEN
        RETURN;  -- no context: nothing is visible
    END IF;
    SELECT jsonb_object_agg(s.key, s.value) INTO v_settings
      FROM cogdb.settings s WHERE s.key LIKE 'search.%';
    v_max_k := v_settings ->> 'search.max_k';
    v_exact_max := v_settings ->> 'search.exact_max_rows';
    IF k IS NULL OR k NOT BETWEEN 1 AND v_max_k THEN
        RAISE EXCEPTION 'k must be between 1 and %, got %', v_max_k, coalesce(k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'k',
                  HINT = 'k is how many memories to return; the maximum is settings.search.max_k.';
    END IF;
    IF ef_search NOT BETWEEN 1 AND 1000 THEN  -- the range pgvector accepts
        RAISE EXCEPTION 'ef_search must be between 1 and 1000, got %', ef_search
            USING ERRCODE = 'CGV01', COLUMN = 'ef_search',
                  HINT = 'Leave it out for the default (settings.search.ef_search); higher '
                         'trades speed for recall.';
    END IF;
    IF only_visibility IS NOT NULL AND NOT only_visibility = ANY (cogdb.allowed_values('visibility')) THEN
        RAISE EXCEPTION 'only_visibility must be private or tenant, got %', quote_literal(only_visibility)
            USING ERRCODE = 'CGV01', COLUMN = 'only_visibility',
                  HINT = 'Leave it out to search everything the context may see.';
    END IF;
    SELECT r.name, r.dimensions INTO v_model, v_dims FROM cogdb.resolve_model(search_tenant.model) r;
    IF query IS NULL OR public.vector_dims(query) <> v_dims THEN
        RAISE EXCEPTION 'query has % dimensions; model % needs %',
                        coalesce(public.vector_dims(query)::text, 'no'), quote_literal(v_model), v_dims
            USING ERRCODE = 'CGV01', COLUMN = 'query',
                  HINT = 'Embed the query with the model the memories were stored with.';
    END IF;
    PERFORM cogdb.check_vector(query, 'query');

    v_index := cogdb.ann_index_name(v_tenant, v_model);
    IF to_regclass('cogdb.' || v_index) IS NOT NULL THEN  -- a cache lookup, no query
        SELECT i.indisvalid INTO v_indexed  -- (NULL if maintain dropped it meanwhile)
          FROM pg_index i WHERE i.indexrelid = to_regclass('cogdb.' || v_index);
    END IF;
    -- A migration settling (docs/scale-out.md "Re-embedding without downtime"): the tenant's
    -- cutover made v_model its default, but some memories still hold the old model's vector,
    -- with v_model's in memory_embeddings, indexed by settle_index_name until the settle has
    -- moved them all. Two catalog cache lookups for every other tenant, no query.
    IF v_indexed THEN
        v_side := cogdb.settle_index_name(v_tenant, v_model);
        IF to_regclass('cogdb.' || v_side) IS NOT NULL THEN
            SELECT i.indisvalid INTO v_settling
              FROM pg_index i WHERE i.indexrelid = to_regclass('cogdb.' || v_side);
        END IF;
    END IF;
    IF v_settling IS NOT TRUE AND search_tenant.model IS NOT NULL
       AND v_tenant = cogdb.current_tenant_id() THEN
        -- An explicit search of another model than the default while the tenant settles onto
        -- its default: some of that model's memories have moved already, so none is returned
        -- (as after the settle), never a part of them.
        SELECT r.name INTO v_default FROM cogdb.resolve_model(NULL) r;
        IF v_default <> v_model
           AND to_regclass('cogdb.' || cogdb.settle_index_name(v_tenant, v_default)) IS NOT NULL
        THEN
            RETURN;
        END IF;
    END IF;
    -- From here on, every statement is planned for this call, with the tenant as a constant.
    PERFORM set_config('plan_cache_mode', 'force_custom_plan', true);
    IF v_settling THEN
        -- The union of the memories of v_model (settled, or written since the cutover) and the
        -- side vectors of v_model whose memory is still of another model, each through its
        -- index (ANN) or ranked in full (exact, as below); joined to memories for the filters
        -- and the policies. One statement, one snapshot: settle_model_migration moves a
        -- memory and deletes its side vector in one transaction, so each memory is in exactly
        -- one branch.
        EXECUTE format('SELECT count(*) FROM (SELECT FROM cogdb.memories m'
                       ' WHERE m.tenant_id = %1$L AND m.model = %2$L%3$s'
                       ' UNION ALL SELECT FROM cogdb.memory_embeddings e'
                       '  JOIN cogdb.memories m ON m.tenant_id = %1$L AND m.id = e.memory_id'
                       ' WHERE e.tenant_id = %1$L AND e.model = %2$L AND m.model <> %2$L%3$s'
                       ' LIMIT %4$s) c',
                       v_tenant, v_model, cogdb.memory_filters_sql(3, metadata_filter),
                       v_exact_max + 1)
           INTO v_visible
          USING query, k, only_conversation, only_source, only_context_type, tags_any,
                created_after, created_before, only_owner, only_visibility;
        IF v_visible > v_exact_max THEN
            PERFORM set_config('hnsw.ef_search',
                               coalesce(ef_search::text, v_settings ->> 'search.ef_search'), true);
            PERFORM set_config('hnsw.max_scan_tuples',
                               v_settings ->> 'search.max_scan_tuples', true);
            PERFORM set_config('enable_sort', 'off', true);
            v_dist := format('(m.embedding::public.vector(%s)) OPERATOR(public.<=>) $1', v_dims);
            v_side_dist := format('(e.embedding::public.vector(%s)) OPERATOR(public.<=>) $1',
                                  v_dims);
        ELSE
            v_dist := 'm.embedding OPERATOR(public.<=>) $1';
            v_side_dist := 'e.embedding OPERATOR(public.<=>) $1';
        END IF;
        RETURN QUERY EXECUTE format(
            'SELECT %1$s, %2$L::text FROM ('
            ' (SELECT %3$s, %4$s AS distance FROM cogdb.memories m'
            '   WHERE m.tenant_id = %5$L AND m.model = %6$L%7$s ORDER BY %4$s LIMIT $2)'
            ' UNION ALL'
            ' (SELECT %3$s, %8$s AS distance FROM cogdb.memory_embeddings e'
            '   JOIN cogdb.memories m ON m.tenant_id = %5$L AND m.id = e.memory_id'
            '   WHERE e.tenant_id = %5$L AND e.model = %6$L AND m.model <> %6$L%7$s'
            '   ORDER BY %8$s LIMIT $2)) s'
            ' ORDER BY s.distance, s.id LIMIT $2',
            v_columns,
            CASE WHEN v_visible > v_exact_max THEN 'ann:' || v_index || '+' || v_side
                 ELSE 'exact' END,
            v_fields, v_dist, v_tenant, v_model, cogdb.memory_filters_sql(3, metadata_filter),
            v_side_dist)
          USING query, k, only_conversation, only_source, only_context_type, tags_any,
                created_after, created_before, only_owner, only_visibility;
        RETURN;
    END IF;
    IF v_indexed THEN
        -- Count the candidates the caller may see, stopping just past the exact threshold.
        IF metadata_filter IS NULL THEN
            SELECT count(*) INTO v_visible FROM (
                SELECT FROM cogdb.memories m
                 WHERE m.tenant_id = v_tenant AND m.model = v_model
                   AND (m.expires_at IS NULL OR m.expires_at > now())
                   AND (only_conversation IS NULL OR m.conversation_id = only_conversation)
                   AND (only_source IS NULL OR m.source = only_source)
                   AND (only_context_type IS NULL OR m.context_type = only_context_type)
                   AND (tags_any IS NULL OR m.tags ?| tags_any)
                   AND (created_after IS NULL OR m.created_at >= created_after)
                   AND (created_before IS NULL OR m.created_at < created_before)
                   AND (only_owner IS NULL OR m.owner_user_id = only_owner)
                   AND (only_visibility IS NULL OR m.visibility = only_visibility)
                 LIMIT v_exact_max + 1) c;
        ELSE
            EXECUTE format('SELECT count(*) FROM (SELECT FROM cogdb.memories m'
                           ' WHERE m.tenant_id = %L AND m.model = %L%s LIMIT %s) c',
                           v_tenant, v_model, cogdb.memory_filters_sql(3, metadata_filter),
                           v_exact_max + 1)
               INTO v_visible
              USING query, k, only_conversation, only_source, only_context_type, tags_any,
                    created_after, created_before, only_owner, only_visibility;
        END IF;
        IF v_visible > v_exact_max THEN
            -- Scoped to this call by the SET clauses above.
            PERFORM set_config('hnsw.ef_search',
                               coalesce(ef_search::text, v_settings ->> 'search.ef_search'), true);
            PERFORM set_config('hnsw.max_scan_tuples',
                               v_settings ->> 'search.max_scan_tuples', true);
            -- The index, not a sort of the partition: on a small partition the planner would
            -- rather sort, and `plan` would then name an index the search did not read.
            PERFORM set_config('enable_sort', 'off', true);
            RETURN QUERY EXECUTE format(
                'SELECT %s, %L::text FROM ('
                ' SELECT %s, (m.embedding::public.vector(%s)) OPERATOR(public.<=>) $1 AS distance'
                '   FROM cogdb.memories m WHERE m.tenant_id = %L AND m.model = %L%s'
                '  ORDER BY (m.embedding::public.vector(%s)) OPERATOR(public.<=>) $1 LIMIT $2) s'
                ' ORDER BY s.distance, s.id',
                v_columns, 'ann:' || v_index, v_fields, v_dims, v_tenant, v_model,
                cogdb.memory_filters_sql(3, metadata_filter), v_dims)
              USING query, k, only_conversation, only_source, only_context_type, tags_any,
                    created_after, created_before, only_owner, only_visibility;
            RETURN;
        END IF;
    END IF;

    IF metadata_filter IS NULL THEN
        RETURN QUERY
        SELECT s.id, 1 - s.distance, s.conversation_id, s.sequence_index, s.human_content,
               s.assistant_content, s.summary, s.context_type, s.source, s.created_at,
               s.expires_at, s.visibility, s.owner_user_id, s.tags, s.metadata, s.intent_type,
               s.complexity, s.technical_depth, s.emotional_valence, s.urgency,
               s.conversation_mode, s.action_required, s.has_code, s.has_error, s.cluster_id,
               s.cluster_label, s.cluster_confidence, 'exact'::text
          FROM (SELECT m.id, m.conversation_id, m.sequence_index, m.human_content,
                       m.assistant_content, m.summary, m.context_type, m.source, m.created_at,
                       m.expires_at, m.visibility, m.owner_user_id, m.tags, m.metadata,
                       m.intent_type, m.complexity, m.technical_depth, m.emotional_valence,
                       m.urgency, m.conversation_mode, m.action_required, m.has_code,
                       m.has_error, m.cluster_id, m.cluster_label, m.cluster_confidence,
                       m.embedding OPERATOR(public.<=>) query AS distance
                  FROM cogdb.memories m
                 WHERE m.tenant_id = v_tenant AND m.model = v_model
                   AND (m.expires_at IS NULL OR m.expires_at > now())
                   AND (only_conversation IS NULL OR m.conversation_id = only_conversation)
                   AND (only_source IS NULL OR m.source = only_source)
                   AND (only_context_type IS NULL OR m.context_type = only_context_type)
                   AND (tags_any IS NULL OR m.tags ?| tags_any)
                   AND (created_after IS NULL OR m.created_at >= created_after)
                   AND (created_before IS NULL OR m.created_at < created_before)
                   AND (only_owner IS NULL OR m.owner_user_id = only_owner)
                   AND (only_visibility IS NULL OR m.visibility = only_visibility)) s
         ORDER BY s.distance, s.id
         LIMIT k;
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format(
        'SELECT %s, ''exact''::text FROM ('
        ' SELECT %s, m.embedding OPERATOR(public.<=>) $1 AS distance'
        '   FROM cogdb.memories m WHERE m.tenant_id = %L AND m.model = %L%s) s'
        ' ORDER BY s.distance, s.id LIMIT $2',
        v_columns, v_fields, v_tenant, v_model, cogdb.memory_filters_sql(3, metadata_filter))
      USING query, k, only_conversation, only_source, only_context_type, tags_any,
            created_after, created_before, only_owner, only_visibility;
END
$$;

REVOKE ALL ON FUNCTION cogdb.search_tenant(uuid, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.search_tenant(uuid, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb) TO cogdb_app;
COMMENT ON FUNCTION cogdb.search_tenant(uuid, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb) IS
    'The k memories of one tenant nearest to `query` that the caller may see (its own, or another''s a live grant shares), nearest first; search() calls it per tenant.';
-- <<< sql/functions/search/search_tenant.sql

-- >>> sql/functions/search/plan_maintenance.sql
-- What `cogdb maintain` should do, in order. Each row is one step; `statement` is the
-- statement it runs on an owner connection in autocommit (CREATE/DROP INDEX CONCURRENTLY
-- cannot run inside a function), or, for a promotion, the function that does the move.
--   drop_invalid  an ANN index left invalid by an interrupted build: dropped first, since its
--                 name blocks the rebuild
--   promote       a tenant with a model of at least search.ann_min_rows memories and no
--                 partition of its own: its rows move from memories_default into
--                 memories_p_<hash> (prepare_partition, fence_default_partition,
--                 move_to_partition; see cogdb/ops/maintain.py). A promotion that was
--                 interrupted (its fence is still on memories_default) is finished. Tenants
--                 are never demoted: a partition costs only its relations.
--   drop_legacy   an ANN index of revision 0005 on memories_default (a partial index over
--                 the whole table) whose tenant has, or gets, a partition
--   create        a tenant/model with at least search.ann_min_rows memories and no index:
--                 an HNSW index on the tenant's partition, over full-precision vectors
--                 (halfvec is 43% smaller, but on a 165k-row tenant it missed some queries
--                 entirely where full precision did not: bench/RESULTS.md)
--   drop_unneeded an index whose tenant/model fell below half of search.ann_min_rows (the
--                 hysteresis keeps a tenant near the threshold from flapping), except the
--                 new model's index of a model migration in progress (revision 0027)
-- Sizes come from cogdb.memory_counts (compact it first with compact_memory_counts()).
CREATE OR REPLACE FUNCTION cogdb.plan_maintenance()
    RETURNS TABLE (step integer, action text, index_name text, tenant_id uuid, model text,
                   memories bigint, statement text)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH sizes AS (
        SELECT c.tenant_id, c.model, sum(c.delta)::bigint AS n
          FROM cogdb.memory_counts c GROUP BY 1, 2
    ), partitions AS (
        SELECT c.relname::text AS name FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
         WHERE h.inhparent = 'cogdb.memories'::regclass
    ), fences AS (      -- promotions left unfinished
        SELECT k.conname::text AS name FROM pg_constraint k
         WHERE k.conrelid = 'cogdb.memories_default'::regclass
           AND k.conname LIKE 'memories\_default\_not\_%'
    ), indexes AS (
        SELECT ic.relname::text AS name, i.indisvalid AS valid,
               i.indrelid = 'cogdb.memories_default'::regclass AS legacy
          FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
          JOIN pg_inherits h ON h.inhrelid = i.indrelid
         WHERE h.inhparent = 'cogdb.memories'::regclass AND ic.relname LIKE 'memories\_ann\_%'
    ), wanted AS (
        SELECT s.tenant_id, s.model, s.n, cogdb.ann_index_name(s.tenant_id, s.model) AS name,
               cogdb.partition_name(s.tenant_id) AS part, m.dimensions,
               s.n >= cogdb.int_setting('search.ann_min_rows') AS large
          FROM sizes s JOIN cogdb.embedding_models m ON m.name = s.model
    ), tenants AS (
        SELECT w.tenant_id, w.part, sum(w.n)::bigint AS n, bool_or(w.large) AS large,
               EXISTS (SELECT FROM partitions p WHERE p.name = w.part) AS promoted,
               EXISTS (SELECT FROM fences f WHERE f.name = 'memories_default_not_'
                                                    || left(md5(w.tenant_id::text), 16)) AS fenced
          FROM wanted w GROUP BY 1, 2
    ), actions AS (
        SELECT 1 AS rank, 'drop_invalid' AS action, x.name, w.tenant_id, w.model, w.n
          FROM indexes x LEFT JOIN wanted w ON w.name = x.name
         WHERE NOT x.valid
        UNION ALL
        SELECT 2, 'promote', t.part, t.tenant_id, NULL, t.n
          FROM tenants t WHERE NOT t.promoted AND (t.large OR t.fenced)
        UNION ALL
        SELECT 3, 'drop_legacy', x.name, w.tenant_id, w.model, coalesce(w.n, 0)
          FROM indexes x LEFT JOIN wanted w ON w.name = x.name
          LEFT JOIN tenants t ON t.tenant_id = w.tenant_id
         WHERE x.valid AND x.legacy
           AND (t.promoted OR t.large OR t.fenced OR coalesce(w.n, 0) < cogdb.int_setting('search.ann_min_rows') / 2)
        UNION ALL
        SELECT 4, 'create', w.name, w.tenant_id, w.model, w.n
          FROM wanted w
         WHERE w.large
           AND NOT EXISTS (SELECT FROM indexes x WHERE x.name = w.name AND x.valid AND NOT x.legacy)
        UNION ALL
        SELECT 5, 'drop_unneeded', x.name, w.tenant_id, w.model, coalesce(w.n, 0)
          FROM indexes x LEFT JOIN wanted w ON w.name = x.name
         WHERE x.valid AND NOT x.legacy
           AND coalesce(w.n, 0) < cogdb.int_setting('search.ann_min_rows') / 2
           -- the new model's index of a migration in progress, built before its rows arrive
           -- (settle_index_steps): search reads it while the migration settles
           AND x.name NOT IN (SELECT cogdb.ann_index_name(g.tenant_id, g.to_model)
                                FROM cogdb.model_migrations g
                               WHERE g.phase IN ('embedding', 'indexed', 'settling'))
    )
    SELECT (row_number() OVER (ORDER BY a.rank, a.n DESC NULLS LAST, a.name))::integer,
           a.action, a.name, a.tenant_id, a.model, a.n,
           CASE a.action
           WHEN 'create' THEN cogdb.ann_index_statement(a.tenant_id, a.model, true)
           WHEN 'promote' THEN
               format('SELECT cogdb.move_to_partition(%L::uuid)', a.tenant_id)
           ELSE format('DROP INDEX CONCURRENTLY IF EXISTS cogdb.%I', a.name) END
      FROM actions a LEFT JOIN wanted w ON w.name = a.name
$$;

REVOKE ALL ON FUNCTION cogdb.plan_maintenance() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.plan_maintenance() IS
    'The steps cogdb maintain runs, in order: drop invalid ANN indexes, promote large tenants into partitions of their own, build the indexes they need, drop those no longer needed.';
-- <<< sql/functions/search/plan_maintenance.sql

RESET ROLE;
