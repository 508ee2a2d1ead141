-- cogdb revision 0006 (sessions): downgrade, written by `python -m tools.freeze 0006` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- sql/functions/sessions/search_offloaded.sql: new in this revision
DROP FUNCTION cogdb.search_offloaded(public.vector, integer, text);

-- sql/functions/sessions/get_offloaded.sql: new in this revision
DROP FUNCTION cogdb.get_offloaded(text);

-- sql/functions/sessions/offload_context.sql: new in this revision
DROP FUNCTION cogdb.offload_context(text, public.vector, jsonb, text);

-- sql/functions/sessions/delete_working_entry.sql: new in this revision
DROP FUNCTION cogdb.delete_working_entry(text, bigint, uuid, text, text);

-- sql/functions/sessions/set_working_entry.sql: new in this revision
DROP FUNCTION cogdb.set_working_entry(text, jsonb, bigint, uuid, text, text, timestamptz);

-- sql/functions/sessions/list_working_entries.sql: new in this revision
DROP FUNCTION cogdb.list_working_entries(uuid, text, text, text, integer, text, text);

-- sql/functions/sessions/get_working_entry.sql: new in this revision
DROP FUNCTION cogdb.get_working_entry(text, uuid, text, text);

-- sql/functions/sessions/raise_stale_version.sql: new in this revision
DROP FUNCTION cogdb.raise_stale_version(text, uuid, text, text, uuid, bigint);

-- sql/functions/sessions/working_entry_owner.sql: new in this revision
DROP FUNCTION cogdb.working_entry_owner(text, uuid);

-- sql/functions/sessions/event_chain.sql: new in this revision
DROP FUNCTION cogdb.event_chain(uuid, integer);

-- sql/functions/sessions/list_events.sql: new in this revision
DROP FUNCTION cogdb.list_events(uuid, bigint, integer, timestamptz, timestamptz, text);

-- sql/functions/sessions/append_event.sql: new in this revision
DROP FUNCTION cogdb.append_event(uuid, text, jsonb, text, text, uuid, uuid);

-- sql/functions/sessions/search_sessions.sql: new in this revision
DROP FUNCTION cogdb.search_sessions(public.vector, integer, text, integer);

-- sql/functions/sessions/session_memories.sql: new in this revision
DROP FUNCTION cogdb.session_memories(uuid, integer, timestamptz, text);

-- sql/functions/sessions/list_sessions.sql: new in this revision
DROP FUNCTION cogdb.list_sessions(integer, timestamptz, uuid, uuid, text, text, uuid, boolean);

-- sql/functions/sessions/get_session.sql: new in this revision
DROP FUNCTION cogdb.get_session(uuid);

-- sql/functions/sessions/end_session.sql: new in this revision
DROP FUNCTION cogdb.end_session(uuid);

-- sql/functions/sessions/start_session.sql: new in this revision
DROP FUNCTION cogdb.start_session(text, text, uuid, jsonb, text);

-- sql/policies/offloaded_contexts__visible_to_user.sql: new in this revision
DROP POLICY offloaded_contexts__visible_to_user ON cogdb.offloaded_contexts;

-- sql/policies/offloaded_contexts__tenant_fence.sql: new in this revision
DROP POLICY offloaded_contexts__tenant_fence ON cogdb.offloaded_contexts;

-- sql/tables/offloaded_contexts.sql: new in this revision
DROP TABLE cogdb.offloaded_contexts;

-- sql/functions/sessions/check_offload_row.sql: new in this revision
DROP FUNCTION cogdb.check_offload_row();

REVOKE ALL ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) IS NULL;
-- sql/functions/memories/remember_many.sql as frozen in revision 0005
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
                           'tags', 'metadata', 'cluster_id', 'cluster_label',
                           'cluster_confidence', 'access_count', 'last_accessed']);
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
               coalesce(r.tags, '[]') AS tags, coalesce(r.metadata, '{}') AS metadata,
               coalesce(r.cluster_id, -1) AS cluster_id,
               r.cluster_label, r.cluster_confidence,
               coalesce(r.access_count, 0) AS access_count, r.last_accessed,
               embeddings[r.ord] AS embedding
          FROM ROWS FROM (jsonb_to_recordset(memories) AS (
                   id text, conversation_id text, sequence_index integer, human_content text,
                   assistant_content text, summary text, context_type text, source text,
                   created_at timestamptz, expires_at timestamptz, visibility text,
                   intent_type text, complexity text, technical_depth smallint,
                   emotional_valence text, urgency text, conversation_mode text,
                   action_required boolean, has_code boolean, has_error boolean, tags jsonb,
                   metadata jsonb, cluster_id integer, cluster_label text, cluster_confidence real,
                   access_count integer, last_accessed timestamptz))
               WITH ORDINALITY AS r(id, conversation_id, sequence_index, human_content,
                   assistant_content, summary, context_type, source, created_at, expires_at,
                   visibility, intent_type, complexity, technical_depth, emotional_valence,
                   urgency, conversation_mode, action_required, has_code, has_error, tags,
                   metadata, cluster_id, cluster_label, cluster_confidence, access_count,
                   last_accessed, ord)
    ), inserted AS (
        INSERT INTO cogdb.memories AS m (
            id, conversation_id, sequence_index, human_content, assistant_content, summary,
            context_type, source, created_at, expires_at, visibility, intent_type, complexity,
            technical_depth, emotional_valence, urgency, conversation_mode, action_required,
            has_code, has_error, tags, metadata, cluster_id, cluster_label, cluster_confidence,
            access_count, last_accessed, model, embedding)
        SELECT i.id, i.conversation_id, i.sequence_index, i.human_content, i.assistant_content,
               i.summary, i.context_type, i.source, i.created_at, i.expires_at, i.visibility,
               i.intent_type, i.complexity, i.technical_depth, i.emotional_valence, i.urgency,
               i.conversation_mode, i.action_required, i.has_code, i.has_error, i.tags,
               i.metadata, i.cluster_id, i.cluster_label, i.cluster_confidence, i.access_count,
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
                       ('has_error', 'boolean')) AS t(key, typ)
         WHERE jsonb_typeof(e.obj -> t.key) NOT IN ('null')
           AND (jsonb_typeof(e.obj -> t.key) IN ('array', 'object')
                OR NOT pg_input_is_valid(e.obj ->> t.key, t.typ))
         ORDER BY e.ord
         LIMIT 1;
        IF v_bad_key IS NULL THEN
            RAISE;
        END IF;
        RAISE EXCEPTION '% of memory #% must be of type %, got %', v_bad_key, v_bad_ord,
                        v_bad_type, left((memories -> (v_bad_ord::integer - 1) -> v_bad_key)::text, 60)
            USING ERRCODE = 'CGV01', COLUMN = v_bad_key,
                  HINT = 'Numbers as JSON numbers, timestamps as ISO 8601 strings.';
    END;
END
$$;

REVOKE ALL ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) IS
    'Stores a batch of memories in one statement and returns (ordinality, id) in input order.';

REVOKE ALL ON FUNCTION cogdb.check_memory_row() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.check_memory_row() IS NULL;
-- sql/functions/memories/check_memory_row.sql as frozen in revision 0005
-- Trigger: validates a memory row before it is written and fills the tenant's default model,
-- so a direct INSERT/UPDATE is checked like remember(). Each refusal names the field (the
-- error's COLUMN) and what is allowed. The CHECK constraints on cogdb.memories hold the same
-- rules declaratively; this function exists to explain them and to check what a CHECK cannot
-- (the context, and the embedding's dimension for its model). Vocabularies and tags are
-- checked once per statement by check_memory_batch.
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

-- >>> step 10_memories.down.sql
-- Memories that were offload memories keep that context type, no longer in the vocabulary.
DELETE FROM cogdb.vocabularies WHERE field = 'context_type' AND value = 'offload';
DROP INDEX cogdb.memories_tenant_session_idx;
ALTER TABLE cogdb.memories DROP CONSTRAINT memories_tenant_id_session_id_fkey;
ALTER TABLE cogdb.memories DROP COLUMN session_id;
-- <<< step 10_memories.down.sql

-- sql/policies/working_context__not_expired.sql: new in this revision
DROP POLICY working_context__not_expired ON cogdb.working_context;

-- sql/policies/working_context__visible_to_user.sql: new in this revision
DROP POLICY working_context__visible_to_user ON cogdb.working_context;

-- sql/policies/working_context__tenant_fence.sql: new in this revision
DROP POLICY working_context__tenant_fence ON cogdb.working_context;

-- sql/policies/events__visible_to_user.sql: new in this revision
DROP POLICY events__visible_to_user ON cogdb.events;

-- sql/policies/events__tenant_fence.sql: new in this revision
DROP POLICY events__tenant_fence ON cogdb.events;

-- sql/policies/sessions__visible_to_user.sql: new in this revision
DROP POLICY sessions__visible_to_user ON cogdb.sessions;

-- sql/policies/sessions__tenant_fence.sql: new in this revision
DROP POLICY sessions__tenant_fence ON cogdb.sessions;

-- sql/tables/working_context.sql: new in this revision
DROP TABLE cogdb.working_context;

-- sql/tables/events.sql: new in this revision
DROP TABLE cogdb.events;

-- sql/tables/sessions.sql: new in this revision
DROP TABLE cogdb.sessions;

-- sql/functions/sessions/refuse_event_change.sql: new in this revision
DROP FUNCTION cogdb.refuse_event_change();

-- sql/functions/sessions/check_event_row.sql: new in this revision
DROP FUNCTION cogdb.check_event_row();

RESET ROLE;
