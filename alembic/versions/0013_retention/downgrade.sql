-- cogdb revision 0013 (retention): downgrade, written by `python -m tools.freeze 0013` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- sql/functions/governance/policy_report.sql: new in this revision
DROP FUNCTION cogdb.policy_report();

-- sql/functions/governance/policy_report_allowlist.sql: new in this revision
DROP FUNCTION cogdb.policy_report_allowlist();

-- sql/policies/memories__retained.sql: new in this revision
DROP POLICY memories__retained ON cogdb.memories;

REVOKE ALL ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) IS NULL;
-- sql/functions/memories/remember_many.sql as frozen in revision 0009
-- Stores a batch of memories in one statement and returns (ordinality, id) in input order.
-- `memories` is a JSON array of objects keyed by memory column names; `embeddings` holds one
-- vector per object, same order. All-or-nothing: one bad row refuses the whole batch.
-- Tenant and owner come from the context, never from the input (such keys are refused).
-- The model is resolved once for the batch (check_memory_batch checks each embedding's
-- dimensions against it, once per statement).
CREATE OR REPLACE FUNCTION cogdb.remember_many(memories jsonb, embeddings public.vector[],
                                               model text DEFAULT NULL)
    RETURNS TABLE (ordinality bigint, id text)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_model text;
    v_unknown text;
    v_bad_ord bigint;
    v_bad_key text;
    v_bad_type text;
BEGIN
    PERFORM cogdb.require_tenant('writing memories');
    SELECT r.name INTO v_model FROM cogdb.resolve_model(remember_many.model) r;
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
                           'cluster_confidence', 'access_count', 'last_accessed', 'session_id']);
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
               r.session_id, embeddings[r.ord] AS embedding
          FROM ROWS FROM (jsonb_to_recordset(memories) AS (
                   id text, conversation_id text, sequence_index integer, human_content text,
                   assistant_content text, summary text, context_type text, source text,
                   created_at timestamptz, expires_at timestamptz, visibility text,
                   intent_type text, complexity text, technical_depth smallint,
                   emotional_valence text, urgency text, conversation_mode text,
                   action_required boolean, has_code boolean, has_error boolean, tags jsonb,
                   metadata jsonb, cluster_id integer, cluster_label text, cluster_confidence real,
                   access_count integer, last_accessed timestamptz, session_id uuid))
               WITH ORDINALITY AS r(id, conversation_id, sequence_index, human_content,
                   assistant_content, summary, context_type, source, created_at, expires_at,
                   visibility, intent_type, complexity, technical_depth, emotional_valence,
                   urgency, conversation_mode, action_required, has_code, has_error, tags,
                   metadata, cluster_id, cluster_label, cluster_confidence, access_count,
                   last_accessed, session_id, ord)
    ), inserted AS (
        INSERT INTO cogdb.memories AS m (
            id, conversation_id, sequence_index, human_content, assistant_content, summary,
            context_type, source, created_at, expires_at, visibility, intent_type, complexity,
            technical_depth, emotional_valence, urgency, conversation_mode, action_required,
            has_code, has_error, tags, metadata, cluster_id, cluster_label, cluster_confidence,
            access_count, last_accessed, session_id, model, embedding)
        SELECT i.id, i.conversation_id, i.sequence_index, i.human_content, i.assistant_content,
               i.summary, i.context_type, i.source, i.created_at, i.expires_at, i.visibility,
               i.intent_type, i.complexity, i.technical_depth, i.emotional_valence, i.urgency,
               i.conversation_mode, i.action_required, i.has_code, i.has_error, i.tags,
               i.metadata, i.cluster_id, i.cluster_label, i.cluster_confidence, i.access_count,
               i.last_accessed, i.session_id, v_model, i.embedding
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
                       ('has_error', 'boolean'), ('session_id', 'uuid')) AS t(key, typ)
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
                  HINT = 'Numbers as JSON numbers, timestamps as ISO 8601 strings, session_id as a UUID string.';
    END;
END
$$;

REVOKE ALL ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) IS
    'Stores a batch of memories in one statement and returns (ordinality, id) in input order.';

-- sql/functions/retention/purge_retention.sql: new in this revision
DROP FUNCTION cogdb.purge_retention(text, integer);

-- sql/functions/retention/release_legal_hold.sql: new in this revision
DROP FUNCTION cogdb.release_legal_hold(text, text);

-- sql/functions/retention/place_legal_hold.sql: new in this revision
DROP FUNCTION cogdb.place_legal_hold(text, text, text);

-- sql/functions/retention/drop_retention_policy.sql: new in this revision
DROP FUNCTION cogdb.drop_retention_policy(text, text, text);

-- sql/functions/retention/set_retention_policy.sql: new in this revision
DROP FUNCTION cogdb.set_retention_policy(text, text, text, interval, integer, text);

-- sql/functions/retention/list_retention.sql: new in this revision
DROP FUNCTION cogdb.list_retention(text);

-- sql/functions/retention/retention_cutoffs.sql: new in this revision
DROP FUNCTION cogdb.retention_cutoffs();

-- sql/functions/retention/retention_horizon.sql: new in this revision
DROP FUNCTION cogdb.retention_horizon();

-- sql/policies/retention_holds__inside_fence.sql: new in this revision
DROP POLICY retention_holds__inside_fence ON cogdb.retention_holds;

-- sql/policies/retention_holds__tenant_fence.sql: new in this revision
DROP POLICY retention_holds__tenant_fence ON cogdb.retention_holds;

-- sql/policies/retention_policies__inside_fence.sql: new in this revision
DROP POLICY retention_policies__inside_fence ON cogdb.retention_policies;

-- sql/policies/retention_policies__tenant_fence.sql: new in this revision
DROP POLICY retention_policies__tenant_fence ON cogdb.retention_policies;

-- sql/tables/retention_holds.sql: new in this revision
DROP TABLE cogdb.retention_holds;

-- sql/tables/retention_policies.sql: new in this revision
DROP TABLE cogdb.retention_policies;

-- >>> step 10_memories.down.sql
DROP INDEX cogdb.memories_tenant_model_visibility_idx;
CREATE INDEX memories_tenant_model_visibility_idx
    ON ONLY cogdb.memories (tenant_id, model, visibility, owner_user_id)
    INCLUDE (expires_at);
-- Each partition's index under the name move_to_partition gives it (<partition>_<suffix>),
-- attached: the names survive a downgrade through revision 0009.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT h.inhrelid::regclass AS part, c.relname FROM pg_inherits h
               JOIN pg_class c ON c.oid = h.inhrelid
              WHERE h.inhparent = 'cogdb.memories'::regclass
    LOOP
        EXECUTE format('CREATE INDEX %I ON %s (tenant_id, model, visibility, owner_user_id)'
                       ' INCLUDE (expires_at)',
                       r.relname || '_tenant_model_visibility_idx', r.part);
        EXECUTE format('ALTER INDEX cogdb.memories_tenant_model_visibility_idx ATTACH PARTITION cogdb.%I',
                       r.relname || '_tenant_model_visibility_idx');
    END LOOP;
END
$$;
ALTER TABLE cogdb.memories DROP COLUMN anonymised_at;
-- <<< step 10_memories.down.sql

RESET ROLE;
