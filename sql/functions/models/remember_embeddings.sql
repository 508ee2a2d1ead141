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
