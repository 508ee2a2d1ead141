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
