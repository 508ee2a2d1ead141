-- Creates or updates the entity keyed (system, external_id) and returns its id, whether this
-- call created it, and its update_count. system '' (the default) keys the entity by name: external_id
-- is the name, as assistants name entities. On an existing entity:
--   data          merged with cogdb.jsonb_merge: nested objects key by key (recursively),
--                 everything else (scalars, lists, a conflict of types such as an object
--                 replaced by a scalar) replaced by the newer value; nothing else is lost;
--   entity_type, name, visibility, embedding
--                 replaced when given, kept when NULL;
--   observations  added, each kept once (cogdb.entity_observations);
--   update_count  +1 for every upsert; last_seen = now().
-- Race-free: one INSERT … ON CONFLICT DO UPDATE, so concurrent upserts of one key each merge
-- into the latest version and none is lost. The key of a merged entity (an alias) updates its
-- survivor. A key taken by an entity the caller cannot see (another user's private one) is
-- refused with CGA02, which tells the caller the key is taken (docs/trust-model.md, known
-- limits).
CREATE OR REPLACE FUNCTION cogdb.upsert_entity(external_id text, system text DEFAULT '',
                                               entity_type text DEFAULT NULL,
                                               name text DEFAULT NULL,
                                               data jsonb DEFAULT NULL,
                                               observations text[] DEFAULT NULL,
                                               visibility text DEFAULT NULL,
                                               embedding public.vector DEFAULT NULL,
                                               model text DEFAULT NULL)
    RETURNS TABLE (id text, created boolean, update_count bigint)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    p_external constant text := upsert_entity.external_id;
    p_system constant text := coalesce(upsert_entity.system, '');
    p_type constant text := upsert_entity.entity_type;
    p_name constant text := upsert_entity.name;
    p_data constant jsonb := upsert_entity.data;
    p_visibility constant text := upsert_entity.visibility;
    p_embedding constant public.vector := upsert_entity.embedding;
    v_model text;
    v_id text;
    v_target text;
    v_count bigint;
    v_created boolean;
BEGIN
    PERFORM cogdb.require_tenant('writing entities');
    IF p_external IS NULL OR length(p_external) NOT BETWEEN 1 AND 500 THEN
        RAISE EXCEPTION 'external_id (the name, for name-keyed entities) must be 1-500 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'external_id',
                  HINT = 'e.g. cogdb.upsert_entity(''Acme Corp'', entity_type => ''customer'')';
    END IF;
    IF p_system <> '' AND p_system !~ '^[a-z0-9][a-z0-9_.-]{0,63}$' THEN
        RAISE EXCEPTION 'system must be '''' (name-keyed) or 1-64 of a-z 0-9 _ . - starting with a letter or digit, got %',
                        quote_literal(left(p_system, 60))
            USING ERRCODE = 'CGV01', COLUMN = 'system',
                  HINT = 'e.g. crm, github, jira; leave it out to key the entity by its name.';
    END IF;
    IF p_visibility IS NOT NULL AND p_visibility NOT IN ('private', 'tenant') THEN
        RAISE EXCEPTION 'visibility must be private or tenant, got %', quote_literal(left(p_visibility, 60))
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'private: the context''s user only; tenant: everyone in the tenant.';
    END IF;
    IF p_data IS NOT NULL AND jsonb_typeof(p_data) <> 'object' THEN
        RAISE EXCEPTION 'data must be a JSON object, got %', jsonb_typeof(p_data)
            USING ERRCODE = 'CGV01', COLUMN = 'data',
                  HINT = 'e.g. {"plan": "enterprise", "address": {"city": "Berlin"}}';
    END IF;
    IF EXISTS (SELECT FROM unnest(observations) o
                WHERE o IS NULL OR length(btrim(o)) NOT BETWEEN 1 AND 2000) THEN
        RAISE EXCEPTION 'each observation must be 1-2000 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'observations',
                  HINT = 'An observation is one short fact, e.g. ''prefers email''.';
    END IF;
    IF p_embedding IS NOT NULL THEN
        v_model := (cogdb.resolve_model(upsert_entity.model)).name;
    END IF;
    v_id := cogdb.entity_id_for(p_system, p_external);

    BEGIN
        LOOP
            SELECT e.merged_into INTO v_target FROM cogdb.entities e
             WHERE e.tenant_id = cogdb.current_tenant_id() AND e.id = v_id;
            IF v_target IS NOT NULL THEN  -- an alias: the survivor takes the upsert
                UPDATE cogdb.entities e
                   SET entity_type = coalesce(p_type, e.entity_type), name = coalesce(p_name, e.name),
                       data = cogdb.jsonb_merge(e.data, p_data),
                       visibility = coalesce(p_visibility, e.visibility),
                       update_count = e.update_count + 1, last_seen = greatest(e.last_seen, now()),
                       model = CASE WHEN p_embedding IS NULL THEN e.model ELSE v_model END,
                       embedding = coalesce(p_embedding, e.embedding)
                 WHERE e.tenant_id = cogdb.current_tenant_id() AND e.id = v_target
                   AND e.merged_into IS NULL
                RETURNING e.update_count INTO v_count;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'the key % was merged into an entity this context cannot see',
                                    quote_literal(left(p_external, 60))
                        USING ERRCODE = 'CGA02', COLUMN = 'external_id',
                              HINT = 'Upsert it in the context of the survivor''s owner.';
                END IF;
                v_created := false;
                v_id := v_target;
                EXIT;
            END IF;
            INSERT INTO cogdb.entities AS e (id, system, external_id, entity_type, name, data,
                                             visibility, model, embedding)
            VALUES (v_id, p_system, p_external, coalesce(p_type, 'thing'), coalesce(p_name, p_external),
                    coalesce(p_data, '{}'), coalesce(p_visibility, 'tenant'), v_model, p_embedding)
            ON CONFLICT ON CONSTRAINT entities_pkey DO UPDATE
               SET entity_type = coalesce(p_type, e.entity_type), name = coalesce(p_name, e.name),
                   data = cogdb.jsonb_merge(e.data, p_data),
                   visibility = coalesce(p_visibility, e.visibility),
                   update_count = e.update_count + 1, last_seen = greatest(e.last_seen, now()),
                   model = CASE WHEN p_embedding IS NULL THEN e.model ELSE v_model END,
                   embedding = coalesce(p_embedding, e.embedding)
             WHERE e.merged_into IS NULL
            RETURNING e.update_count, e.xmax = 0 INTO v_count, v_created;
            EXIT WHEN FOUND;
            -- The key became an alias after the first look (a concurrent merge): go again.
        END LOOP;
    EXCEPTION WHEN insufficient_privilege THEN
        -- ON CONFLICT met a row that the update policy hides: another user's private entity.
        RAISE EXCEPTION 'the key % is taken by an entity this context cannot see',
                        quote_literal(left(p_external, 60))
            USING ERRCODE = 'CGA02', COLUMN = 'external_id',
                  HINT = 'Keys are unique in the tenant; use another key or system.';
    END;

    IF observations IS NOT NULL THEN
        INSERT INTO cogdb.entity_observations AS o (entity_id, observation)
        SELECT v_id, x.observation
          FROM (SELECT btrim(u.o) AS observation, min(u.n) AS n
                  FROM unnest(observations) WITH ORDINALITY AS u(o, n) GROUP BY 1) x
         ORDER BY x.n
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN QUERY SELECT v_id, v_created, v_count;
END
$$;

REVOKE ALL ON FUNCTION cogdb.upsert_entity(text, text, text, text, jsonb, text[], text, public.vector, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.upsert_entity(text, text, text, text, jsonb, text[], text, public.vector, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.upsert_entity(text, text, text, text, jsonb, text[], text, public.vector, text) IS
    'Creates or updates the entity keyed (system, external_id), merging its data key by key; race-free, every upsert counted.';
