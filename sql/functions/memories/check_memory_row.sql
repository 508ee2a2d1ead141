-- Trigger: validates a memory row before it is written and fills the tenant's default model,
-- so a direct INSERT/UPDATE is checked like remember(). Each refusal names the field (the
-- error's COLUMN) and what is allowed. The CHECK constraints on cogdb.memories hold the same
-- rules declaratively; this function exists to explain them and to check what a CHECK cannot
-- (the context, the embedding's dimension for its model, a session the context can see, and
-- the fixed visibility of an offloaded context). On INSERT it runs only for a row that a rule
-- refuses, that leaves out its model or that names a session (the trigger's WHEN, see
-- sql/tables/memories.sql): other valid rows cost no call, and check_memory_batch checks
-- their dimensions, vocabularies and tags once per statement. On UPDATE it runs for every row.
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
    -- A memory names a session the context can see (sessions' policies apply here): the
    -- foreign key alone would accept another user's private session.
    IF NEW.session_id IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.session_id IS DISTINCT FROM OLD.session_id)
       AND NOT EXISTS (SELECT FROM cogdb.sessions s
                        WHERE s.tenant_id = v_tenant AND s.id = NEW.session_id) THEN
        RAISE EXCEPTION 'no session % (memory %)', NEW.session_id, NEW.id
            USING ERRCODE = 'CGN01', COLUMN = 'session_id',
                  HINT = 'Start one with cogdb.start_session(); other users'' private sessions '
                         'do not exist here.';
    END IF;
    -- An offloaded context's text carries its memory's visibility (offloaded_contexts'
    -- policies read the copy), so an offload memory keeps its visibility and context type.
    IF TG_OP = 'UPDATE' AND OLD.context_type = 'offload'
       AND (NEW.visibility IS DISTINCT FROM OLD.visibility
            OR NEW.context_type IS DISTINCT FROM OLD.context_type) THEN
        RAISE EXCEPTION 'an offloaded context keeps its visibility and context type (memory %)', NEW.id
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN NEW.visibility IS DISTINCT FROM OLD.visibility
                                THEN 'visibility' ELSE 'context_type' END,
                  HINT = 'Offload it again with the visibility wanted, and forget this one.';
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
    PERFORM cogdb.check_vector(NEW.embedding, 'embedding');

    -- Fast path for bulk writes: one expression (no queries) that is true only when every
    -- check below would pass; anything else (NULLs included) takes the detailed checks,
    -- which name the field. Chat-export sources always take them (the tenant's toggle).
    IF (NEW.visibility IN ('private', 'tenant')
        AND NEW.source <> ALL (cogdb.chat_export_sources())
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
        AND jsonb_typeof(NEW.tags) IN ('array', 'object') AND pg_column_size(NEW.tags) <= 16384
        AND jsonb_typeof(NEW.metadata) = 'object' AND pg_column_size(NEW.metadata) <= 65536
        ) IS TRUE THEN
        RETURN NEW;
    END IF;

    IF NEW.visibility IS NULL OR NEW.visibility NOT IN ('private', 'tenant') THEN
        RAISE EXCEPTION 'visibility must be one of private, tenant, got %',
                        coalesce(quote_literal(left(NEW.visibility, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'private: the context''s user only; tenant: everyone in the tenant.';
    END IF;
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

    IF jsonb_typeof(NEW.tags) IS DISTINCT FROM 'array'
       AND jsonb_typeof(NEW.tags) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'tags must be a JSON list of strings or a JSON object, got %',
                        coalesce(jsonb_typeof(NEW.tags), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'tags',
                  HINT = 'e.g. ["ops", "deploy"] or {"project": "billing"}';
    END IF;
    IF jsonb_typeof(NEW.metadata) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'metadata must be a JSON object, got %',
                        coalesce(jsonb_typeof(NEW.metadata), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'metadata',
                  HINT = 'e.g. {"customer": "acme", "priority": 2}; search filters its top-level keys.';
    END IF;
    IF pg_column_size(NEW.tags) > 16384 OR pg_column_size(NEW.metadata) > 65536 THEN
        RAISE EXCEPTION '% is % bytes; at most % are allowed',
                        CASE WHEN pg_column_size(NEW.tags) > 16384 THEN 'tags' ELSE 'metadata' END,
                        greatest(pg_column_size(NEW.tags), pg_column_size(NEW.metadata)),
                        CASE WHEN pg_column_size(NEW.tags) > 16384 THEN 16384 ELSE 65536 END
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN pg_column_size(NEW.tags) > 16384 THEN 'tags' ELSE 'metadata' END,
                  HINT = 'Keep tags and metadata small: they are filters, not documents.';
    END IF;
    RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_memory_row() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.check_memory_row() IS
    'Row trigger on memories: validates a row before it is written (context, owner, id, model and embedding, sizes, ranges) and names the field it refuses.';
