-- cogdb revision 0030 (settle_end): written by `python -m tools.freeze 0030` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

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
        PERFORM pg_advisory_xact_lock(cogdb.tenant_gate(v_tenant));
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
-- tenant; (CGV01, COLUMN ids) an id of a memory of another model than the migration's
-- source; (CGV01, COLUMN model) when no migration to `model` is in progress. A settling
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
    v_reason text;
    v_from text;
    v_part text;
    v_n integer;
BEGIN
    -- migration_target()'s phases, and settling
    SELECT g.from_model INTO v_from FROM cogdb.model_migrations g
     WHERE g.tenant_id = v_tenant AND g.to_model = model
       AND g.phase IN ('embedding', 'indexed', 'settling');
    IF v_from IS NULL THEN
        RAISE EXCEPTION 'the tenant is not migrating to model %', coalesce(quote_literal(model), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'model',
                  HINT = 'Only a migration in progress (cogdb model migrate) takes a second vector.';
    END IF;
    PERFORM cogdb.check_model_vectors(ids, model, embeddings, 'Embed with the model named.');
    v_part := cogdb.memories_partition(v_tenant);
    -- The memories stay as they are checked until this transaction ends (FOR SHARE): an
    -- anonymisation waits for it and then blanks the vector stored here too, where it could
    -- otherwise commit in between and leave the content's vector on a blanked memory
    -- (revision 0030).
    EXECUTE format('SELECT FROM cogdb.%I m WHERE m.tenant_id = %L::uuid AND m.id = ANY ($1)'
                   ' FOR SHARE OF m', v_part, v_tenant) USING ids;
    -- The first id that is not a memory this user may change (or is anonymised), or not of
    -- the migration's source model (a memory of a third model never settles: revision 0030).
    EXECUTE format(
        'SELECT u.id, CASE WHEN m.id IS NULL OR m.anonymised_at IS NOT NULL'
        '                    OR NOT (m.owner_user_id IS NULL OR m.owner_user_id = $2)'
        '                  THEN ''access'' ELSE m.model END'
        '  FROM unnest($1::text[]) WITH ORDINALITY AS u(id, ord)'
        '  LEFT JOIN cogdb.%I m ON m.tenant_id = %L::uuid AND m.id = u.id'
        ' WHERE m.id IS NULL OR m.anonymised_at IS NOT NULL OR m.model <> $3'
        '    OR NOT (m.owner_user_id IS NULL OR m.owner_user_id = $2)'
        ' ORDER BY u.ord LIMIT 1', v_part, v_tenant)
       INTO v_refused, v_reason USING ids, v_user, v_from;
    IF v_reason IS DISTINCT FROM 'access' AND v_refused IS NOT NULL THEN
        RAISE EXCEPTION 'memory % is of model %, not the migration''s source model %',
                        quote_literal(v_refused), quote_literal(v_reason), quote_literal(v_from)
            USING ERRCODE = 'CGV01', COLUMN = 'ids',
                  HINT = 'A second vector is for a memory of the model the tenant migrates from.';
    END IF;
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
        -- Only once the cutover has made v_model the tenant's default (an explicit search of
        -- the new model before it reads the new model's memories only, as before revision
        -- 0027: the side vectors are not complete until the cutover's check; revision 0030).
        IF to_regclass('cogdb.' || v_side) IS NOT NULL
           AND (search_tenant.model IS NULL OR v_tenant <> cogdb.current_tenant_id()
                OR v_model = (SELECT r.name FROM cogdb.resolve_model(NULL) r)) THEN
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

-- >>> sql/policies/memory_embeddings__tenant_fence.sql
-- The tenant fence: a row of the context's tenant for writing; for reading, also a row of a
-- tenant whose live read grants the caller asked for in this transaction (include_shared),
-- widened like entity_observations__tenant_fence: `tenant_id = ANY (readable_tenants())`
-- first (an InitPlan and an index condition: a statement that did not ask reads no other
-- tenant's row), then another tenant's row only when its memory is one the caller reads
-- there, under the memories' policies (grant_covers among them; one primary-key probe per
-- row, OFFSET 0). So a shared search reads the side vectors of the memories a grant covers
-- while that tenant settles a model migration, and no other (revision 0030;
-- docs/scale-out.md). The context's own rows are memory_embeddings__visible_memory's to
-- check. The app has SELECT only on this table.
DROP POLICY IF EXISTS memory_embeddings__tenant_fence ON cogdb.memory_embeddings;
CREATE POLICY memory_embeddings__tenant_fence ON cogdb.memory_embeddings
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])
           AND (tenant_id = (SELECT cogdb.current_tenant_id())
                OR EXISTS (SELECT FROM cogdb.memories m
                            WHERE m.tenant_id = memory_embeddings.tenant_id
                              AND m.id = memory_embeddings.memory_id
                           OFFSET 0)))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/memory_embeddings__tenant_fence.sql

-- >>> sql/policies/memory_embeddings__visible_memory.sql
-- A memory's other vectors are visible (and writable) when the memory is: the memories'
-- own policies decide, so a private memory's vectors reach its owner only. Like
-- entity_observations__visible_entity, the memory is looked up in the context's tenant; a
-- row of another tenant passes here and is memory_embeddings__tenant_fence's to check (a
-- shared source's, since revision 0030).
DROP POLICY IF EXISTS memory_embeddings__visible_memory ON cogdb.memory_embeddings;
CREATE POLICY memory_embeddings__visible_memory ON cogdb.memory_embeddings
    AS PERMISSIVE FOR ALL TO cogdb_app
    USING (tenant_id <> (SELECT cogdb.current_tenant_id())
           OR EXISTS (SELECT FROM cogdb.memories m
                       WHERE m.tenant_id = (SELECT cogdb.current_tenant_id())
                         AND m.id = memory_embeddings.memory_id))
    WITH CHECK (EXISTS (SELECT FROM cogdb.memories m
                         WHERE m.tenant_id = (SELECT cogdb.current_tenant_id())
                           AND m.id = memory_embeddings.memory_id));
-- <<< sql/policies/memory_embeddings__visible_memory.sql

-- >>> sql/functions/governance/policy_report.sql
-- The DBA report: one row per finding, none when the deployment is as docs/trust-model.md
-- describes it. `cogdb audit policies` prints it and exits non-zero on any row. Checks:
--   rls_not_forced       a table of schema cogdb without row security enabled and forced
--                        (partitions of cogdb.memories are fenced by their parent's policies;
--                        global registries are on policy_report_allowlist());
--   no_tenant_fence      a table without the RESTRICTIVE policy for all commands and roles
--                        `tenant_id = (SELECT cogdb.current_tenant_id())` (allowlist: exempt;
--                        memories: tenant_id among cogdb.readable_tenants() AND (that
--                        comparison OR its live read grants, cogdb.grant_covers),
--                        for reads only — WITH CHECK stays the comparison; the grants
--                        themselves are listed by cogdb.share_report(), not findings;
--                        relationships: the same, for another tenant's tenant-visible
--                        memory-to-memory relationships whose memories the caller reads;
--                        entities: the same with cogdb.entity_grant_covers;
--                        entity_observations: the same, for another tenant's observations
--                        whose entity the caller reads in that tenant);
--   definer_search_path  a SECURITY DEFINER function of schema cogdb without a pinned
--                        search_path ending in pg_temp (docs/conventions.md rule 2);
--   definer_public_execute  a SECURITY DEFINER function that PUBLIC may execute;
--   app_login_privileged a login that is a member of cogdb_app (directly or through other
--                        roles) and is superuser, BYPASSRLS or a member of cogdb_owner: RLS
--                        would not apply to it;
--   app_login_timeouts   a login member of cogdb_app without lock_timeout or
--                        idle_in_transaction_session_timeout (ALTER ROLE … SET, for this
--                        database or all; 0 counts as unset): it could stall every tenant
--                        behind a lock (docs/trust-model.md, Known limits);
--   public_database_access  CONNECT or TEMPORARY on the current database granted to PUBLIC
--                        (PostgreSQL's default on a new database);
--   policy_per_row_helper a policy of schema cogdb that calls a context helper
--                        (current_tenant_id, current_user_id, context_stamp,
--                        retention_horizon, retention_cutoffs) or reads app.* settings per row, not once per
--                        query inside a sub-select (an InitPlan; docs/conventions.md rule 3).
-- Invoker: it reads only catalogs that every login may read, so the auditor runs it as itself.
CREATE OR REPLACE FUNCTION cogdb.policy_report()
    RETURNS TABLE (finding text, object text, detail text, hint text)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE
    allow AS (SELECT * FROM cogdb.policy_report_allowlist()),
    tabs AS (
        SELECT c.oid, c.relname::text AS relname, c.relrowsecurity, c.relforcerowsecurity
          FROM pg_class c
         WHERE c.relnamespace = 'cogdb'::regnamespace AND c.relkind IN ('r', 'p')
           AND NOT EXISTS (SELECT FROM pg_inherits i
                            WHERE i.inhrelid = c.oid
                              AND i.inhparent = 'cogdb.memories'::regclass)),
    -- every (member, role) pair of pg_auth_members, transitively
    membership(member, roleid) AS (
        SELECT a.member, a.roleid FROM pg_auth_members a
        UNION
        SELECT a.member, m.roleid FROM pg_auth_members a JOIN membership m ON m.member = a.roleid),
    app_logins AS (
        SELECT r.oid, r.rolname::text AS rolname, r.rolsuper, r.rolbypassrls,
               EXISTS (SELECT FROM membership m WHERE m.member = r.oid
                          AND m.roleid = 'cogdb_owner'::regrole) AS owner_member
          FROM pg_roles r
         WHERE r.rolcanlogin
           AND EXISTS (SELECT FROM membership m WHERE m.member = r.oid
                          AND m.roleid = 'cogdb_app'::regrole)),
    login_settings AS (
        SELECT l.oid, split_part(cfg, '=', 1) AS name, substr(cfg, strpos(cfg, '=') + 1) AS value
          FROM app_logins l
          JOIN pg_db_role_setting s
            ON s.setrole IN (l.oid, 0)
           AND s.setdatabase IN (0, (SELECT d.oid FROM pg_database d
                                      WHERE d.datname = current_database()))
          CROSS JOIN LATERAL unnest(s.setconfig) cfg),
    definers AS (
        SELECT p.oid, p.oid::regprocedure::text AS signature, p.proacl,
               (SELECT substr(cfg, 13) FROM unnest(p.proconfig) cfg
                 WHERE cfg LIKE 'search_path=%') AS search_path
          FROM pg_proc p
         WHERE p.pronamespace = 'cogdb'::regnamespace AND p.prosecdef),
    helpers(pattern) AS (
        VALUES ('(current_tenant_id|current_user_id|context_stamp|retention_cutoffs|retention_horizon)\(|current_setting\(''app\.')),
    policies AS (
        SELECT p.tablename::text || '.' || p.policyname::text AS name,
               -- the helpers read once per query: ( SELECT cogdb.h() AS h), removed
               regexp_replace(coalesce(p.qual, '') || ' ' || coalesce(p.with_check, ''),
                              '\( SELECT cogdb\.(current_tenant_id|current_user_id|context_stamp|retention_cutoffs|retention_horizon)\(\) AS \1\)',
                              '', 'g') AS rest
          FROM pg_policies p WHERE p.schemaname = 'cogdb')
    SELECT 'rls_not_forced', 'cogdb.' || t.relname,
           CASE WHEN NOT t.relrowsecurity THEN 'row level security is not enabled'
                ELSE 'row level security is enabled but not forced (the owner bypasses it)' END,
           format('ALTER TABLE cogdb.%I ENABLE ROW LEVEL SECURITY; ALTER TABLE cogdb.%I FORCE ROW LEVEL SECURITY;',
                  t.relname, t.relname)
      FROM tabs t
     WHERE NOT (t.relrowsecurity AND t.relforcerowsecurity)
       AND NOT EXISTS (SELECT FROM allow a WHERE a.table_name = t.relname AND a.exempt = 'rls')
    UNION ALL
    SELECT 'no_tenant_fence', 'cogdb.' || t.relname,
           'no RESTRICTIVE policy FOR ALL TO PUBLIC USING (tenant_id = (SELECT cogdb.current_tenant_id()))',
           format('CREATE POLICY %I ON cogdb.%I AS RESTRICTIVE FOR ALL TO PUBLIC USING (tenant_id = (SELECT cogdb.current_tenant_id())) WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id())); or list it in cogdb.policy_report_allowlist() with the reason',
                  t.relname || '__tenant_fence', t.relname)
      FROM tabs t
     WHERE NOT EXISTS (SELECT FROM allow a WHERE a.table_name = t.relname)
       AND NOT EXISTS (
           SELECT FROM pg_policies p
            WHERE p.schemaname = 'cogdb' AND p.tablename = t.relname
              AND p.permissive = 'RESTRICTIVE' AND p.cmd = 'ALL' AND p.roles = '{public}'
              AND (p.qual = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   AND (p.with_check IS NULL OR p.with_check = p.qual)
                   -- memories: the fence widened by live read grants (sharing), never for
                   -- writes; every live grant is listed by cogdb.share_report()
                   OR t.relname = 'memories'
                   AND p.qual = '((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR cogdb.grant_covers((( SELECT cogdb.live_grants() AS live_grants) -> (tenant_id)::text), visibility, id, context_type, tags, created_at, anonymised_at)))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   -- relationships: widened the same way for the memory-to-memory
                   -- relationships of a tenant that shares both memories (traversal; its
                   -- per-row probes as revision 0023 wrote them)
                   OR t.relname = 'relationships'
                   AND p.qual = E'((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR ((visibility = \'tenant\'::text) AND (from_entity_id IS NULL) AND (to_entity_id IS NULL) AND (EXISTS ( SELECT\n   FROM cogdb.memories m\n  WHERE ((m.id = relationships.from_memory_id) AND ((m.tenant_id = relationships.tenant_id) IS TRUE))\n OFFSET 0)) AND (EXISTS ( SELECT\n   FROM cogdb.memories m\n  WHERE ((m.id = relationships.to_memory_id) AND ((m.tenant_id = relationships.tenant_id) IS TRUE))\n OFFSET 0)))))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   -- entities: widened by the entity criteria of live read grants
                   OR t.relname = 'entities'
                   AND p.qual = '((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR cogdb.entity_grant_covers((( SELECT cogdb.live_grants() AS live_grants) -> (tenant_id)::text), visibility, id, entity_type)))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   -- entity_observations: another tenant's, when the caller reads its entity there
                   OR t.relname = 'entity_observations'
                   AND p.qual = E'((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR (EXISTS ( SELECT\n   FROM cogdb.entities e\n  WHERE ((e.tenant_id = entity_observations.tenant_id) AND (e.id = entity_observations.entity_id))\n OFFSET 0))))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   -- memory_embeddings: another tenant's, when the caller reads its memory
                   -- there (a shared source settling a model migration)
                   OR t.relname = 'memory_embeddings'
                   AND p.qual = E'((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR (EXISTS ( SELECT\n   FROM cogdb.memories m\n  WHERE ((m.tenant_id = memory_embeddings.tenant_id) AND (m.id = memory_embeddings.memory_id))\n OFFSET 0))))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'))
    UNION ALL
    SELECT 'definer_search_path', d.signature,
           coalesce('search_path is ' || d.search_path, 'search_path is not set'),
           format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp;', d.signature)
      FROM definers d
     WHERE d.search_path IS NULL
        OR btrim((string_to_array(d.search_path, ','))[cardinality(string_to_array(d.search_path, ','))], ' "') <> 'pg_temp'
    UNION ALL
    SELECT 'definer_public_execute', d.signature,
           'PUBLIC may execute this SECURITY DEFINER function',
           format('REVOKE ALL ON FUNCTION %s FROM PUBLIC; then GRANT EXECUTE to the roles that need it', d.signature)
      FROM definers d
     WHERE d.proacl IS NULL
        OR EXISTS (SELECT FROM aclexplode(d.proacl) x
                    WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE')
    UNION ALL
    SELECT 'app_login_privileged', l.rolname,
           'member of cogdb_app and ' || concat_ws(', ',
               CASE WHEN l.rolsuper THEN 'superuser' END,
               CASE WHEN l.rolbypassrls THEN 'BYPASSRLS' END,
               CASE WHEN l.owner_member THEN 'a member of cogdb_owner' END)
               || ': row level security does not apply to it',
           format('Use a separate login for the app: ALTER ROLE %I NOSUPERUSER NOBYPASSRLS; REVOKE cogdb_owner FROM %I;',
                  l.rolname, l.rolname)
      FROM app_logins l
     WHERE l.rolsuper OR l.rolbypassrls OR l.owner_member
    UNION ALL
    SELECT 'app_login_timeouts', l.rolname,
           'member of cogdb_app without ' || concat_ws(' and ',
               CASE WHEN NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                                        AND s.name = 'lock_timeout' AND s.value NOT IN ('0', ''))
                    THEN 'lock_timeout' END,
               CASE WHEN NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                                        AND s.name = 'idle_in_transaction_session_timeout'
                                        AND s.value NOT IN ('0', ''))
                    THEN 'idle_in_transaction_session_timeout' END),
           format('ALTER ROLE %I SET lock_timeout = ''5s''; ALTER ROLE %I SET idle_in_transaction_session_timeout = ''60s'';',
                  l.rolname, l.rolname)
      FROM app_logins l
     WHERE NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                          AND s.name = 'lock_timeout' AND s.value NOT IN ('0', ''))
        OR NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                          AND s.name = 'idle_in_transaction_session_timeout'
                          AND s.value NOT IN ('0', ''))
    UNION ALL
    SELECT 'public_database_access', 'database ' || d.datname::text,
           'PUBLIC has ' || string_agg(x.privilege_type, ' and ' ORDER BY x.privilege_type)
               || ' on the database',
           format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC; GRANT CONNECT ON DATABASE %I TO cogdb_app, cogdb_admin, cogdb_auditor; GRANT TEMPORARY ON DATABASE %I TO cogdb_app, cogdb_owner;',
                  d.datname, d.datname, d.datname)
      FROM pg_database d
      CROSS JOIN LATERAL aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) x
     WHERE d.datname = current_database() AND x.grantee = 0
       AND x.privilege_type IN ('CONNECT', 'TEMPORARY')
     GROUP BY d.datname
    UNION ALL
    SELECT 'policy_per_row_helper', 'policy ' || p.name,
           'calls a context helper (or reads app.* settings) per row, outside a sub-select',
           'Wrap the helper in a sub-select, (SELECT cogdb.current_tenant_id()), so it is an InitPlan read once per query'
      FROM policies p
     WHERE p.rest ~ (SELECT h.pattern FROM helpers h)
    ORDER BY 1, 2
$$;

REVOKE ALL ON FUNCTION cogdb.policy_report() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.policy_report() TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.policy_report() IS
    'The DBA report: one row per finding (tables without forced RLS or a tenant fence, definer functions without a pinned search_path or executable by PUBLIC, privileged or timeout-less app logins, PUBLIC access to the database, policies that read the context per row); none when all is well.';
-- <<< sql/functions/governance/policy_report.sql

RESET ROLE;
