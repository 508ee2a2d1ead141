-- cogdb revision 0005 (first_hour): downgrade, written by `python -m tools.freeze 0005` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> step 30_comments.down.sql
COMMENT ON TABLE cogdb.settings IS NULL;
COMMENT ON TABLE cogdb.embedding_models IS NULL;
COMMENT ON TABLE cogdb.tenants IS NULL;
COMMENT ON TABLE cogdb.users IS NULL;
COMMENT ON TABLE cogdb.identities IS NULL;
COMMENT ON TABLE cogdb.memories IS NULL;
COMMENT ON TABLE cogdb.memory_counts IS NULL;
-- <<< step 30_comments.down.sql

REVOKE ALL ON FUNCTION cogdb.plan_maintenance() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.plan_maintenance() IS NULL;
-- sql/functions/search/plan_maintenance.sql as frozen in revision 0003
-- What `cogdb maintain` should do, in order: each row is one statement to run on an owner
-- connection in autocommit (CREATE/DROP INDEX CONCURRENTLY cannot run inside a function).
--   drop_invalid  an ANN index left invalid by an interrupted build: dropped first, since its
--                 name blocks the rebuild
--   create        a tenant/model with at least search.ann_min_rows memories and no index
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
    ), indexes AS (
        SELECT ic.relname::text AS name, i.indisvalid AS valid
          FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
         WHERE i.indrelid = 'cogdb.memories'::regclass AND ic.relname LIKE 'memories\_ann\_%'
    ), wanted AS (
        SELECT s.tenant_id, s.model, s.n, cogdb.ann_index_name(s.tenant_id, s.model) AS name,
               m.dimensions
          FROM sizes s JOIN cogdb.embedding_models m ON m.name = s.model
    ), actions AS (
        SELECT 1 AS rank, 'drop_invalid' AS action, x.name, w.tenant_id, w.model, w.n
          FROM indexes x LEFT JOIN wanted w ON w.name = x.name
         WHERE NOT x.valid
        UNION ALL
        SELECT 2, 'create', w.name, w.tenant_id, w.model, w.n
          FROM wanted w
         WHERE w.n >= cogdb.int_setting('search.ann_min_rows')
           AND NOT EXISTS (SELECT FROM indexes x WHERE x.name = w.name AND x.valid)
        UNION ALL
        SELECT 3, 'drop_unneeded', x.name, w.tenant_id, w.model, coalesce(w.n, 0)
          FROM indexes x LEFT JOIN wanted w ON w.name = x.name
         WHERE x.valid AND coalesce(w.n, 0) < cogdb.int_setting('search.ann_min_rows') / 2
    )
    SELECT (row_number() OVER (ORDER BY a.rank, a.n DESC NULLS LAST, a.name))::integer,
           a.action, a.name, a.tenant_id, a.model, a.n,
           CASE WHEN a.action = 'create' THEN
               format('CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON cogdb.memories'
                      ' USING hnsw ((embedding::public.vector(%s)) public.vector_cosine_ops)'
                      ' WITH (m = %s, ef_construction = %s)'
                      ' WHERE tenant_id = %L::uuid AND model = %L',
                      a.name, w.dimensions, cogdb.int_setting('search.hnsw_m'),
                      cogdb.int_setting('search.hnsw_ef_construction'), a.tenant_id, a.model)
           ELSE format('DROP INDEX CONCURRENTLY IF EXISTS cogdb.%I', a.name) END
      FROM actions a LEFT JOIN wanted w ON w.name = a.name
$$;

REVOKE ALL ON FUNCTION cogdb.plan_maintenance() FROM PUBLIC;

REVOKE ALL ON FUNCTION cogdb.count_memory_changes() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.count_memory_changes() IS NULL;
-- sql/functions/search/count_memory_changes.sql as frozen in revision 0003
-- Statement trigger on memories: records how many rows each (tenant, model) gained or lost,
-- as append-only deltas in cogdb.memory_counts (no hot counter row, so concurrent writers of
-- one tenant never wait on each other). FORCE RLS hides other tenants' rows even from the
-- owner, so this is how `cogdb maintain` learns tenant sizes. Definer: the app has no
-- privilege on memory_counts.
CREATE OR REPLACE FUNCTION cogdb.count_memory_changes() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO cogdb.memory_counts (tenant_id, model, delta)
        SELECT n.tenant_id, n.model, count(*) FROM new_rows n GROUP BY 1, 2;
    ELSIF TG_OP = 'DELETE' THEN
        -- A tenant's deletion cascades here after the tenant row (and, by its own foreign
        -- key, its counts) are gone: nothing left to count for it.
        INSERT INTO cogdb.memory_counts (tenant_id, model, delta)
        SELECT o.tenant_id, o.model, -count(*) FROM old_rows o
         WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = o.tenant_id)
         GROUP BY 1, 2;
    ELSE  -- UPDATE: only a changed model moves rows between counts
        INSERT INTO cogdb.memory_counts (tenant_id, model, delta)
        SELECT c.tenant_id, c.model, sum(c.delta)
          FROM (SELECT n.tenant_id, n.model, 1 AS delta FROM new_rows n
                UNION ALL
                SELECT o.tenant_id, o.model, -1 FROM old_rows o) c
         GROUP BY 1, 2 HAVING sum(c.delta) <> 0;
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION cogdb.count_memory_changes() FROM PUBLIC;

REVOKE ALL ON FUNCTION cogdb.compact_memory_counts() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.compact_memory_counts() IS NULL;
-- sql/functions/search/compact_memory_counts.sql as frozen in revision 0003
-- Folds the deltas in cogdb.memory_counts into one row per (tenant, model) and returns how
-- many delta rows it removed. Deltas written meanwhile are not in this statement's snapshot
-- and stay, so nothing is lost. Run by `cogdb maintain` as the owner.
CREATE OR REPLACE FUNCTION cogdb.compact_memory_counts() RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH removed AS (
        DELETE FROM cogdb.memory_counts RETURNING tenant_id, model, delta
    ), folded AS (
        INSERT INTO cogdb.memory_counts (tenant_id, model, delta)
        SELECT r.tenant_id, r.model, sum(r.delta) FROM removed r
         GROUP BY 1, 2 HAVING sum(r.delta) <> 0
        RETURNING 1
    )
    SELECT count(*) FROM removed
$$;

REVOKE ALL ON FUNCTION cogdb.compact_memory_counts() FROM PUBLIC;

REVOKE ALL ON FUNCTION cogdb.ann_index_name(uuid, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.ann_index_name(uuid, text) IS NULL;
-- sql/functions/search/ann_index_name.sql as frozen in revision 0003
-- The name of the partial HNSW index that serves one tenant's memories of one model:
-- memories_ann_<24 hex of md5(tenant/model)>. Deterministic, so search finds it by name and
-- maintain plans it without a registry; hashed, so names do not spell out tenant ids.
CREATE OR REPLACE FUNCTION cogdb.ann_index_name(tenant_id uuid, model text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT 'memories_ann_' || left(md5(tenant_id::text || '/' || model), 24) $$;

REVOKE ALL ON FUNCTION cogdb.ann_index_name(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.ann_index_name(uuid, text) TO cogdb_app, cogdb_admin;

REVOKE ALL ON FUNCTION cogdb.resolve_identity(text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.resolve_identity(text, text) IS NULL;
-- sql/functions/provisioning/resolve_identity.sql as frozen in revision 0001
-- Maps an authenticated identity (provider + external id) to its (tenant_id, user_id), or
-- no row. Usable before any context exists, which is why it is a definer function over the
-- owner-only identities directory; it reveals one mapping per exact key and nothing else.
CREATE OR REPLACE FUNCTION cogdb.resolve_identity(auth_provider text, external_id text)
    RETURNS TABLE (tenant_id uuid, user_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT i.tenant_id, i.user_id FROM cogdb.identities i
     WHERE i.auth_provider = resolve_identity.auth_provider
       AND i.external_id = resolve_identity.external_id
$$;

REVOKE ALL ON FUNCTION cogdb.resolve_identity(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.resolve_identity(text, text) TO cogdb_app, cogdb_admin;

REVOKE ALL ON FUNCTION cogdb.purge_private_memories() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.purge_private_memories() IS NULL;
-- sql/functions/provisioning/purge_private_memories.sql as frozen in revision 0004
-- Trigger (BEFORE DELETE ON users): deletes the departing user's private memories, which no
-- one else may read, before the foreign key clears owner_user_id on their shared ones.
-- Definer so it can see the private rows: it takes the user's own context for the purge,
-- and restores the caller's context before returning.
CREATE OR REPLACE FUNCTION cogdb.purge_private_memories() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller text[];  -- the caller's context, put back before returning
BEGIN
    v_caller := cogdb.enter_tenant(OLD.tenant_id, OLD.id);
    DELETE FROM cogdb.memories m
     WHERE m.tenant_id = OLD.tenant_id AND m.owner_user_id = OLD.id AND m.visibility = 'private';
    PERFORM cogdb.restore_context(v_caller);
    RETURN OLD;
END
$$;

REVOKE ALL ON FUNCTION cogdb.purge_private_memories() FROM PUBLIC;

REVOKE ALL ON FUNCTION cogdb.max_dimensions() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.max_dimensions() IS NULL;
-- sql/functions/provisioning/max_dimensions.sql as frozen in revision 0004
-- The most dimensions an embedding model may have: 2000, what pgvector's HNSW indexes
-- accept for the vector type, and what keeps a row of text plus a vector (stored inline,
-- STORAGE PLAIN) within a page. The CHECK on embedding_models and register_model use it.
CREATE OR REPLACE FUNCTION cogdb.max_dimensions() RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
AS $$ SELECT 2000 $$;

REVOKE ALL ON FUNCTION cogdb.max_dimensions() FROM PUBLIC;

REVOKE ALL ON FUNCTION cogdb.list_users(text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.list_users(text) IS NULL;
-- sql/functions/provisioning/list_users.sql as frozen in revision 0004
-- The users of one tenant (with their identities as 'provider/external_id'), oldest first.
-- Definer for cogdb_admin. FORCE RLS fences the owner too, so the function takes the target
-- tenant as its own context and restores the caller's before returning.
CREATE OR REPLACE FUNCTION cogdb.list_users(tenant_id text)
    RETURNS TABLE (id uuid, email text, identities text[], created_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_caller text[];  -- the caller's context, put back before returning
    v_tenant uuid := cogdb.parse_uuid(list_users.tenant_id, 'tenant_id');
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    v_caller := cogdb.enter_tenant(v_tenant);
    RETURN QUERY
        SELECT u.id, u.email,
               ARRAY(SELECT i.auth_provider || '/' || i.external_id FROM cogdb.identities i
                      WHERE i.tenant_id = u.tenant_id AND i.user_id = u.id ORDER BY 1),
               u.created_at
          FROM cogdb.users u
         ORDER BY u.created_at, u.id;
    PERFORM cogdb.restore_context(v_caller);
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_users(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_users(text) TO cogdb_admin;

REVOKE ALL ON FUNCTION cogdb.effective_settings(text, jsonb) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.effective_settings(text, jsonb) IS NULL;
-- sql/functions/provisioning/effective_settings.sql as frozen in revision 0002
-- A tenant's settings with the defaults of its mode filled in: {"features": {"chat_import":
-- …}}. chat_import defaults to on for personal tenants and off for enterprise tenants.
-- The one place that knows the defaults; check_memory_row and list_tenants read it.
CREATE OR REPLACE FUNCTION cogdb.effective_settings(mode text, settings jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT coalesce(settings, '{}'::jsonb) || jsonb_build_object('features',
        coalesce(settings -> 'features', '{}'::jsonb) || jsonb_build_object('chat_import',
            coalesce(settings #> '{features,chat_import}', to_jsonb(mode = 'personal'))))
$$;

REVOKE ALL ON FUNCTION cogdb.effective_settings(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.effective_settings(text, jsonb) TO cogdb_app, cogdb_admin;

REVOKE ALL ON FUNCTION cogdb.delete_user(text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.delete_user(text, text) IS NULL;
-- sql/functions/provisioning/delete_user.sql as frozen in revision 0004
-- Deletes a user; true if one was deleted. The user's private memories are deleted with them
-- (purge_private_memories trigger); their tenant-visible memories stay, with owner_user_id
-- set to NULL by the foreign key. Definer for cogdb_admin, fenced to the target tenant.
CREATE OR REPLACE FUNCTION cogdb.delete_user(tenant_id text, user_id text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_caller text[];  -- the caller's context, put back before returning
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_user uuid := cogdb.parse_uuid(user_id, 'user_id');
    v_deleted boolean;
BEGIN
    IF v_tenant IS NULL OR v_user IS NULL THEN
        RAISE EXCEPTION 'tenant_id and user_id are required'
            USING ERRCODE = 'CGV01', COLUMN = CASE WHEN v_tenant IS NULL THEN 'tenant_id' ELSE 'user_id' END,
                  HINT = 'Pass the tenant and the user to delete.';
    END IF;
    v_caller := cogdb.enter_tenant(v_tenant);
    DELETE FROM cogdb.users u WHERE u.id = v_user;
    v_deleted := FOUND;
    PERFORM cogdb.restore_context(v_caller);
    RETURN v_deleted;
END
$$;

REVOKE ALL ON FUNCTION cogdb.delete_user(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.delete_user(text, text) TO cogdb_admin;

REVOKE ALL ON FUNCTION cogdb.create_user(text, text, text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.create_user(text, text, text, text) IS NULL;
-- sql/functions/provisioning/create_user.sql as frozen in revision 0004
-- Creates a user in a tenant and returns the user's id; idempotent on (tenant, email).
-- With auth_provider and external_id it also records the identity that resolve_identity()
-- maps back to (tenant, user); an identity already bound to another user conflicts.
-- Definer, for cogdb_admin. FORCE RLS fences the owner too, so the function sets the target
-- tenant as its own context and restores the caller's before returning.
CREATE OR REPLACE FUNCTION cogdb.create_user(tenant_id text, email text,
                                             auth_provider text DEFAULT NULL,
                                             external_id text DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_caller text[];  -- the caller's context, put back before returning
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_email text := lower(btrim(email));
    v_user uuid;
    v_bound uuid;
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'Create the tenant first with cogdb.create_tenant().';
    END IF;
    IF v_email IS NULL OR v_email !~ '^[^@\s]+@[^@\s]+$' OR length(v_email) > 320 THEN
        RAISE EXCEPTION 'email must look like name@domain, got %', coalesce(quote_literal(left(email, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'email',
                  HINT = 'Pass the user''s email address, e.g. ann@example.com.';
    END IF;
    IF (auth_provider IS NULL) <> (external_id IS NULL)
       OR length(auth_provider) NOT BETWEEN 1 AND 64 OR length(external_id) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'auth_provider (1-64 chars) and external_id (1-255 chars) go together'
            USING ERRCODE = 'CGV01', COLUMN = 'external_id',
                  HINT = 'Pass both auth_provider and external_id, or neither.';
    END IF;
    v_caller := cogdb.enter_tenant(v_tenant);

    INSERT INTO cogdb.users AS u (tenant_id, email) VALUES (v_tenant, v_email)
    ON CONFLICT ON CONSTRAINT users_tenant_id_email_key DO NOTHING
    RETURNING u.id INTO v_user;
    IF v_user IS NULL THEN
        SELECT u.id INTO v_user FROM cogdb.users u WHERE u.email = v_email;
    END IF;

    IF auth_provider IS NOT NULL THEN
        INSERT INTO cogdb.identities AS i (auth_provider, external_id, tenant_id, user_id)
        VALUES (auth_provider, external_id, v_tenant, v_user)
        ON CONFLICT ON CONSTRAINT identities_pkey DO NOTHING;
        SELECT i.user_id INTO v_bound FROM cogdb.identities i
         WHERE i.auth_provider = create_user.auth_provider AND i.external_id = create_user.external_id;
        IF v_bound IS DISTINCT FROM v_user THEN
            RAISE EXCEPTION 'identity %/% already belongs to another user', auth_provider, external_id
                USING ERRCODE = 'CGC01', COLUMN = 'external_id',
                      HINT = 'Find its owner with cogdb.resolve_identity(provider, external_id).';
        END IF;
    END IF;
    PERFORM cogdb.restore_context(v_caller);
    RETURN v_user;
END
$$;

REVOKE ALL ON FUNCTION cogdb.create_user(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.create_user(text, text, text, text) TO cogdb_admin;

REVOKE ALL ON FUNCTION cogdb.create_tenant(text, text, text, text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.create_tenant(text, text, text, text, text) IS NULL;
-- sql/functions/provisioning/create_tenant.sql as frozen in revision 0001
-- Creates a tenant and returns its id. With an external_id it is idempotent: the same
-- external_id, name and mode return the existing tenant; a different name or mode conflicts.
-- Definer (owned by cogdb_owner), executable by cogdb_admin only; the tenants registry is
-- readable to the owner through the tenants__registry_owner policy.
CREATE OR REPLACE FUNCTION cogdb.create_tenant(name text, mode text DEFAULT 'personal',
                                               external_id text DEFAULT NULL,
                                               isolation_level text DEFAULT 'strict',
                                               default_model text DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_id uuid;
    v_existing cogdb.tenants;
BEGIN
    IF coalesce(length(btrim(name)), 0) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'name must be 1-200 characters' USING ERRCODE = 'CGV01', COLUMN = 'name',
              HINT = 'Give the tenant a display name.';
    END IF;
    IF mode IS NULL OR mode NOT IN ('personal', 'enterprise') THEN
        RAISE EXCEPTION 'mode must be personal or enterprise, got %', coalesce(quote_literal(mode), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'mode',
                  HINT = 'personal: one person''s memory; enterprise: a team''s.';
    END IF;
    IF isolation_level IS NULL OR isolation_level NOT IN ('strict', 'shared', 'federated') THEN
        RAISE EXCEPTION 'isolation_level must be strict, shared or federated, got %',
                        coalesce(quote_literal(isolation_level), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'isolation_level',
                  HINT = 'Use strict unless the tenant shares memories with others.';
    END IF;
    IF default_model IS NOT NULL
       AND NOT EXISTS (SELECT FROM cogdb.embedding_models m WHERE m.name = default_model) THEN
        RAISE EXCEPTION 'unknown embedding model %', quote_literal(default_model)
            USING ERRCODE = 'CGV02', COLUMN = 'default_model',
                  HINT = 'Register it first with cogdb.register_model(name, dimensions).';
    END IF;

    INSERT INTO cogdb.tenants AS t (name, mode, external_id, isolation_level, default_model)
    VALUES (btrim(name), mode, external_id, isolation_level, default_model)
    ON CONFLICT ON CONSTRAINT tenants_external_id_key DO NOTHING
    RETURNING t.id INTO v_id;
    IF v_id IS NULL THEN
        SELECT * INTO v_existing FROM cogdb.tenants t WHERE t.external_id = create_tenant.external_id;
        IF v_existing.name IS DISTINCT FROM btrim(name) OR v_existing.mode IS DISTINCT FROM mode THEN
            RAISE EXCEPTION 'a tenant with external_id % already exists with another name or mode',
                            quote_literal(external_id)
                USING ERRCODE = 'CGC01', COLUMN = 'external_id',
                      HINT = 'Use another external_id, or the same name and mode to get its id.';
        END IF;
        v_id := v_existing.id;
    END IF;
    RETURN v_id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.create_tenant(text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.create_tenant(text, text, text, text, text) TO cogdb_admin;

REVOKE ALL ON FUNCTION cogdb.remember(text, text, vector, jsonb, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.remember(text, text, vector, jsonb, text) IS NULL;
-- sql/functions/memories/remember.sql as frozen in revision 0001
-- Stores one memory and returns its id (server-made unless `fields` carries one).
-- `fields` takes the same keys as remember_many's objects (tags, visibility, source, …).
CREATE OR REPLACE FUNCTION cogdb.remember(human_content text, assistant_content text,
                                          embedding public.vector, fields jsonb DEFAULT '{}',
                                          model text DEFAULT NULL)
    RETURNS text
    LANGUAGE sql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.id
      FROM cogdb.remember_many(
               jsonb_build_array(coalesce(fields, '{}')
                                 || jsonb_build_object('human_content', human_content,
                                                       'assistant_content', assistant_content)),
               ARRAY[embedding], model) AS r
$$;

REVOKE ALL ON FUNCTION cogdb.remember(text, text, vector, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.remember(text, text, vector, jsonb, text) TO cogdb_app;

REVOKE ALL ON FUNCTION cogdb.new_memory_id() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.new_memory_id() IS NULL;
-- sql/functions/memories/new_memory_id.sql as frozen in revision 0001
-- A fresh server-made memory id: 'mem_' and 32 hex digits of a random UUID.
-- Imported ids (the seeds' mem_<hash>) are kept as given; both share the id format check.
CREATE OR REPLACE FUNCTION cogdb.new_memory_id() RETURNS text
    LANGUAGE sql VOLATILE PARALLEL SAFE SECURITY INVOKER
AS $$ SELECT 'mem_' || pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', '') $$;

REVOKE ALL ON FUNCTION cogdb.new_memory_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.new_memory_id() TO cogdb_app;

REVOKE ALL ON FUNCTION cogdb.get(text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.get(text) IS NULL;
-- sql/functions/memories/get.sql as frozen in revision 0001
-- The memory with this id, if the caller may see it and it has not expired; else no row.
-- An id of another tenant or another user's private memory looks exactly like a missing id.
CREATE OR REPLACE FUNCTION cogdb.get(id text) RETURNS SETOF cogdb.memories
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.* FROM cogdb.memories m
     WHERE m.id = get.id AND (m.expires_at IS NULL OR m.expires_at > now())
$$;

REVOKE ALL ON FUNCTION cogdb.get(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get(text) TO cogdb_app;

REVOKE ALL ON FUNCTION cogdb.forget(text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.forget(text) IS NULL;
-- sql/functions/memories/forget.sql as frozen in revision 0004
-- Deletes the memory with this id if the caller may see it; true if a row was deleted.
-- An invisible id returns false, exactly like a missing one.
CREATE OR REPLACE FUNCTION cogdb.forget(id text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM cogdb.require_tenant('forgetting a memory');
    DELETE FROM cogdb.memories m WHERE m.id = forget.id;
    RETURN FOUND;
END
$$;

REVOKE ALL ON FUNCTION cogdb.forget(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.forget(text) TO cogdb_app;

REVOKE ALL ON FUNCTION cogdb.chat_export_sources() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.chat_export_sources() IS NULL;
-- sql/functions/memories/chat_export_sources.sql as frozen in revision 0004
-- The memory sources that come from providers' chat exports; the tenant setting
-- features.chat_import gates them (check_memory_row). Inlined where it is used.
CREATE OR REPLACE FUNCTION cogdb.chat_export_sources() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
AS $$ SELECT ARRAY['chatgpt_export', 'claude_export'] $$;

REVOKE ALL ON FUNCTION cogdb.chat_export_sources() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.chat_export_sources() TO cogdb_app, cogdb_admin, cogdb_auditor;

REVOKE ALL ON FUNCTION cogdb.resolve_model(text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.resolve_model(text) IS NULL;
-- sql/functions/internal/resolve_model.sql as frozen in revision 0004
-- The embedding model a call uses and its dimensions: `model` when given, else the context
-- tenant's default, else the deployment's (settings.default_model). Raises CGV02 for a
-- model that is not registered. The one rule for check_memory_row, search and the import.
CREATE OR REPLACE FUNCTION cogdb.resolve_model(model text, OUT name text, OUT dimensions integer)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    name := coalesce(resolve_model.model,
                     (SELECT coalesce(t.default_model, s.value #>> '{}')
                        FROM cogdb.tenants t LEFT JOIN cogdb.settings s ON s.key = 'default_model'
                       WHERE t.id = cogdb.current_tenant_id()));
    SELECT em.dimensions INTO dimensions FROM cogdb.embedding_models em WHERE em.name = resolve_model.name;
    IF dimensions IS NULL THEN
        RAISE EXCEPTION 'unknown embedding model %', coalesce(quote_literal(name), 'NULL')
            USING ERRCODE = 'CGV02', COLUMN = 'model',
                  HINT = 'List models with: SELECT name, dimensions FROM cogdb.embedding_models;';
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.resolve_model(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.resolve_model(text) TO cogdb_app;

REVOKE ALL ON FUNCTION cogdb.parse_uuid(text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.parse_uuid(text, text) IS NULL;
-- sql/functions/internal/parse_uuid.sql as frozen in revision 0001
-- The uuid in `value`, or NULL for NULL; raises invalid_input (CGV01) naming `field` otherwise.
-- Lets set_context and the admin functions take text and say which argument was wrong.
CREATE OR REPLACE FUNCTION cogdb.parse_uuid(value text, field text) RETURNS uuid
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    IF value !~* '^\s*\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?\s*$' THEN
        RAISE EXCEPTION '% must be a UUID, got %', field, quote_literal(left(value, 60))
            USING ERRCODE = 'CGV01', COLUMN = field,
                  HINT = 'Pass the id printed by create_tenant/create_user, e.g. 6f1c…-…';
    END IF;
    RETURN value::uuid;
END
$$;

REVOKE ALL ON FUNCTION cogdb.parse_uuid(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.parse_uuid(text, text) TO cogdb_app, cogdb_admin, cogdb_auditor;

REVOKE ALL ON FUNCTION cogdb.int_setting(text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.int_setting(text) IS NULL;
-- sql/functions/internal/int_setting.sql as frozen in revision 0003
-- The integer value of a global setting in cogdb.settings (NULL if unset).
-- Search thresholds live there, not in GUCs: the app could change a GUC, and ALTER DATABASE
-- SET is not copied to template clones.
CREATE OR REPLACE FUNCTION cogdb.int_setting(key text) RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT (s.value #>> '{}')::integer FROM cogdb.settings s WHERE s.key = int_setting.key $$;

REVOKE ALL ON FUNCTION cogdb.int_setting(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.int_setting(text) TO cogdb_app, cogdb_admin;

REVOKE ALL ON FUNCTION cogdb.restore_context(text[]) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.restore_context(text[]) IS NULL;
-- sql/functions/context/restore_context.sql as frozen in revision 0004
-- Puts back the context that enter_tenant() returned (tenant, user, transaction stamp).
-- Owner-only, like enter_tenant().
CREATE OR REPLACE FUNCTION cogdb.restore_context(saved text[]) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM set_config('app.tenant_id', saved[1], true);
    PERFORM set_config('app.user_id', saved[2], true);
    PERFORM set_config('app.context_xact', saved[3], true);
END
$$;

REVOKE ALL ON FUNCTION cogdb.restore_context(text[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION cogdb.require_tenant(text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.require_tenant(text) IS NULL;
-- sql/functions/context/require_tenant.sql as frozen in revision 0004
-- The tenant of the current context, or the CGA01 refusal "no tenant context: <action>
-- needs one" for a write attempted without one (reads without a context see nothing
-- instead). `action` says what was attempted, e.g. 'writing memories'.
CREATE OR REPLACE FUNCTION cogdb.require_tenant(action text) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
BEGIN
    IF v_tenant IS NULL THEN
        RAISE EXCEPTION 'no tenant context: % needs one', action
            USING ERRCODE = 'CGA01',
                  HINT = 'Call cogdb.set_context(tenant, user) first in the transaction.';
    END IF;
    RETURN v_tenant;
END
$$;

REVOKE ALL ON FUNCTION cogdb.require_tenant(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.require_tenant(text) TO cogdb_app;

REVOKE ALL ON FUNCTION cogdb.enter_tenant(uuid, uuid) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.enter_tenant(uuid, uuid) IS NULL;
-- sql/functions/context/enter_tenant.sql as frozen in revision 0004
-- Makes tenant_id (and user_id) the context of the calling definer function's own
-- statements and returns the caller's context, for restore_context() to put back before the
-- function returns. FORCE RLS fences cogdb_owner too, so provisioning functions act inside
-- their target tenant this way. An error needs no restore: it aborts the transaction, or
-- rolls back to a savepoint, and either reverts the settings. Owner-only: the app sets its
-- context with set_context(), which checks it.
CREATE OR REPLACE FUNCTION cogdb.enter_tenant(tenant_id uuid, user_id uuid DEFAULT NULL)
    RETURNS text[]
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller text[] := ARRAY[coalesce(current_setting('app.tenant_id', true), ''),
                             coalesce(current_setting('app.user_id', true), ''),
                             coalesce(current_setting('app.context_xact', true), '')];
BEGIN
    -- Transaction-local, and not in this function's SET clause: they outlast the call.
    PERFORM set_config('app.tenant_id', enter_tenant.tenant_id::text, true);
    PERFORM set_config('app.user_id', coalesce(enter_tenant.user_id::text, ''), true);
    PERFORM set_config('app.context_xact', cogdb.context_stamp(), true);
    RETURN v_caller;
END
$$;

REVOKE ALL ON FUNCTION cogdb.enter_tenant(uuid, uuid) FROM PUBLIC;

REVOKE ALL ON FUNCTION cogdb.current_user_id() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.current_user_id() IS NULL;
-- sql/functions/context/current_user_id.sql as frozen in revision 0001
-- The user of the current transaction's context; NULL when the context names no user or was
-- set in another transaction. Used by the memory visibility policy: stays inlinable.
CREATE OR REPLACE FUNCTION cogdb.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('app.context_xact', true) = cogdb.context_stamp()
                THEN nullif(pg_catalog.current_setting('app.user_id', true), '')::uuid
           END
$$;

REVOKE ALL ON FUNCTION cogdb.current_user_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.current_user_id() TO cogdb_app, cogdb_admin, cogdb_auditor;

REVOKE ALL ON FUNCTION cogdb.current_tenant_id() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.current_tenant_id() IS NULL;
-- sql/functions/context/current_tenant_id.sql as frozen in revision 0001
-- The tenant of the current transaction's context; NULL when there is none, it has ended
-- (''), or it was set in another transaction (stamp mismatch, see context_stamp()).
-- Every tenant policy calls it, so it must stay inlinable: LANGUAGE sql, STABLE, no SET clause.
-- A malformed value raises (invalid uuid) rather than matching anything.
CREATE OR REPLACE FUNCTION cogdb.current_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('app.context_xact', true) = cogdb.context_stamp()
                THEN nullif(pg_catalog.current_setting('app.tenant_id', true), '')::uuid
           END
$$;

REVOKE ALL ON FUNCTION cogdb.current_tenant_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.current_tenant_id() TO cogdb_app, cogdb_admin, cogdb_auditor;

REVOKE ALL ON FUNCTION cogdb.context_stamp() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.context_stamp() IS NULL;
-- sql/functions/context/context_stamp.sql as frozen in revision 0001
-- The current transaction's stamp (its start time as epoch text). set_context stores it in
-- app.context_xact beside the tenant; the readers below accept a context only when the stamp
-- matches, so a context SET at session level, which outlives its transaction, matches nothing
-- in the next one. Inlinable (LANGUAGE sql, STABLE, no SET clause): the policies depend on it.
CREATE OR REPLACE FUNCTION cogdb.context_stamp() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$ SELECT (EXTRACT(epoch FROM pg_catalog.transaction_timestamp()))::text $$;

REVOKE ALL ON FUNCTION cogdb.context_stamp() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.context_stamp() TO cogdb_app, cogdb_admin, cogdb_auditor;

REVOKE ALL ON FUNCTION cogdb.set_context(text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.set_context(text, text) IS NULL;
-- sql/functions/context/set_context.sql as frozen in revision 0001
-- Sets the tenant (and optionally the user) for the rest of the current transaction.
-- Call it first in every transaction. Refuses: superuser/BYPASSRLS roles and members of
-- cogdb_owner (RLS would be off or could be switched off), a second, different context in the
-- same transaction, an unknown tenant, and a user of another tenant. The settings are
-- transaction-local and stamped with the transaction, so they end with COMMIT/ROLLBACK.
CREATE OR REPLACE FUNCTION cogdb.set_context(tenant_id text, user_id text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_user uuid := cogdb.parse_uuid(user_id, 'user_id');
    v_old_tenant text := coalesce(cogdb.current_tenant_id()::text, '');
    v_old_user text := coalesce(cogdb.current_user_id()::text, '');
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = current_user
                                      AND (rolsuper OR rolbypassrls))
       OR pg_has_role(current_user, 'cogdb_owner', 'MEMBER') THEN
        RAISE EXCEPTION 'role % bypasses (or owns) row-level security; refusing to set a tenant context',
                        current_user
            USING ERRCODE = 'CGA03',
                  HINT = 'Connect as an app login (a member of cogdb_app only), not as a '
                         'superuser, BYPASSRLS role or member of cogdb_owner.';
    END IF;
    IF v_tenant IS NULL THEN
        RAISE EXCEPTION 'tenant_id is required' USING ERRCODE = 'CGV01', COLUMN = 'tenant_id',
              HINT = 'Call cogdb.set_context(''<tenant uuid>'', ''<user uuid or NULL>'').';
    END IF;
    IF v_old_tenant <> '' AND (v_old_tenant <> v_tenant::text
                               OR v_old_user <> coalesce(v_user::text, '')) THEN
        RAISE EXCEPTION 'this transaction already has a different tenant context'
            USING ERRCODE = 'CGA02',
                  HINT = 'Commit or roll back, then set the new context first thing in a new '
                         'transaction; contexts cannot be switched or nested.';
    END IF;
    PERFORM set_config('app.tenant_id', v_tenant::text, true);
    PERFORM set_config('app.user_id', coalesce(v_user::text, ''), true);
    PERFORM set_config('app.context_xact', cogdb.context_stamp(), true);
    -- Both lookups run under RLS with the new context: they see only this tenant's rows.
    IF NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', v_tenant
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'Create it with cogdb.create_tenant() (admin) or check the id.';
    END IF;
    IF v_user IS NOT NULL AND NOT EXISTS (SELECT FROM cogdb.users u WHERE u.id = v_user) THEN
        RAISE EXCEPTION 'user % does not belong to tenant %', v_user, v_tenant
            USING ERRCODE = 'CGA02', COLUMN = 'user_id',
                  HINT = 'Use the tenant the user was created in (see cogdb.resolve_identity).';
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.set_context(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.set_context(text, text) TO cogdb_app;

DROP FUNCTION cogdb.list_tenants();
-- sql/functions/provisioning/list_tenants.sql as frozen in revision 0002
-- Every tenant with its stored and effective settings, oldest first. Cross-tenant, so a
-- definer over the owner-only registry policy (tenants__registry_owner); for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.list_tenants()
    RETURNS TABLE (id uuid, name text, external_id text, mode text, isolation_level text,
                   default_model text, settings jsonb, effective_settings jsonb,
                   created_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.id, t.name, t.external_id, t.mode, t.isolation_level, t.default_model, t.settings,
           cogdb.effective_settings(t.mode, t.settings), t.created_at
      FROM cogdb.tenants t
     ORDER BY t.created_at, t.id
$$;

REVOKE ALL ON FUNCTION cogdb.list_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_tenants() TO cogdb_admin;

REVOKE ALL ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) IS NULL;
-- sql/functions/provisioning/set_tenant_setting.sql as frozen in revision 0002
-- Changes one setting of a tenant and returns the tenant's effective settings. Only the
-- listed keys are settable, each with its JSON type; a NULL value removes the key, so the
-- mode's default applies again. Definer for cogdb_admin: the app role has no UPDATE on
-- cogdb.tenants and so can never change its own tenant's settings.
CREATE OR REPLACE FUNCTION cogdb.set_tenant_setting(tenant_id text, key text, value jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_type text := CASE key WHEN 'features.chat_import' THEN 'boolean' END;
    v_path text[] := string_to_array(key, '.');
    v_row cogdb.tenants;
BEGIN
    IF v_type IS NULL THEN
        RAISE EXCEPTION 'unknown tenant setting %; settable: features.chat_import',
                        coalesce(quote_literal(left(key, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'key',
                  HINT = 'e.g. cogdb tenant set <tenant> features.chat_import=false';
    END IF;
    IF value IS NOT NULL AND jsonb_typeof(value) IS DISTINCT FROM v_type THEN
        RAISE EXCEPTION '% must be a %, got %', key, v_type, left(value::text, 60)
            USING ERRCODE = 'CGV01', COLUMN = 'value',
                  HINT = 'Pass true or false (or NULL for the default of the tenant''s mode).';
    END IF;
    UPDATE cogdb.tenants t
       SET settings = CASE WHEN value IS NULL THEN t.settings #- v_path
                           ELSE jsonb_set(jsonb_set(t.settings, v_path[1:1],
                                                    coalesce(t.settings -> v_path[1], '{}'), true),
                                          v_path, value, true) END
     WHERE t.id = v_tenant
    RETURNING * INTO v_row;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    RETURN cogdb.effective_settings(v_row.mode, v_row.settings);
END
$$;

REVOKE ALL ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) TO cogdb_admin;

-- sql/functions/provisioning/list_models.sql: new in this revision
DROP FUNCTION cogdb.list_models();

DROP FUNCTION cogdb.register_model(text, integer, text, text, text);
-- sql/functions/provisioning/register_model.sql as frozen in revision 0004
-- Registers an embedding model (name, dimensions, metric) and returns its name. Idempotent
-- for the same definition; another dimension or metric under a known name conflicts.
-- Only cosine is supported: search reports cosine similarity. At most cogdb.max_dimensions()
-- dimensions. Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.register_model(name text, dimensions integer,
                                                metric text DEFAULT 'cosine',
                                                description text DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_existing cogdb.embedding_models;
BEGIN
    IF name IS NULL OR name !~ '^[a-z0-9][a-z0-9._-]{0,62}$' THEN
        RAISE EXCEPTION 'name must be 1-63 lowercase letters, digits and . _ - (got %)',
                        coalesce(quote_literal(left(name, 70)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'name',
                  HINT = 'e.g. all-minilm-l6-v2 or bge-m3.';
    END IF;
    IF dimensions IS NULL OR dimensions NOT BETWEEN 1 AND cogdb.max_dimensions() THEN
        RAISE EXCEPTION 'dimensions must be between 1 and %, got %', cogdb.max_dimensions(),
                        coalesce(dimensions::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'dimensions',
                  HINT = 'Use the length of the model''s output vectors.';
    END IF;
    IF metric IS DISTINCT FROM 'cosine' THEN
        RAISE EXCEPTION 'metric must be cosine, got %', coalesce(quote_literal(metric), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'metric',
                  HINT = 'Normalise vectors for inner-product models; cosine ranks them alike.';
    END IF;
    INSERT INTO cogdb.embedding_models AS m (name, dimensions, metric, description)
    VALUES (name, dimensions, metric, description)
    ON CONFLICT ON CONSTRAINT embedding_models_pkey DO NOTHING;
    SELECT * INTO v_existing FROM cogdb.embedding_models m WHERE m.name = register_model.name;
    IF v_existing.dimensions <> dimensions OR v_existing.metric <> metric THEN
        RAISE EXCEPTION 'model % is already registered with % dimensions (%)',
                        quote_literal(name), v_existing.dimensions, v_existing.metric
            USING ERRCODE = 'CGC01', COLUMN = 'name',
                  HINT = 'A model name stands for one vector space: register a new name.';
    END IF;
    RETURN name;
END
$$;

REVOKE ALL ON FUNCTION cogdb.register_model(text, integer, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.register_model(text, integer, text, text) TO cogdb_admin;

DROP FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb);
-- sql/functions/search/search.sql as frozen in revision 0004
-- The k memories nearest to `query` that the caller may see, nearest first.
-- similarity is cosine similarity, 1 - cosine distance (1 = same direction, 0 = orthogonal);
-- ties are broken by id. Expired memories are never returned. Reads only: no access tracking.
-- No context: no rows.
--
-- The plan is chosen per call and reported in the `plan` column:
--   exact            every candidate the caller may see is ranked (a tenant/model without an
--                    ANN index, or one whose visible candidates, after the filters, number at
--                    most search.exact_max_rows — e.g. a user who sees few of a large
--                    tenant's memories because most are private to others);
--   ann:<index>      the tenant's own partial HNSW index (see ann_index_name, built by
--                    `cogdb maintain`), with iterative scans so filters keep their recall.
-- The tenant and model reach the planner as literals, which is what lets it match the
-- partial index; the filters are bound parameters. ef_search tunes the ANN path (default:
-- settings.search.ef_search; 1-1000, the range of pgvector's hnsw.ef_search).
SELECT '[1]'::public.vector;  -- loads pgvector, so the hnsw.* settings below are known
CREATE OR REPLACE FUNCTION cogdb.search(query public.vector, k integer DEFAULT 10,
                                        model text DEFAULT NULL,
                                        only_conversation text DEFAULT NULL,
                                        only_source text DEFAULT NULL,
                                        only_context_type text DEFAULT NULL,
                                        tags_any text[] DEFAULT NULL,
                                        created_after timestamptz DEFAULT NULL,
                                        created_before timestamptz DEFAULT NULL,
                                        only_owner uuid DEFAULT NULL,
                                        only_visibility text DEFAULT NULL,
                                        ef_search integer DEFAULT NULL)
    RETURNS TABLE (id text, similarity double precision, conversation_id text,
                   sequence_index integer, human_content text, assistant_content text,
                   summary text, context_type text, source text, created_at timestamptz,
                   expires_at timestamptz, visibility text, owner_user_id uuid, tags text[],
                   intent_type text, complexity text, technical_depth smallint,
                   emotional_valence text, urgency text, conversation_mode text,
                   action_required boolean, has_code boolean, has_error boolean,
                   cluster_id integer, cluster_label text, cluster_confidence real, plan text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    -- The SET clauses scope the set_config() calls below to this call; the values used
    -- come from cogdb.settings (search.ef_search, search.max_scan_tuples).
    SET hnsw.ef_search = 100
    SET hnsw.iterative_scan = 'relaxed_order'
    SET hnsw.max_scan_tuples = 50000
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_model text;
    v_dims integer;
    v_settings jsonb := (SELECT jsonb_object_agg(s.key, s.value) FROM cogdb.settings s
                          WHERE s.key LIKE 'search.%');
    v_max_k integer := v_settings ->> 'search.max_k';
    v_index text;
    v_visible bigint;
    -- $1 query, $2 k, then the filters; unset filters fold away when the query is planned.
    v_filters constant text :=
        ' AND (m.expires_at IS NULL OR m.expires_at > now())'
        ' AND ($3::text IS NULL OR m.conversation_id = $3)'
        ' AND ($4::text IS NULL OR m.source = $4)'
        ' AND ($5::text IS NULL OR m.context_type = $5)'
        ' AND ($6::text[] IS NULL OR m.tags && $6)'
        ' AND ($7::timestamptz IS NULL OR m.created_at >= $7)'
        ' AND ($8::timestamptz IS NULL OR m.created_at < $8)'
        ' AND ($9::uuid IS NULL OR m.owner_user_id = $9)'
        ' AND ($10::text IS NULL OR m.visibility = $10)';
    v_columns constant text :=
        's.id, 1 - s.distance, s.conversation_id, s.sequence_index, s.human_content,'
        ' s.assistant_content, s.summary, s.context_type, s.source, s.created_at,'
        ' s.expires_at, s.visibility, s.owner_user_id, s.tags, s.intent_type, s.complexity,'
        ' s.technical_depth, s.emotional_valence, s.urgency, s.conversation_mode,'
        ' s.action_required, s.has_code, s.has_error, s.cluster_id, s.cluster_label,'
        ' s.cluster_confidence';
BEGIN
    IF v_tenant IS NULL THEN
        RETURN;  -- no context: nothing is visible
    END IF;
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
    SELECT r.name, r.dimensions INTO v_model, v_dims FROM cogdb.resolve_model(search.model) r;
    IF query IS NULL OR public.vector_dims(query) <> v_dims THEN
        RAISE EXCEPTION 'query has % dimensions; model % needs %',
                        coalesce(public.vector_dims(query)::text, 'no'), quote_literal(v_model), v_dims
            USING ERRCODE = 'CGV01', COLUMN = 'query',
                  HINT = 'Embed the query with the model the memories were stored with.';
    END IF;
    IF public.vector_norm(query) = 0 THEN
        RAISE EXCEPTION 'query is a zero vector; cosine similarity is undefined for it'
            USING ERRCODE = 'CGV01', COLUMN = 'query',
                  HINT = 'Check the embedder: a real embedding has a non-zero norm.';
    END IF;

    v_index := cogdb.ann_index_name(v_tenant, v_model);
    IF EXISTS (SELECT FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE c.relname = v_index AND c.relnamespace = 'cogdb'::regnamespace
                  AND i.indisvalid) THEN
        -- Count the candidates the caller may see, stopping just past the exact threshold.
        EXECUTE format('SELECT count(*) FROM (SELECT FROM cogdb.memories m'
                       ' WHERE m.tenant_id = %L AND m.model = %L%s LIMIT %s) c',
                       v_tenant, v_model, v_filters,
                       (v_settings ->> 'search.exact_max_rows')::integer + 1)
           INTO v_visible
          USING query, k, only_conversation, only_source, only_context_type, tags_any,
                created_after, created_before, only_owner, only_visibility;
        IF v_visible > (v_settings ->> 'search.exact_max_rows')::integer THEN
            -- Scoped to this call by the SET clauses above.
            PERFORM set_config('hnsw.ef_search',
                               coalesce(ef_search::text, v_settings ->> 'search.ef_search'), true);
            PERFORM set_config('hnsw.max_scan_tuples',
                               v_settings ->> 'search.max_scan_tuples', true);
            RETURN QUERY EXECUTE format(
                'SELECT %s, %L::text FROM ('
                ' SELECT m.*, (m.embedding::public.vector(%s)) OPERATOR(public.<=>) $1 AS distance'
                '   FROM cogdb.memories m WHERE m.tenant_id = %L AND m.model = %L%s'
                '  ORDER BY (m.embedding::public.vector(%s)) OPERATOR(public.<=>) $1 LIMIT $2) s'
                ' ORDER BY s.distance, s.id',
                v_columns, 'ann:' || v_index, v_dims, v_tenant, v_model, v_filters, v_dims)
              USING query, k, only_conversation, only_source, only_context_type, tags_any,
                    created_after, created_before, only_owner, only_visibility;
            RETURN;
        END IF;
    END IF;

    RETURN QUERY EXECUTE format(
        'SELECT %s, ''exact''::text FROM ('
        ' SELECT m.*, m.embedding OPERATOR(public.<=>) $1 AS distance'
        '   FROM cogdb.memories m WHERE m.tenant_id = %L AND m.model = %L%s) s'
        ' ORDER BY s.distance, s.id LIMIT $2',
        v_columns, v_tenant, v_model, v_filters)
      USING query, k, only_conversation, only_source, only_context_type, tags_any,
            created_after, created_before, only_owner, only_visibility;
END
$$;

REVOKE ALL ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer) TO cogdb_app;

-- sql/functions/memories/list_memories.sql: new in this revision
DROP FUNCTION cogdb.list_memories(integer, timestamptz, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, jsonb, text);

REVOKE ALL ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) IS NULL;
-- sql/functions/memories/remember_many.sql as frozen in revision 0004
-- Stores a batch of memories in one statement and returns (ordinality, id) in input order.
-- `memories` is a JSON array of objects keyed by memory column names; `embeddings` holds one
-- vector per object, same order. All-or-nothing: one bad row refuses the whole batch.
-- Tenant and owner come from the context, never from the input (such keys are refused).
CREATE OR REPLACE FUNCTION cogdb.remember_many(memories jsonb, embeddings public.vector[],
                                               model text DEFAULT NULL)
    RETURNS TABLE (ordinality bigint, id text)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_unknown text;
    v_bad_ord bigint;
    v_bad_key text;
    v_bad_type text;
BEGIN
    PERFORM cogdb.require_tenant('writing memories');
    IF jsonb_typeof(memories) IS DISTINCT FROM 'array'
       OR EXISTS (SELECT FROM jsonb_array_elements(memories) e WHERE jsonb_typeof(e) <> 'object')
    THEN
        RAISE EXCEPTION 'memories must be a JSON array of objects'
            USING ERRCODE = 'CGV01', COLUMN = 'memories',
                  HINT = 'e.g. ''[{"human_content": "…", "assistant_content": "…"}]''';
    END IF;
    IF jsonb_array_length(memories) <> coalesce(cardinality(embeddings), 0) THEN
        RAISE EXCEPTION '% memories but % embeddings; they must pair up one to one',
                        jsonb_array_length(memories), coalesce(cardinality(embeddings), 0)
            USING ERRCODE = 'CGV01', COLUMN = 'embeddings',
                  HINT = 'Pass one vector per memory, in the same order.';
    END IF;
    SELECT string_agg(DISTINCT k, ', ' ORDER BY k) INTO v_unknown
      FROM jsonb_array_elements(memories) e, jsonb_object_keys(e) k
     WHERE k <> ALL (ARRAY['id', 'conversation_id', 'sequence_index', 'human_content',
                           'assistant_content', 'summary', 'context_type', 'source',
                           'created_at', 'expires_at', 'visibility', 'intent_type',
                           'complexity', 'technical_depth', 'emotional_valence', 'urgency',
                           'conversation_mode', 'action_required', 'has_code', 'has_error',
                           'tags', 'cluster_id', 'cluster_label', 'cluster_confidence',
                           'access_count', 'last_accessed']);
    IF v_unknown IS NOT NULL THEN
        RAISE EXCEPTION 'unknown memory field(s): %', v_unknown
            USING ERRCODE = 'CGV01', COLUMN = split_part(v_unknown, ',', 1),
                  HINT = 'tenant_id and owner_user_id come from the context; other names are '
                         'the columns of cogdb.memories.';
    END IF;

    BEGIN
    RETURN QUERY
    WITH input AS (
        SELECT r.ord, coalesce(r.id, cogdb.new_memory_id()) AS id, r.conversation_id,
               coalesce(r.sequence_index, 0) AS sequence_index,
               coalesce(r.human_content, '') AS human_content,
               coalesce(r.assistant_content, '') AS assistant_content, r.summary,
               coalesce(r.context_type, 'conversation') AS context_type,
               coalesce(r.source, 'api') AS source, coalesce(r.created_at, now()) AS created_at,
               r.expires_at, coalesce(r.visibility, 'tenant') AS visibility, r.intent_type,
               r.complexity, r.technical_depth, r.emotional_valence, r.urgency,
               r.conversation_mode, coalesce(r.action_required, false) AS action_required,
               coalesce(r.has_code, false) AS has_code, coalesce(r.has_error, false) AS has_error,
               coalesce(r.tags, '{}') AS tags, coalesce(r.cluster_id, -1) AS cluster_id,
               r.cluster_label, r.cluster_confidence,
               coalesce(r.access_count, 0) AS access_count, r.last_accessed,
               embeddings[r.ord] AS embedding
          FROM ROWS FROM (jsonb_to_recordset(memories) AS (
                   id text, conversation_id text, sequence_index integer, human_content text,
                   assistant_content text, summary text, context_type text, source text,
                   created_at timestamptz, expires_at timestamptz, visibility text,
                   intent_type text, complexity text, technical_depth smallint,
                   emotional_valence text, urgency text, conversation_mode text,
                   action_required boolean, has_code boolean, has_error boolean, tags text[],
                   cluster_id integer, cluster_label text, cluster_confidence real,
                   access_count integer, last_accessed timestamptz))
               WITH ORDINALITY AS r(id, conversation_id, sequence_index, human_content,
                   assistant_content, summary, context_type, source, created_at, expires_at,
                   visibility, intent_type, complexity, technical_depth, emotional_valence,
                   urgency, conversation_mode, action_required, has_code, has_error, tags,
                   cluster_id, cluster_label, cluster_confidence, access_count,
                   last_accessed, ord)
    ), inserted AS (
        INSERT INTO cogdb.memories AS m (
            id, conversation_id, sequence_index, human_content, assistant_content, summary,
            context_type, source, created_at, expires_at, visibility, intent_type, complexity,
            technical_depth, emotional_valence, urgency, conversation_mode, action_required,
            has_code, has_error, tags, cluster_id, cluster_label, cluster_confidence,
            access_count, last_accessed, model, embedding)
        SELECT i.id, i.conversation_id, i.sequence_index, i.human_content, i.assistant_content,
               i.summary, i.context_type, i.source, i.created_at, i.expires_at, i.visibility,
               i.intent_type, i.complexity, i.technical_depth, i.emotional_valence, i.urgency,
               i.conversation_mode, i.action_required, i.has_code, i.has_error, i.tags,
               i.cluster_id, i.cluster_label, i.cluster_confidence, i.access_count,
               i.last_accessed, remember_many.model, i.embedding
          FROM input i ORDER BY i.ord
        RETURNING m.id
    )
    SELECT i.ord, i.id FROM input i JOIN inserted USING (id) ORDER BY i.ord;
    EXCEPTION WHEN data_exception THEN
        -- A JSON value that does not convert to its column's type. Only this error path
        -- pays for finding which memory and field it was.
        SELECT e.ord, t.key, t.typ INTO v_bad_ord, v_bad_key, v_bad_type
          FROM jsonb_array_elements(memories) WITH ORDINALITY AS e(obj, ord),
               (VALUES ('sequence_index', 'integer'), ('technical_depth', 'smallint'),
                       ('cluster_id', 'integer'), ('access_count', 'integer'),
                       ('cluster_confidence', 'real'), ('created_at', 'timestamptz'),
                       ('expires_at', 'timestamptz'), ('last_accessed', 'timestamptz'),
                       ('action_required', 'boolean'), ('has_code', 'boolean'),
                       ('has_error', 'boolean'), ('tags', 'text[]')) AS t(key, typ)
         WHERE jsonb_typeof(e.obj -> t.key) NOT IN ('null')
           AND CASE WHEN t.typ = 'text[]'
                    THEN jsonb_typeof(e.obj -> t.key) <> 'array'
                    ELSE jsonb_typeof(e.obj -> t.key) IN ('array', 'object')
                         OR NOT pg_input_is_valid(e.obj ->> t.key, t.typ) END
         ORDER BY e.ord
         LIMIT 1;
        IF v_bad_key IS NULL THEN
            RAISE;
        END IF;
        RAISE EXCEPTION '% of memory #% must be of type %, got %', v_bad_key, v_bad_ord,
                        v_bad_type, left((memories -> (v_bad_ord::integer - 1) -> v_bad_key)::text, 60)
            USING ERRCODE = 'CGV01', COLUMN = v_bad_key,
                  HINT = 'Numbers as JSON numbers, timestamps as ISO 8601 strings, tags as a list.';
    END;
END
$$;

REVOKE ALL ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) TO cogdb_app;

-- >>> step 20_memories.down.sql
DROP TRIGGER memories_check_batch_updates ON cogdb.memories;
DROP TRIGGER memories_check_batch_inserts ON cogdb.memories;
DROP INDEX cogdb.memories_tenant_created_idx;
ALTER TABLE cogdb.memories DROP COLUMN metadata;
-- Back to a text[]: a list's strings, an object's keys. (A helper in schema cogdb, dropped
-- again: cogdb_owner may not create temporary objects in a secured database.)
CREATE FUNCTION cogdb.tags_array_0005(tags jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(tags)
           WHEN 'array' THEN ARRAY(SELECT jsonb_array_elements_text(tags))
           ELSE ARRAY(SELECT jsonb_object_keys(tags)) END $$;
ALTER TABLE cogdb.memories DROP CONSTRAINT memories_tags_check;
ALTER TABLE cogdb.memories ALTER COLUMN tags DROP DEFAULT,
    ALTER COLUMN tags TYPE text[] USING cogdb.tags_array_0005(tags),
    ALTER COLUMN tags SET DEFAULT '{}';
DROP FUNCTION cogdb.tags_array_0005(jsonb);
ALTER TABLE cogdb.memories ADD CONSTRAINT memories_tags_check
    CHECK (cardinality(tags) <= 64 AND array_ndims(tags) IS DISTINCT FROM 2);
ALTER TABLE cogdb.memories DROP CONSTRAINT memories_visibility_check;
ALTER TABLE cogdb.memories
    ADD CONSTRAINT memories_visibility_check
        CHECK (visibility = ANY (cogdb.allowed_values('visibility'))),
    ADD CONSTRAINT memories_context_type_check
        CHECK (context_type = ANY (cogdb.allowed_values('context_type'))),
    ADD CONSTRAINT memories_source_check CHECK (source = ANY (cogdb.allowed_values('source'))),
    ADD CONSTRAINT memories_intent_type_check
        CHECK (intent_type = ANY (cogdb.allowed_values('intent_type'))),
    ADD CONSTRAINT memories_complexity_check
        CHECK (complexity = ANY (cogdb.allowed_values('complexity'))),
    ADD CONSTRAINT memories_emotional_valence_check
        CHECK (emotional_valence = ANY (cogdb.allowed_values('emotional_valence'))),
    ADD CONSTRAINT memories_urgency_check CHECK (urgency = ANY (cogdb.allowed_values('urgency'))),
    ADD CONSTRAINT memories_conversation_mode_check
        CHECK (conversation_mode = ANY (cogdb.allowed_values('conversation_mode')));
-- <<< step 20_memories.down.sql

REVOKE ALL ON FUNCTION cogdb.check_memory_row() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.check_memory_row() IS NULL;
-- sql/functions/memories/check_memory_row.sql as frozen in revision 0004
-- Trigger: validates a memory row before it is written and fills the tenant's default model,
-- so a direct INSERT/UPDATE is checked like remember(). Each refusal names the field (the
-- error's COLUMN) and what is allowed. The CHECK constraints on cogdb.memories hold the same
-- rules declaratively; this function exists to explain them and to check what a CHECK cannot
-- (the context, and the embedding's dimension for its model).
CREATE OR REPLACE FUNCTION cogdb.check_memory_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid;
    v_dims integer;
    v_item text[];
BEGIN
    -- Deleting a user sets owner_user_id to NULL on their shared memories: the foreign key's
    -- action runs as the table owner, changes nothing else, and is let through without a
    -- context. Nobody else may change an owner.
    IF TG_OP = 'UPDATE' AND NEW.owner_user_id IS DISTINCT FROM OLD.owner_user_id THEN
        IF current_user = 'cogdb_owner' AND NEW.owner_user_id IS NULL
           AND to_jsonb(NEW) - 'owner_user_id' = to_jsonb(OLD) - 'owner_user_id' THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'owner_user_id cannot be changed'
            USING ERRCODE = 'CGA02', COLUMN = 'owner_user_id',
                  HINT = 'Store a new memory under the new owner and forget the old one.';
    END IF;
    v_tenant := cogdb.require_tenant('writing memories');
    IF NEW.tenant_id IS DISTINCT FROM v_tenant THEN
        RAISE EXCEPTION 'tenant_id must be the tenant of the context (%)', v_tenant
            USING ERRCODE = 'CGA02', COLUMN = 'tenant_id',
                  HINT = 'Leave tenant_id out: it defaults to the context''s tenant.';
    END IF;
    IF TG_OP = 'INSERT' AND NEW.owner_user_id IS NOT NULL
       AND NEW.owner_user_id IS DISTINCT FROM cogdb.current_user_id() THEN
        RAISE EXCEPTION 'owner_user_id must be the user of the context'
            USING ERRCODE = 'CGA02', COLUMN = 'owner_user_id',
                  HINT = 'Leave owner_user_id out: it defaults to the context''s user.';
    END IF;

    -- length + an unbounded class: the same rule as {0,127}, whose bounded repetition made
    -- PostgreSQL's regex engine spend ~35 us per row.
    IF NEW.id IS NULL OR length(NEW.id) > 128 OR NEW.id !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' THEN
        RAISE EXCEPTION 'id must be 1-128 characters of letters, digits and _ . : - (got %)',
                        coalesce(quote_literal(left(NEW.id, 40)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'id',
                  HINT = 'Leave id out to get a server-made mem_<hex> id.';
    END IF;

    SELECT r.name, r.dimensions INTO NEW.model, v_dims FROM cogdb.resolve_model(NEW.model) r;
    IF NEW.embedding IS NULL THEN
        RAISE EXCEPTION 'embedding is required' USING ERRCODE = 'CGV01', COLUMN = 'embedding',
              HINT = 'Pass the vector of the memory''s text, embedded with its model.';
    END IF;
    IF public.vector_dims(NEW.embedding) <> v_dims THEN
        RAISE EXCEPTION 'embedding has % dimensions; model % needs %',
                        public.vector_dims(NEW.embedding), quote_literal(NEW.model), v_dims
            USING ERRCODE = 'CGV01', COLUMN = 'embedding',
                  HINT = 'Embed with the model named, or pass the model the vector came from.';
    END IF;
    IF public.vector_norm(NEW.embedding) = 0 THEN
        RAISE EXCEPTION 'embedding is a zero vector; cosine similarity is undefined for it'
            USING ERRCODE = 'CGV01', COLUMN = 'embedding',
                  HINT = 'Check the embedder: a real embedding has a non-zero norm.';
    END IF;

    -- Fast path for bulk writes: one expression (no queries) that is true only when every
    -- check below would pass; anything else (NULLs included) takes the detailed checks,
    -- which name the field. Chat-export sources always take them (the tenant's toggle).
    -- Tags pass here when their total length is at most 100 (so each one is).
    IF (NEW.visibility = ANY (cogdb.allowed_values('visibility'))
        AND NEW.context_type = ANY (cogdb.allowed_values('context_type'))
        AND NEW.source = ANY (cogdb.allowed_values('source'))
        AND NEW.source <> ALL (cogdb.chat_export_sources())
        AND (NEW.intent_type IS NULL OR NEW.intent_type = ANY (cogdb.allowed_values('intent_type')))
        AND (NEW.complexity IS NULL OR NEW.complexity = ANY (cogdb.allowed_values('complexity')))
        AND (NEW.emotional_valence IS NULL
             OR NEW.emotional_valence = ANY (cogdb.allowed_values('emotional_valence')))
        AND (NEW.urgency IS NULL OR NEW.urgency = ANY (cogdb.allowed_values('urgency')))
        AND (NEW.conversation_mode IS NULL
             OR NEW.conversation_mode = ANY (cogdb.allowed_values('conversation_mode')))
        AND (NEW.visibility = 'tenant' OR NEW.owner_user_id IS NOT NULL)
        AND length(NEW.human_content) <= 100000 AND length(NEW.assistant_content) <= 100000
        AND coalesce(length(NEW.summary) <= 10000, true)
        AND coalesce(length(NEW.conversation_id) <= 255, true)
        AND coalesce(length(NEW.cluster_label) <= 255, true)
        AND (NEW.human_content <> '' OR NEW.assistant_content <> '')
        AND coalesce(NEW.technical_depth BETWEEN 0 AND 10, true)
        AND coalesce(NEW.cluster_confidence BETWEEN 0 AND 1, true)
        AND NEW.sequence_index >= 0 AND NEW.access_count >= 0 AND NEW.cluster_id >= -1
        AND coalesce(NEW.expires_at > NEW.created_at, true)
        AND cardinality(NEW.tags) <= 64 AND coalesce(array_ndims(NEW.tags), 1) = 1
        AND array_position(NEW.tags, NULL) IS NULL AND NOT '' = ANY (NEW.tags)
        AND length(array_to_string(NEW.tags, '')) <= 100) IS TRUE THEN
        RETURN NEW;
    END IF;

    FOREACH v_item SLICE 1 IN ARRAY ARRAY[
        ARRAY['visibility', NEW.visibility], ARRAY['context_type', NEW.context_type],
        ARRAY['source', NEW.source], ARRAY['intent_type', NEW.intent_type],
        ARRAY['complexity', NEW.complexity], ARRAY['emotional_valence', NEW.emotional_valence],
        ARRAY['urgency', NEW.urgency], ARRAY['conversation_mode', NEW.conversation_mode]]
    LOOP
        IF v_item[2] IS NOT NULL AND NOT v_item[2] = ANY (cogdb.allowed_values(v_item[1])) THEN
            RAISE EXCEPTION '% must be one of %, got %', v_item[1],
                            array_to_string(cogdb.allowed_values(v_item[1]), ', '),
                            quote_literal(left(v_item[2], 60))
                USING ERRCODE = 'CGV01', COLUMN = v_item[1],
                      HINT = 'Use one of the listed values (see cogdb.allowed_values(field)).';
        END IF;
    END LOOP;
    -- The tenant setting features.chat_import (default: on for personal tenants, off for
    -- enterprise ones) gates memories made from providers' chat exports, whichever client
    -- writes them. Checked on INSERT and when an UPDATE turns a memory into one.
    IF NEW.source = ANY (cogdb.chat_export_sources())
       AND (TG_OP = 'INSERT' OR NEW.source IS DISTINCT FROM OLD.source)
       AND (SELECT (cogdb.effective_settings(t.mode, t.settings)
                    #>> '{features,chat_import}')::boolean
              FROM cogdb.tenants t WHERE t.id = v_tenant) IS NOT TRUE THEN
        RAISE EXCEPTION 'chat import is disabled for this tenant; enterprise memory is built from the assistant''s own conversations'
            USING ERRCODE = 'CGF01', COLUMN = 'source',
                  HINT = 'An admin can allow it: cogdb tenant set <tenant> '
                         'features.chat_import=true (cogdb.set_tenant_setting).';
    END IF;
    IF NEW.visibility = 'private' AND NEW.owner_user_id IS NULL THEN
        RAISE EXCEPTION 'a private memory needs a user in the context'
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'Pass a user to set_context, or use visibility ''tenant''.';
    END IF;

    FOREACH v_item SLICE 1 IN ARRAY ARRAY[
        ARRAY['human_content', NEW.human_content, '100000'],
        ARRAY['assistant_content', NEW.assistant_content, '100000'],
        ARRAY['summary', NEW.summary, '10000'],
        ARRAY['conversation_id', NEW.conversation_id, '255'],
        ARRAY['cluster_label', NEW.cluster_label, '255']]
    LOOP
        IF length(v_item[2]) > v_item[3]::integer THEN
            RAISE EXCEPTION '% is % characters; at most % are allowed',
                            v_item[1], length(v_item[2]), v_item[3]
                USING ERRCODE = 'CGV01', COLUMN = v_item[1],
                      HINT = 'Split long documents into several memories.';
        END IF;
    END LOOP;
    IF coalesce(NEW.human_content, '') = '' AND coalesce(NEW.assistant_content, '') = '' THEN
        RAISE EXCEPTION 'a memory needs human_content or assistant_content'
            USING ERRCODE = 'CGV01', COLUMN = 'human_content',
                  HINT = 'Store the question, the answer, or both.';
    END IF;

    IF NEW.technical_depth NOT BETWEEN 0 AND 10 THEN
        RAISE EXCEPTION 'technical_depth must be between 0 and 10, got %', NEW.technical_depth
            USING ERRCODE = 'CGV01', COLUMN = 'technical_depth',
                  HINT = 'Use 0 (none) to 10 (expert), or leave it out.';
    END IF;
    IF NOT NEW.cluster_confidence BETWEEN 0 AND 1 THEN  -- NaN sorts above 1: refused too
        RAISE EXCEPTION 'cluster_confidence must be between 0 and 1, got %', NEW.cluster_confidence
            USING ERRCODE = 'CGV01', COLUMN = 'cluster_confidence',
                  HINT = 'Use a probability from 0 to 1, or leave it out.';
    END IF;
    IF NEW.sequence_index < 0 OR NEW.access_count < 0 OR NEW.cluster_id < -1 THEN
        RAISE EXCEPTION 'sequence_index and access_count must be >= 0, cluster_id >= -1'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN NEW.sequence_index < 0 THEN 'sequence_index'
                                WHEN NEW.access_count < 0 THEN 'access_count'
                                ELSE 'cluster_id' END,
                  HINT = 'cluster_id -1 means no cluster.';
    END IF;
    IF NEW.expires_at <= NEW.created_at THEN
        RAISE EXCEPTION 'expires_at must be later than created_at'
            USING ERRCODE = 'CGV01', COLUMN = 'expires_at',
                  HINT = 'Leave expires_at out for a memory that never expires.';
    END IF;

    IF cardinality(NEW.tags) > 64 OR array_ndims(NEW.tags) > 1
       OR EXISTS (SELECT FROM unnest(NEW.tags) t WHERE t IS NULL OR length(t) NOT BETWEEN 1 AND 100)
    THEN
        RAISE EXCEPTION 'tags must be a list of at most 64 non-empty strings of at most 100 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'tags',
                  HINT = 'Drop empty or NULL tags and keep each short.';
    END IF;
    RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_memory_row() FROM PUBLIC;

-- sql/functions/memories/check_memory_batch.sql: new in this revision
DROP FUNCTION cogdb.check_memory_batch();

-- sql/functions/internal/memory_filters_sql.sql: new in this revision
DROP FUNCTION cogdb.memory_filters_sql(integer, jsonb);

-- sql/functions/internal/metadata_filter_sql.sql: new in this revision
DROP FUNCTION cogdb.metadata_filter_sql(jsonb);

-- sql/functions/memories/list_vocabulary.sql: new in this revision
DROP FUNCTION cogdb.list_vocabulary(text);

-- sql/functions/provisioning/add_vocabulary.sql: new in this revision
DROP FUNCTION cogdb.add_vocabulary(text, text[], text);

REVOKE ALL ON FUNCTION cogdb.allowed_values(text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.allowed_values(text) IS NULL;
-- sql/functions/memories/allowed_values.sql as frozen in revision 0001
-- The values a memory's enumerated field accepts (NULL for a field that is not enumerated).
-- One source of truth for the CHECK constraints on cogdb.memories and the messages of
-- check_memory_row(); adding a value is a new revision that replaces this function.
CREATE OR REPLACE FUNCTION cogdb.allowed_values(field text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT CASE field
        WHEN 'visibility'        THEN ARRAY['private', 'tenant']
        WHEN 'context_type'      THEN ARRAY['conversation', 'fact', 'entity', 'document', 'note']
        WHEN 'source'            THEN ARRAY['assistant', 'api', 'manual', 'import',
                                            'chatgpt_export', 'claude_export']
        WHEN 'intent_type'       THEN ARRAY['question', 'request', 'statement', 'command',
                                            'feedback', 'greeting', 'other']
        WHEN 'complexity'        THEN ARRAY['simple', 'moderate', 'complex']
        WHEN 'emotional_valence' THEN ARRAY['positive', 'neutral', 'negative', 'mixed']
        WHEN 'urgency'           THEN ARRAY['low', 'medium', 'high', 'critical']
        WHEN 'conversation_mode' THEN ARRAY['chat', 'task', 'debug', 'brainstorm', 'learning',
                                            'review', 'other']
    END
$$;

REVOKE ALL ON FUNCTION cogdb.allowed_values(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.allowed_values(text) TO cogdb_app, cogdb_admin, cogdb_auditor;

-- >>> step 10_vocabularies.down.sql
ALTER TABLE cogdb.embedding_models DROP COLUMN embedder;
-- <<< step 10_vocabularies.down.sql

-- sql/tables/vocabularies.sql: new in this revision
DROP TABLE cogdb.vocabularies;

RESET ROLE;
