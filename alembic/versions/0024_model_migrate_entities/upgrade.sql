-- cogdb revision 0024 (model_migrate_entities): written by `python -m tools.freeze 0024` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> sql/tables/entity_embeddings.sql
-- An entity's vector of a second model, kept beside the one in cogdb.entities while the
-- tenant re-embeds (`cogdb model migrate`, docs/scale-out.md "Re-embedding without
-- downtime"), as cogdb.memory_embeddings does for memories: during the migration the new
-- model's vectors, after the cutover the old model's, until `cogdb model cleanup` deletes
-- them. One row per entity and model; deleting the entity (forget_entity, a user's erasure,
-- the purge of private knowledge, a tenant's deletion) deletes its rows.
--
-- source_digest: md5 of the entity's embedding (as text) when this vector was made. An
-- entity's embedding can change during the migration (upsert_entity replaces it); a vector
-- of the new model made from the old state is then stale, and the cutover counts it as
-- missing (cogdb.cut_over_model_migration) until the final pass embeds the entity again.
--
-- Unpartitioned and without an ANN index: hybrid search scans the tenant's entities of the
-- query's model exactly, and reads cogdb.entities, whose rows the cutover swaps.
-- A row is visible when its entity is (policy entity_embeddings__visible_entity: a private
-- entity's vectors to its owner only); the migration's definer functions, run by an admin
-- inside the fence, handle every user's rows (entity_embeddings__migration, cogdb_owner).
CREATE TABLE cogdb.entity_embeddings (
    tenant_id     uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    entity_id     text NOT NULL,
    model         text NOT NULL REFERENCES cogdb.embedding_models (name),
    -- Any dimensions of a registered model: the functions that write it check them.
    embedding     public.vector NOT NULL CHECK (public.vector_norm(embedding) > 0),
    source_digest uuid NOT NULL,
    embedded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, entity_id, model),
    FOREIGN KEY (tenant_id, entity_id) REFERENCES cogdb.entities (tenant_id, id)
        ON DELETE CASCADE
);
ALTER TABLE cogdb.entity_embeddings ALTER COLUMN embedding SET STORAGE PLAIN;
ALTER TABLE cogdb.entity_embeddings ALTER COLUMN entity_id SET STATISTICS 0;
-- No statistics on tenant_id: EXPLAIN (any login with SELECT) would estimate another
-- tenant's row count from them (docs/trust-model.md, known limits).
ALTER TABLE cogdb.entity_embeddings ALTER COLUMN tenant_id SET STATISTICS 0;
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.entity_id || '/' || r.model.
CREATE TRIGGER entity_embeddings_audit_inserts AFTER INSERT ON cogdb.entity_embeddings
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.entity_id || ''/'' || r.model');
CREATE TRIGGER entity_embeddings_audit_updates AFTER UPDATE ON cogdb.entity_embeddings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.entity_id || ''/'' || r.model');
CREATE TRIGGER entity_embeddings_audit_deletes AFTER DELETE ON cogdb.entity_embeddings
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.entity_id || ''/'' || r.model');
ALTER TABLE cogdb.entity_embeddings ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.entity_embeddings FORCE ROW LEVEL SECURITY;
-- The app reads the vectors of the entities it sees and writes none directly: the cutover
-- makes these vectors the entities' own, so a write goes through
-- cogdb.remember_entity_embeddings (definer), which takes them only for entities the context
-- user may change; everything else is the migration's definer functions.
GRANT SELECT ON cogdb.entity_embeddings TO cogdb_app;
COMMENT ON TABLE cogdb.entity_embeddings IS
    'An entity''s vector of a second model while its tenant re-embeds (cogdb model migrate): the new model''s before the cutover, the old one''s after it until cleanup. Fenced by tenant (RLS); visible when the entity is.';
-- <<< sql/tables/entity_embeddings.sql

-- >>> sql/policies/entity_embeddings__tenant_fence.sql
-- The tenant fence: a row of the context's tenant only, for reading and for writing.
DROP POLICY IF EXISTS entity_embeddings__tenant_fence ON cogdb.entity_embeddings;
CREATE POLICY entity_embeddings__tenant_fence ON cogdb.entity_embeddings
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/entity_embeddings__tenant_fence.sql

-- >>> sql/policies/entity_embeddings__visible_entity.sql
-- An entity's other vectors are visible when the entity is: the entities' own policies
-- decide, so a private entity's vectors reach its owner only. Like
-- memory_embeddings__visible_memory, the entity is looked up in the context's tenant.
DROP POLICY IF EXISTS entity_embeddings__visible_entity ON cogdb.entity_embeddings;
CREATE POLICY entity_embeddings__visible_entity ON cogdb.entity_embeddings
    AS PERMISSIVE FOR ALL TO cogdb_app
    USING (EXISTS (SELECT FROM cogdb.entities n
                    WHERE n.tenant_id = (SELECT cogdb.current_tenant_id())
                      AND n.id = entity_embeddings.entity_id))
    WITH CHECK (EXISTS (SELECT FROM cogdb.entities n
                         WHERE n.tenant_id = (SELECT cogdb.current_tenant_id())
                           AND n.id = entity_embeddings.entity_id));
-- <<< sql/policies/entity_embeddings__visible_entity.sql

-- >>> sql/policies/entity_embeddings__migration.sql
-- The migration's definer functions (cogdb_admin's start/store/cut over/clean up, and
-- remember_entity_embeddings, which checks the entity itself) act on every user's rows of the
-- tenant they entered; the restrictive fence still holds them to that tenant. No other role
-- has this.
DROP POLICY IF EXISTS entity_embeddings__migration ON cogdb.entity_embeddings;
CREATE POLICY entity_embeddings__migration ON cogdb.entity_embeddings
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/entity_embeddings__migration.sql

-- >>> sql/functions/models/private_entity_owners.sql
-- The users of `tenant_id` who own private entities, in id order. FORCE RLS fences the owner
-- too, and a private entity is visible to its owner only (entities__visible_to_user), so a
-- definer that must handle every entity of a tenant (a model migration's batches and
-- cutover) reads the tenant-visible ones in the tenant's context without a user and then
-- each of these owners' in that owner's context. Read from the owner-only text index, which
-- the entities' triggers keep (index_text: every entity has its row, with its owner and
-- visibility), so a tenant's many users without private entities cost nothing. Call it inside
-- the tenant's context (the text index's fence). Owner-only.
CREATE OR REPLACE FUNCTION cogdb.private_entity_owners(tenant_id uuid) RETURNS uuid[]
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(DISTINCT x.owner_user_id ORDER BY x.owner_user_id), '{}')
      FROM cogdb.text_index x
     WHERE x.tenant_id = private_entity_owners.tenant_id AND x.entity_id IS NOT NULL
       AND x.visibility = 'private' AND x.owner_user_id IS NOT NULL
$$;

REVOKE ALL ON FUNCTION cogdb.private_entity_owners(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.private_entity_owners(uuid) IS
    'The users of a tenant who own private entities (from the text index), for definers that handle every entity of the tenant one owner''s context at a time.';
-- <<< sql/functions/models/private_entity_owners.sql

-- >>> sql/functions/models/entity_migration_batch.sql
-- The next page of a migration's entities: up to `batch` entities of the tenant whose
-- embedding is of the migration's from_model and that have no current vector of to_model
-- (none, or one made from an earlier embedding: entity_embeddings.source_digest differs),
-- with the text the embedder reads (the name, then the observations in the order they were
-- added, one per line: what upsert_entity(embed=True) embeds) and the digest of the
-- embedding it replaces, which the caller hands back to cogdb.store_entity_vectors. No keyset
-- position: what is stored drops out of the next page, so a killed run starts again and
-- skips it. FORCE RLS fences the owner too, so it reads the tenant-visible entities in the
-- tenant's context without a user, then the private ones of each of their owners
-- (private_entity_owners) in that owner's context. Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.entity_migration_batch(tenant_id text, to_model text,
                                                        batch integer DEFAULT 500)
    RETURNS TABLE (id text, content text, source_digest uuid)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_row cogdb.model_migrations;
    v_saved text[];
    v_user uuid;
    v_left integer := batch;
    v_n integer;
BEGIN
    IF batch IS NULL OR batch NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'batch must be between 1 and 100000, got %', coalesce(batch::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'batch',
                  HINT = 'How many entities one transaction embeds; 500 is a good start.';
    END IF;
    v_row := cogdb.migration_in_progress(v_tenant, to_model);
    v_saved := cogdb.enter_tenant(v_tenant);
    FOR v_user IN SELECT NULL::uuid UNION ALL SELECT unnest(cogdb.private_entity_owners(v_tenant))
    LOOP
        EXIT WHEN v_left <= 0;
        PERFORM cogdb.enter_tenant(v_tenant, v_user);
        RETURN QUERY
        SELECT n.id,
               concat_ws(E'\n', VARIADIC n.name || ARRAY(
                   SELECT o.observation FROM cogdb.entity_observations o
                    WHERE o.tenant_id = v_tenant AND o.entity_id = n.id
                    ORDER BY o.created_at, o.observation)),
               md5(n.embedding::text)::uuid
          FROM cogdb.entities n
         WHERE n.tenant_id = v_tenant AND n.model = v_row.from_model
           AND (CASE WHEN v_user IS NULL THEN n.visibility = 'tenant'
                     ELSE n.visibility = 'private' AND n.owner_user_id = v_user END)
           AND NOT EXISTS (SELECT FROM cogdb.entity_embeddings e
                            WHERE e.tenant_id = v_tenant AND e.entity_id = n.id
                              AND e.model = v_row.to_model
                              AND e.source_digest = md5(n.embedding::text)::uuid)
         ORDER BY n.id LIMIT v_left;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_left := v_left - v_n;
    END LOOP;
    PERFORM cogdb.restore_context(v_saved);
END
$$;

REVOKE ALL ON FUNCTION cogdb.entity_migration_batch(text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.entity_migration_batch(text, text, integer) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.entity_migration_batch(text, text, integer) IS
    'The next page of a model migration''s entities: those of the old model without a current vector of the new one, with the text to embed and the digest of the embedding it replaces.';
-- <<< sql/functions/models/entity_migration_batch.sql

-- >>> sql/functions/models/store_entity_vectors.sql
-- One batch of a migration's entities, one transaction: stores the to_model vectors of
-- `ids` (one per id, same order, checked against to_model's dimensions: check_model_vectors)
-- with the digests entity_migration_batch gave (`source_digests`: of the embedding each
-- vector replaces). A row already there is replaced only when its digest differs (it was made
-- from an earlier embedding), so a batch repeated after a crash changes nothing. An entity
-- whose embedding changed since the batch read it keeps a stale digest: the cutover counts it
-- as missing and the final pass embeds it again. Returns how many vectors were stored.
-- Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.store_entity_vectors(tenant_id text, to_model text, ids text[],
                                                      embeddings public.vector[],
                                                      source_digests uuid[])
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
    v_n integer;
BEGIN
    v_row := cogdb.migration_in_progress(v_tenant, to_model);
    PERFORM cogdb.check_model_vectors(ids, to_model, embeddings,
                                      'Embed with the model the migration goes to.');
    IF coalesce(cardinality(source_digests), 0) <> coalesce(cardinality(ids), 0)
       OR array_position(source_digests, NULL) IS NOT NULL THEN
        RAISE EXCEPTION '% ids but % digests; each id needs the digest entity_migration_batch gave',
                        coalesce(cardinality(ids), 0), coalesce(cardinality(source_digests), 0)
            USING ERRCODE = 'CGV01', COLUMN = 'source_digests';
    END IF;
    v_saved := cogdb.enter_tenant(v_tenant);
    -- The foreign key refuses an id that is no entity of the tenant (23503).
    INSERT INTO cogdb.entity_embeddings AS e (tenant_id, entity_id, model, embedding, source_digest)
    SELECT DISTINCT ON (u.id) v_tenant, u.id, to_model, u.v, u.d   -- an id twice: its last
      FROM unnest(ids, embeddings, source_digests) WITH ORDINALITY AS u(id, v, d, ord)
     ORDER BY u.id, u.ord DESC
    ON CONFLICT ON CONSTRAINT entity_embeddings_pkey
    DO UPDATE SET embedding = EXCLUDED.embedding, source_digest = EXCLUDED.source_digest,
                  embedded_at = EXCLUDED.embedded_at
     WHERE e.source_digest <> EXCLUDED.source_digest;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_n;
END
$$;

REVOKE ALL ON FUNCTION cogdb.store_entity_vectors(text, text, text[], public.vector[], uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.store_entity_vectors(text, text, text[], public.vector[], uuid[]) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.store_entity_vectors(text, text, text[], public.vector[], uuid[]) IS
    'One batch of a model migration''s entities: stores the new model''s vectors with the digest of the embedding each replaces.';
-- <<< sql/functions/models/store_entity_vectors.sql

-- >>> sql/functions/models/remember_entity_embeddings.sql
-- Stores the second vectors of entities the caller just upserted with an embedding of the
-- migration's from_model, while its tenant migrates to `model` (cogdb.migration_target): the
-- Python client calls it right after upsert_entity, in the same transaction, so an entity
-- embedded during a migration has both vectors at commit. One vector per id, same order;
-- each is checked (check_model_vectors). It replaces a vector stored earlier for the entity
-- (the new one is made from the entity's latest text) and records the digest of the
-- entity's embedding now (entity_embeddings.source_digest). An entity whose embedding is not
-- of the migration's from_model is skipped. Returns how many were stored.
--
-- The app's only way to write cogdb.entity_embeddings (it has SELECT there): the cutover
-- makes these vectors the entities' own, so a second vector may only be given for an entity
-- the context user may change, which for entities is one it sees (entities__visible_to_user
-- is the one permissive policy, for every command): tenant-visible ones, and its own private
-- ones. Refuses (42501, naming the first id) any other id, and any id that is not an entity
-- of the context's tenant; (CGV01, COLUMN model) when no migration to `model` is in progress.
-- Definer: entity_embeddings is written by definers only; it reads the entities as the
-- context's user, so their policies decide what it may change.
CREATE OR REPLACE FUNCTION cogdb.remember_entity_embeddings(ids text[], model text,
                                                            embeddings public.vector[])
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.require_tenant('writing entities');
    v_from text;
    v_refused text;
    v_n integer;
BEGIN
    SELECT t.from_model INTO v_from FROM cogdb.migration_target() t WHERE t.to_model = model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the tenant is not migrating to model %', coalesce(quote_literal(model), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'model',
                  HINT = 'Only a migration in progress (cogdb model migrate) takes a second vector.';
    END IF;
    PERFORM cogdb.check_model_vectors(ids, model, embeddings, 'Embed with the model named.');
    -- The first id that is not an entity this user sees (and so may change): refused.
    SELECT u.id INTO v_refused FROM unnest(ids) WITH ORDINALITY AS u(id, ord)
     WHERE NOT EXISTS (SELECT FROM cogdb.entities n WHERE n.tenant_id = v_tenant AND n.id = u.id)
     ORDER BY u.ord LIMIT 1;
    IF v_refused IS NOT NULL THEN
        RAISE EXCEPTION 'entity % is not one whose embedding this user may change', quote_literal(v_refused)
            USING ERRCODE = '42501', COLUMN = 'ids',
                  HINT = 'A second vector is for an entity the context user just upserted: a tenant-visible one, or their own private one.';
    END IF;
    -- An id given twice: its last vector.
    INSERT INTO cogdb.entity_embeddings AS e (tenant_id, entity_id, model, embedding, source_digest)
    SELECT DISTINCT ON (n.id) v_tenant, n.id, model, u.v, md5(n.embedding::text)::uuid
      FROM unnest(ids, embeddings) WITH ORDINALITY AS u(id, v, ord)
      JOIN cogdb.entities n ON n.tenant_id = v_tenant AND n.id = u.id AND n.model = v_from
     ORDER BY n.id, u.ord DESC
    ON CONFLICT ON CONSTRAINT entity_embeddings_pkey
    DO UPDATE SET embedding = EXCLUDED.embedding, source_digest = EXCLUDED.source_digest,
                  embedded_at = EXCLUDED.embedded_at;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

REVOKE ALL ON FUNCTION cogdb.remember_entity_embeddings(text[], text, public.vector[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.remember_entity_embeddings(text[], text, public.vector[]) TO cogdb_app;
COMMENT ON FUNCTION cogdb.remember_entity_embeddings(text[], text, public.vector[]) IS
    'Stores the second vectors (model = the migration''s target) of entities the context user may change, while the tenant migrates; returns how many.';
-- <<< sql/functions/models/remember_entity_embeddings.sql

-- >>> sql/functions/models/start_model_migration.sql
-- Starts re-embedding a tenant's memories with `to_model` (`cogdb model migrate`,
-- docs/scale-out.md), or returns the migration of the tenant to `to_model` already in
-- progress (a run that was killed resumes from its after_id). from_model is the tenant's
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
-- cut_over. Definer for cogdb_admin.
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
        'from_model', v_row.from_model, 'to_model', to_model, 'memories', v_n,
        'entities', v_swapped));
    PERFORM cogdb.restore_context(v_saved);
    RETURN NEXT v_row;
END
$$;

REVOKE ALL ON FUNCTION cogdb.cut_over_model_migration(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.cut_over_model_migration(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.cut_over_model_migration(text, text) IS
    'The cutover of a model migration, one transaction: refuses (CGM01) unless every memory and entity of the old model has its new vector; then swaps the vectors and makes the new model the tenant''s default.';
-- <<< sql/functions/models/cut_over_model_migration.sql

-- >>> sql/functions/models/cleanup_model_embeddings.sql
-- One batch of `cogdb model cleanup`: deletes at most `batch` of the tenant's kept vectors of
-- `model` from memory_embeddings, then from entity_embeddings (after a cutover: the old
-- model's) and says whether to call
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

-- >>> sql/functions/scale/distribution_plan.sql
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
-- <<< sql/functions/scale/distribution_plan.sql

RESET ROLE;
