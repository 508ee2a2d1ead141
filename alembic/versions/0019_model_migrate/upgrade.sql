-- cogdb revision 0019 (model_migrate): written by `python -m tools.freeze 0019` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> sql/tables/model_migrations.sql
-- The state of each re-embedding of a tenant's memories (`cogdb model migrate`,
-- docs/scale-out.md "Re-embedding without downtime"), one row per migration, through the
-- phases embedding (batches write the new vectors into cogdb.memory_embeddings; after_id is
-- the keyset position of the last committed batch, so a killed run resumes there), indexed
-- (the batch pass ended; the ANN index a promoted tenant needs for to_model is settled: the
-- cutover builds it, in its own transaction), cut_over (one transaction swapped the vectors,
-- built that index and made to_model the tenant's default) and cleaned (the old vectors are
-- gone). At most one migration of a tenant is in progress (embedding or indexed).
--
-- Owner-only, like cogdb.memory_counts: written by cogdb_admin's definer functions and read
-- across tenants (list_model_migrations), outside any tenant context; the app learns its own
-- tenant's migration through cogdb.migration_target().
CREATE TABLE cogdb.model_migrations (
    tenant_id   uuid NOT NULL REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    from_model  text NOT NULL REFERENCES cogdb.embedding_models (name),
    to_model    text NOT NULL REFERENCES cogdb.embedding_models (name),
    phase       text NOT NULL DEFAULT 'embedding'
                CHECK (phase IN ('embedding', 'indexed', 'cut_over', 'cleaned')),
    -- The keyset position: every memory of from_model with an id up to it has its vector.
    after_id    text NOT NULL DEFAULT '',
    embedded    bigint NOT NULL DEFAULT 0 CHECK (embedded >= 0),
    total       bigint NOT NULL DEFAULT 0 CHECK (total >= 0),
    started_at  timestamptz NOT NULL DEFAULT now(),
    cut_over_at timestamptz,
    cleaned_at  timestamptz,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT model_migrations_two_models CHECK (from_model <> to_model)
);
-- One migration in progress per tenant.
CREATE UNIQUE INDEX model_migrations_one_in_progress_idx ON cogdb.model_migrations (tenant_id)
    WHERE phase IN ('embedding', 'indexed');
ALTER TABLE cogdb.model_migrations ALTER COLUMN tenant_id SET STATISTICS 0;
ALTER TABLE cogdb.model_migrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.model_migrations FORCE ROW LEVEL SECURITY;
REVOKE ALL ON cogdb.model_migrations FROM PUBLIC;
COMMENT ON TABLE cogdb.model_migrations IS
    'The state of each re-embedding of a tenant (cogdb model migrate): phase embedding, indexed, cut_over or cleaned, and the keyset position of the last committed batch. Owner-only.';
-- <<< sql/tables/model_migrations.sql

-- >>> sql/tables/memory_embeddings.sql
-- A memory's vector of a second model, kept beside the one in cogdb.memories while the
-- tenant re-embeds (`cogdb model migrate`, docs/scale-out.md "Re-embedding without
-- downtime"): during the migration the new model's vectors, after the cutover the old
-- model's, until `cogdb model cleanup` deletes them. One row per memory and model; deleting
-- the memory (forget, the retention purge, a user's or tenant's deletion) deletes its rows,
-- and anonymising it blanks them (cogdb.anonymise_memories).
--
-- Unpartitioned: search never reads it (a search reads cogdb.memories, whose rows the cutover
-- swaps), so it needs no per-tenant ANN index; the new model's index is built on the
-- tenant's memories partition by the cutover (cogdb.cut_over_model_migration).
-- A row is visible when its memory is (policy memory_embeddings__visible_memory: a private
-- memory's vectors to its owner only); the migration's definer functions, run by an admin
-- inside the fence, handle every user's rows (memory_embeddings__migration, cogdb_owner).
CREATE TABLE cogdb.memory_embeddings (
    tenant_id   uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    memory_id   text NOT NULL,
    model       text NOT NULL REFERENCES cogdb.embedding_models (name),
    -- Any dimensions of a registered model: the functions that write it check them.
    embedding   public.vector NOT NULL CHECK (public.vector_norm(embedding) > 0),
    embedded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, memory_id, model),
    FOREIGN KEY (tenant_id, memory_id) REFERENCES cogdb.memories (tenant_id, id)
        ON DELETE CASCADE
);
-- The vectors of a 1024-d model are 4 kB: keep them inline, not TOASTed or compressed.
ALTER TABLE cogdb.memory_embeddings ALTER COLUMN embedding SET STORAGE PLAIN;
ALTER TABLE cogdb.memory_embeddings ALTER COLUMN memory_id SET STATISTICS 0;
-- No statistics on tenant_id: EXPLAIN (any login with SELECT) would estimate another
-- tenant's row count from them (docs/trust-model.md, known limits).
ALTER TABLE cogdb.memory_embeddings ALTER COLUMN tenant_id SET STATISTICS 0;
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.memory_id || '/' || r.model.
CREATE TRIGGER memory_embeddings_audit_inserts AFTER INSERT ON cogdb.memory_embeddings
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.memory_id || ''/'' || r.model');
CREATE TRIGGER memory_embeddings_audit_updates AFTER UPDATE ON cogdb.memory_embeddings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.memory_id || ''/'' || r.model');
CREATE TRIGGER memory_embeddings_audit_deletes AFTER DELETE ON cogdb.memory_embeddings
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.memory_id || ''/'' || r.model');
ALTER TABLE cogdb.memory_embeddings ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.memory_embeddings FORCE ROW LEVEL SECURITY;
-- The app reads the vectors of the memories it sees and writes none directly: the cutover
-- makes these vectors the memories' own, so a write goes through cogdb.remember_embeddings
-- (definer), which takes them only for memories the context user may change; everything
-- else is the migration's definer functions.
GRANT SELECT ON cogdb.memory_embeddings TO cogdb_app;
COMMENT ON TABLE cogdb.memory_embeddings IS
    'A memory''s vector of a second model while its tenant re-embeds (cogdb model migrate): the new model''s before the cutover, the old one''s after it until cleanup. Fenced by tenant (RLS); visible when the memory is.';
-- <<< sql/tables/memory_embeddings.sql

-- >>> sql/policies/model_migrations__registry_owner.sql
-- Migration states are read and written by the owner only (cogdb_admin's definer functions,
-- migration_target for the app's own tenant, `cogdb maintain`); no other role has any
-- privilege on the table.
DROP POLICY IF EXISTS model_migrations__registry_owner ON cogdb.model_migrations;
CREATE POLICY model_migrations__registry_owner ON cogdb.model_migrations
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/model_migrations__registry_owner.sql

-- >>> sql/policies/memory_embeddings__tenant_fence.sql
-- The tenant fence: a row of the context's tenant only, for reading and for writing.
DROP POLICY IF EXISTS memory_embeddings__tenant_fence ON cogdb.memory_embeddings;
CREATE POLICY memory_embeddings__tenant_fence ON cogdb.memory_embeddings
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/memory_embeddings__tenant_fence.sql

-- >>> sql/policies/memory_embeddings__visible_memory.sql
-- A memory's other vectors are visible (and writable) when the memory is: the memories'
-- own policies decide, so a private memory's vectors reach its owner only. Like
-- entity_observations__visible_entity, the memory is looked up in the context's tenant.
DROP POLICY IF EXISTS memory_embeddings__visible_memory ON cogdb.memory_embeddings;
CREATE POLICY memory_embeddings__visible_memory ON cogdb.memory_embeddings
    AS PERMISSIVE FOR ALL TO cogdb_app
    USING (EXISTS (SELECT FROM cogdb.memories m
                    WHERE m.tenant_id = (SELECT cogdb.current_tenant_id())
                      AND m.id = memory_embeddings.memory_id))
    WITH CHECK (EXISTS (SELECT FROM cogdb.memories m
                         WHERE m.tenant_id = (SELECT cogdb.current_tenant_id())
                           AND m.id = memory_embeddings.memory_id));
-- <<< sql/policies/memory_embeddings__visible_memory.sql

-- >>> sql/policies/memory_embeddings__migration.sql
-- The migration's definer functions (cogdb_admin's start/store/cut over/clean up, and
-- anonymise_memories) act on every user's rows of the tenant they entered; the restrictive
-- fence still holds them to that tenant. No other role has this.
DROP POLICY IF EXISTS memory_embeddings__migration ON cogdb.memory_embeddings;
CREATE POLICY memory_embeddings__migration ON cogdb.memory_embeddings
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/memory_embeddings__migration.sql

-- >>> sql/functions/search/ann_index_statement.sql
-- The CREATE INDEX statement of one tenant's HNSW index for one model (ann_index_name) on the
-- tenant's partition, over full-precision vectors cast to the model's dimensions, partial on
-- the model, with the deployment's search.hnsw_m and search.hnsw_ef_construction. The one
-- definition for `cogdb maintain` (plan_maintenance: CONCURRENTLY IF NOT EXISTS, in
-- autocommit) and a model migration's cutover (cut_over_model_migration: plain, inside its
-- transaction, so the index commits with the rows it serves). NULL for an unknown model.
CREATE OR REPLACE FUNCTION cogdb.ann_index_statement(tenant_id uuid, model text,
                                                     concurrently boolean)
    RETURNS text
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT format('CREATE INDEX %s%I ON cogdb.%I'
                  ' USING hnsw ((embedding::public.vector(%s)) public.vector_cosine_ops)'
                  ' WITH (m = %s, ef_construction = %s) WHERE model = %L',
                  CASE WHEN ann_index_statement.concurrently THEN 'CONCURRENTLY IF NOT EXISTS '
                       ELSE '' END,
                  cogdb.ann_index_name(ann_index_statement.tenant_id, ann_index_statement.model),
                  cogdb.partition_name(ann_index_statement.tenant_id), m.dimensions,
                  cogdb.int_setting('search.hnsw_m'),
                  cogdb.int_setting('search.hnsw_ef_construction'), ann_index_statement.model)
      FROM cogdb.embedding_models m WHERE m.name = ann_index_statement.model
$$;

REVOKE ALL ON FUNCTION cogdb.ann_index_statement(uuid, text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.ann_index_statement(uuid, text, boolean) IS
    'The CREATE INDEX statement of one tenant''s HNSW index for one model on its partition (maintain: concurrently; a migration''s cutover: in its transaction).';
-- <<< sql/functions/search/ann_index_statement.sql

-- >>> sql/functions/models/memories_partition.sql
-- The partition of cogdb.memories that holds one tenant's rows: its own (partition_name) once
-- `cogdb maintain` promoted it, else memories_default. The model migration's definer
-- functions read a tenant's memories there, as the owner (a partition's row security is
-- enabled but not forced): every user's memories, private ones included, which the parent's
-- policies would show only to their owners. Writes still go through the parent.
CREATE OR REPLACE FUNCTION cogdb.memories_partition(tenant_id uuid) RETURNS text
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN to_regclass(format('cogdb.%I', cogdb.partition_name(tenant_id))) IS NULL
                THEN 'memories_default' ELSE cogdb.partition_name(tenant_id) END
$$;

REVOKE ALL ON FUNCTION cogdb.memories_partition(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.memories_partition(uuid) IS
    'The partition of cogdb.memories holding one tenant''s rows: its own once promoted, else memories_default.';
-- <<< sql/functions/models/memories_partition.sql

-- >>> sql/functions/models/migration_in_progress.sql
-- The tenant's migration in progress (phase embedding or indexed) to `to_model`, locked FOR
-- UPDATE so batches, the cutover and a second `cogdb model migrate` of the same tenant take
-- turns; CGN01 naming to_model when there is none. The one check the migration's batch,
-- store, indexed and cutover functions share.
CREATE OR REPLACE FUNCTION cogdb.migration_in_progress(tenant_id uuid, to_model text)
    RETURNS cogdb.model_migrations
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_row cogdb.model_migrations;
BEGIN
    SELECT g.* INTO v_row FROM cogdb.model_migrations g
     WHERE g.tenant_id = tenant_id AND g.to_model = to_model
       AND g.phase IN ('embedding', 'indexed')
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'tenant % has no migration to model % in progress', tenant_id,
                        coalesce(quote_literal(to_model), 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'to_model',
                  HINT = 'Start one with `cogdb model migrate --tenant T --to MODEL`; `cogdb model migrations` lists them.';
    END IF;
    RETURN v_row;
END
$$;

REVOKE ALL ON FUNCTION cogdb.migration_in_progress(uuid, text) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.migration_in_progress(uuid, text) IS
    'The tenant''s migration in progress to to_model, locked FOR UPDATE; CGN01 when there is none.';
-- <<< sql/functions/models/migration_in_progress.sql

-- >>> sql/functions/models/migration_target.sql
-- The migration in progress of the context's tenant, if any: (from_model, to_model). While
-- there is one, remember/remember_many also embed each new memory of from_model with
-- to_model and store that vector with cogdb.remember_embeddings, in the same transaction.
-- Definer: model_migrations is owner-only; this reads the context tenant's row and no other.
CREATE OR REPLACE FUNCTION cogdb.migration_target()
    RETURNS TABLE (from_model text, to_model text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT g.from_model, g.to_model FROM cogdb.model_migrations g
     WHERE g.tenant_id = cogdb.current_tenant_id() AND g.phase IN ('embedding', 'indexed')
$$;

REVOKE ALL ON FUNCTION cogdb.migration_target() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.migration_target() TO cogdb_app;
COMMENT ON FUNCTION cogdb.migration_target() IS
    'The model migration in progress of the context''s tenant, if any: (from_model, to_model).';
-- <<< sql/functions/models/migration_target.sql

-- >>> sql/functions/models/migration_index_missing.sql
-- The ANN index a tenant's cutover to `to_model` has to build, or NULL when it builds none:
-- when the tenant's own partition has a valid index for from_model (search reads it today),
-- the index of to_model on that partition (ann_index_name) unless it exists and is valid
-- already. The cutover builds it inside its transaction, after the swap (one bulk build
-- instead of an HNSW insert per memory), so it commits together with the rows it serves and
-- search never reads the new model without its index.
CREATE OR REPLACE FUNCTION cogdb.migration_index_missing(tenant_id uuid, from_model text,
                                                         to_model text)
    RETURNS text
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT cogdb.ann_index_name(tenant_id, to_model)
     WHERE EXISTS (SELECT FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                    WHERE c.relname = cogdb.ann_index_name(tenant_id, from_model)
                      AND c.relnamespace = 'cogdb'::regnamespace AND i.indisvalid
                      AND i.indrelid = to_regclass(format('cogdb.%I', cogdb.partition_name(tenant_id))))
       AND NOT EXISTS (SELECT FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                        WHERE c.relname = cogdb.ann_index_name(tenant_id, to_model)
                          AND c.relnamespace = 'cogdb'::regnamespace AND i.indisvalid AND i.indisready
                          AND i.indrelid = to_regclass(format('cogdb.%I', cogdb.partition_name(tenant_id))))
$$;

REVOKE ALL ON FUNCTION cogdb.migration_index_missing(uuid, text, text) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.migration_index_missing(uuid, text, text) IS
    'The ANN index of the new model a tenant''s cutover has to build (its partition has one for the old model), or NULL.';
-- <<< sql/functions/models/migration_index_missing.sql

-- >>> sql/functions/models/check_model_vectors.sql
-- Nothing when `embeddings` pair up one to one with `ids` and each is a usable vector of
-- `model`'s dimensions; otherwise raises invalid_input (CGV01, COLUMN embeddings) naming the
-- first bad one (its position, its dimensions against the model's, or check_vector's reason),
-- with `hint` for a wrong size. The second vectors of a model migration come from the client
-- (remember_embeddings) and from the migration's batches (store_model_vectors): both check
-- them here, the same way. Owner-only: both are definer functions.
CREATE OR REPLACE FUNCTION cogdb.check_model_vectors(ids text[], model text,
                                                     embeddings public.vector[], hint text)
    RETURNS void
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_dims integer;
    v_bad integer;
BEGIN
    SELECT r.dimensions INTO v_dims FROM cogdb.resolve_model(model) r;
    IF coalesce(cardinality(ids), 0) <> coalesce(cardinality(embeddings), 0) THEN
        RAISE EXCEPTION '% ids but % embeddings; they must pair up one to one',
                        coalesce(cardinality(ids), 0), coalesce(cardinality(embeddings), 0)
            USING ERRCODE = 'CGV01', COLUMN = 'embeddings';
    END IF;
    SELECT u.ord INTO v_bad FROM unnest(embeddings) WITH ORDINALITY AS u(v, ord)
     WHERE u.v IS NULL OR public.vector_dims(u.v) <> v_dims OR NOT cogdb.vector_usable(u.v)
     ORDER BY u.ord LIMIT 1;
    IF v_bad IS NOT NULL THEN
        IF embeddings[v_bad] IS NOT NULL AND public.vector_dims(embeddings[v_bad]) <> v_dims THEN
            RAISE EXCEPTION 'embedding #% has % dimensions; model % needs %', v_bad,
                            public.vector_dims(embeddings[v_bad]), quote_literal(model), v_dims
                USING ERRCODE = 'CGV01', COLUMN = 'embeddings', HINT = hint;
        END IF;
        PERFORM cogdb.check_vector(embeddings[v_bad], 'embeddings');
    END IF;
END
$$;
REVOKE ALL ON FUNCTION cogdb.check_model_vectors(text[], text, public.vector[], text) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.check_model_vectors(text[], text, public.vector[], text) IS
    'Refuses (CGV01, naming the first bad one) second vectors that do not pair up with their ids or are not usable vectors of the model.';
-- <<< sql/functions/models/check_model_vectors.sql

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
-- tenant; (CGV01, COLUMN model) when no migration to `model` is in progress. Definer: reads
-- the tenant's memories partition like the migration's batches (cogdb.memories_partition).
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
    IF NOT EXISTS (SELECT FROM cogdb.migration_target() t WHERE t.to_model = model) THEN
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

-- >>> sql/functions/models/start_model_migration.sql
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
-- <<< sql/functions/models/start_model_migration.sql

-- >>> sql/functions/models/model_migration_batch.sql
-- The next keyset page of a migration: up to `batch` memories of the tenant's from_model,
-- with id after `after_id` (NULL: the migration's own after_id), ordered by id, that have no
-- vector of to_model yet, with the text the embedder reads (human_content, a newline,
-- assistant_content: what remember embeds). The caller embeds them and stores the vectors
-- with cogdb.store_model_vectors, which moves after_id in the same transaction. With
-- after_id '' it is the final pass: whatever is still missing, wherever it is. Reads the
-- tenant's partition as the owner (memories_partition), so private memories are included.
-- Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.model_migration_batch(tenant_id text, to_model text,
                                                       after_id text DEFAULT NULL,
                                                       batch integer DEFAULT 500)
    RETURNS TABLE (id text, content text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_row cogdb.model_migrations;
    v_saved text[];
BEGIN
    IF batch IS NULL OR batch NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'batch must be between 1 and 100000, got %', coalesce(batch::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'batch',
                  HINT = 'How many memories one transaction embeds; 500 is a good start.';
    END IF;
    v_row := cogdb.migration_in_progress(v_tenant, to_model);
    v_saved := cogdb.enter_tenant(v_tenant);
    RETURN QUERY EXECUTE format(
        'SELECT m.id, m.human_content || E''\n'' || m.assistant_content FROM cogdb.%I m'
        ' WHERE m.tenant_id = %L::uuid AND m.model = $1 AND m.id > $2'
        '   AND NOT EXISTS (SELECT FROM cogdb.memory_embeddings e WHERE e.tenant_id = %L::uuid'
        '                      AND e.memory_id = m.id AND e.model = $3)'
        ' ORDER BY m.id LIMIT $4',
        cogdb.memories_partition(v_tenant), v_tenant, v_tenant)
        USING v_row.from_model, coalesce(after_id, v_row.after_id), v_row.to_model, batch;
    PERFORM cogdb.restore_context(v_saved);
END
$$;

REVOKE ALL ON FUNCTION cogdb.model_migration_batch(text, text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.model_migration_batch(text, text, text, integer) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.model_migration_batch(text, text, text, integer) IS
    'The next keyset page of a model migration: memories of the old model without a vector of the new one, with the text to embed.';
-- <<< sql/functions/models/model_migration_batch.sql

-- >>> sql/functions/models/store_model_vectors.sql
-- One batch of a migration, one transaction: stores the to_model vectors of `ids` (one per
-- id, same order, checked against to_model's dimensions) ON CONFLICT DO NOTHING, so a batch
-- repeated after a crash changes nothing, and moves the migration's after_id to `after_id`
-- (never backwards) and its count. A memory anonymised meanwhile gets the fixed unit vector
-- anonymise_memories gives every anonymised memory; one forgotten meanwhile is skipped.
-- Returns how many vectors were stored. Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.store_model_vectors(tenant_id text, to_model text, ids text[],
                                                     embeddings public.vector[],
                                                     after_id text DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_row cogdb.model_migrations;
    v_saved text[];
    v_dims integer;
    v_n integer;
BEGIN
    v_row := cogdb.migration_in_progress(v_tenant, to_model);
    SELECT r.dimensions INTO v_dims FROM cogdb.resolve_model(to_model) r;
    PERFORM cogdb.check_model_vectors(ids, to_model, embeddings,
                                      'Embed with the model the migration goes to.');
    v_saved := cogdb.enter_tenant(v_tenant);
    EXECUTE format(
        'INSERT INTO cogdb.memory_embeddings (tenant_id, memory_id, model, embedding)'
        ' SELECT m.tenant_id, m.id, $1, CASE WHEN m.anonymised_at IS NULL THEN u.v'
        '        ELSE (''[1'' || repeat('',0'', $2 - 1) || '']'')::public.vector END'
        '   FROM unnest($3::text[], $4::public.vector[]) AS u(id, v)'
        '   JOIN cogdb.%I m ON m.tenant_id = %L::uuid AND m.id = u.id AND m.model = $5'
        ' ON CONFLICT (tenant_id, memory_id, model) DO NOTHING',
        cogdb.memories_partition(v_tenant), v_tenant)
        USING to_model, v_dims, ids, embeddings, v_row.from_model;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    UPDATE cogdb.model_migrations g
       SET after_id = greatest(g.after_id, coalesce(store_model_vectors.after_id, g.after_id)),
           embedded = g.embedded + v_n
     WHERE g.tenant_id = v_tenant AND g.id = v_row.id;
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_n;
END
$$;

REVOKE ALL ON FUNCTION cogdb.store_model_vectors(text, text, text[], public.vector[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_model_vectors(text, text, text[], public.vector[], text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.store_model_vectors(text, text, text[], public.vector[], text) IS
    'One batch of a model migration: stores the new model''s vectors (ON CONFLICT DO NOTHING) and moves the keyset position, in one transaction.';
-- <<< sql/functions/models/store_model_vectors.sql

-- >>> sql/functions/models/model_migration_indexed.sql
-- Moves a migration from phase embedding to indexed: every memory of the old model has its
-- new vector (the batch pass ended), and the ANN index the tenant needs for the new model is
-- settled: valid already, or planned for the cutover, which builds it in its own transaction
-- (migration_index_missing). Returns the migration with index_to_build, the name of that
-- index (NULL: none needed). `cogdb model migrate` calls it after the batches. Definer for
-- cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.model_migration_indexed(tenant_id text, to_model text)
    RETURNS TABLE (phase text, embedded bigint, total bigint, index_to_build text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_row cogdb.model_migrations := cogdb.migration_in_progress(v_tenant, to_model);
BEGIN
    UPDATE cogdb.model_migrations g SET phase = 'indexed'
     WHERE g.tenant_id = v_tenant AND g.id = v_row.id RETURNING g.* INTO v_row;
    RETURN QUERY SELECT v_row.phase, v_row.embedded, v_row.total,
                        cogdb.migration_index_missing(v_tenant, v_row.from_model, to_model);
END
$$;

REVOKE ALL ON FUNCTION cogdb.model_migration_indexed(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.model_migration_indexed(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.model_migration_indexed(text, text) IS
    'Moves a model migration to phase indexed (every memory embedded) and names the ANN index its cutover will build, if any.';
-- <<< sql/functions/models/model_migration_indexed.sql

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
-- <<< sql/functions/models/cut_over_model_migration.sql

-- >>> sql/functions/models/cleanup_model_embeddings.sql
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
-- <<< sql/functions/models/cleanup_model_embeddings.sql

-- >>> sql/functions/models/list_model_migrations.sql
-- The model migrations of one tenant (or of every tenant), newest first: phase, models,
-- keyset position and counts (`cogdb model migrations`). Definer for cogdb_admin:
-- model_migrations is owner-only.
CREATE OR REPLACE FUNCTION cogdb.list_model_migrations(tenant_id text DEFAULT NULL)
    RETURNS SETOF cogdb.model_migrations
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := CASE WHEN tenant_id IS NOT NULL THEN cogdb.known_tenant(tenant_id) END;
BEGIN
    RETURN QUERY SELECT g.* FROM cogdb.model_migrations g
                  WHERE v_tenant IS NULL OR g.tenant_id = v_tenant
                  ORDER BY g.started_at DESC, g.id DESC;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_model_migrations(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_model_migrations(text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.list_model_migrations(text) IS
    'The model migrations of one tenant (or every tenant), newest first, with phase and progress.';
-- <<< sql/functions/models/list_model_migrations.sql

-- >>> sql/functions/gdpr/anonymise_memories.sql
-- Anonymises memories of a tenant by id and returns how many: keeps the row (id, owner,
-- visibility, type, source, times, session, counts) and sets human_content '',
-- assistant_content '[anonymised]', summary, conversation_id and cluster_label NULL, tags [],
-- metadata {}, the embedding a fixed unit vector (the text could be approximated from it)
-- and anonymised_at now(); an offloaded context's full text becomes '[anonymised]' too, and
-- the memory's other vectors (memory_embeddings, a model migration's) the same unit vector. The
-- one definition of "anonymise a memory" (docs/conventions.md rule 3): retention's anonymise
-- action (cogdb.purge_retention), cogdb.anonymise_user and cogdb.erase_user call it. Runs
-- in the caller's context, whose user must own the memories (memories__owner_updates) or
-- they must be ownerless; names the tenant as a constant (planned per call).
CREATE OR REPLACE FUNCTION cogdb.anonymise_memories(tenant uuid, ids text[]) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_n integer;
BEGIN
    UPDATE cogdb.memories m
       SET human_content = '', assistant_content = '[anonymised]', summary = NULL,
           conversation_id = NULL, cluster_label = NULL, tags = '[]', metadata = '{}',
           embedding = ('[1' || repeat(',0', public.vector_dims(m.embedding) - 1)
                        || ']')::public.vector,
           anonymised_at = now()
     WHERE m.tenant_id = tenant AND m.id = ANY (ids);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    UPDATE cogdb.memory_embeddings e
       SET embedding = ('[1' || repeat(',0', public.vector_dims(e.embedding) - 1)
                        || ']')::public.vector
     WHERE e.tenant_id = tenant AND e.memory_id = ANY (ids);
    UPDATE cogdb.offloaded_contexts o
       SET content = '[anonymised]'
     WHERE o.tenant_id = tenant AND o.memory_id = ANY (ids) AND o.content <> '[anonymised]';
    RETURN v_n;
END
$$;

REVOKE ALL ON FUNCTION cogdb.anonymise_memories(uuid, text[]) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.anonymise_memories(uuid, text[]) IS
    'Anonymises memories by id (content, summary, tags, metadata and embedding removed, anonymised_at set; offloaded text too): the one rule retention and the GDPR functions share.';
-- <<< sql/functions/gdpr/anonymise_memories.sql

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
--                 hysteresis keeps a tenant near the threshold from flapping)
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

-- >>> sql/functions/governance/policy_report_allowlist.sql
-- The tables of schema cogdb that the DBA report (policy_report) exempts, with the reason.
-- exempt = 'rls': a global registry without tenant data and without row-level security;
-- exempt = 'fence': row security enabled and forced, but no tenant fence (the table is not
-- per-tenant, or it is owner-only: RLS forced, one policy for cogdb_owner, no grants, read
-- only through definer functions that filter the tenant themselves; see docs/trust-model.md).
-- A table added later is on neither list, so the report flags it until it is fenced.
CREATE OR REPLACE FUNCTION cogdb.policy_report_allowlist()
    RETURNS TABLE (table_name text, exempt text, reason text)
    LANGUAGE sql IMMUTABLE SECURITY INVOKER
AS $$
    VALUES
      ('settings', 'rls', 'deployment-wide settings (search.max_k, default_model); no tenant data'),
      ('embedding_models', 'rls', 'admin-managed registry of embedding models, shared by all tenants'),
      ('vocabularies', 'rls', 'admin-managed allowed values of enumerated memory fields, shared by all tenants'),
      ('alembic_version', 'rls', 'Alembic''s bookkeeping (one revision id)'),
      ('tenants', 'fence', 'the tenant registry: each row is a tenant, the app reads its own row only (tenants__own_row); provisioning is definer'),
      ('identities', 'fence', 'owner-only: the global directory of logins (auth_provider, external_id), resolved before any context exists'),
      ('memory_counts', 'fence', 'owner-only: append-only tenant sizes that cogdb maintain reads across tenants'),
      ('model_migrations', 'fence', 'owner-only: each tenant''s model migration state, written and listed across tenants by cogdb_admin''s definer functions; the app reads its own row through migration_target()'),
      ('text_index', 'fence', 'owner-only: the full-text index (a GIN index is unusable under an RLS condition); text_candidates filters the tenant itself'),
      ('tenant_stats', 'fence', 'owner-only: append-only per-tenant counters, read for one tenant by stats()/tenant_stats()'),
      ('memory_accesses', 'fence', 'owner-only: append-only access log folded into memories by cogdb maintain'),
      ('audit_heads', 'fence', 'owner-only: each tenant''s audit chain head, locked and advanced by audit_append, which names the tenant'),
      ('audit_pending', 'fence', 'owner-only: audit records of transactions in flight, chained at their commit by audit_flush'),
      ('federated_sessions', 'fence', 'owner-only: a federated session spans tenants; read and written by the federated definer functions, which never return the opening tenant''s id to another'),
      ('federated_participants', 'fence', 'owner-only: which tenants take part in which federated session, enumerated across tenants by the aggregate definer functions; a tenant reads its own participation through list_federated_sessions')
$$;

REVOKE ALL ON FUNCTION cogdb.policy_report_allowlist() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.policy_report_allowlist() TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.policy_report_allowlist() IS
    'The tables of schema cogdb that the DBA report exempts from row security (rls) or from the tenant fence (fence), with the reason.';
-- <<< sql/functions/governance/policy_report_allowlist.sql

RESET ROLE;
