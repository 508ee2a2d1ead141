-- cogdb revision 0008 (knowledge): written by `python -m tools.freeze 0008` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> step 05_btree_gin.sql
-- btree_gin gives GIN indexes uuid equality, so the text index's GIN index is
-- (tenant_id, tsv): one index scan finds a tenant's matching rows. Like pgvector in 0001
-- it is created by the migrating role (btree_gin is a trusted extension: CREATE on the
-- database is enough), in schema public unless it is already installed elsewhere; the
-- objects that follow are created as cogdb_owner again.
RESET ROLE;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'btree_gin') THEN
        CREATE EXTENSION btree_gin WITH SCHEMA public;
    END IF;
END $$;
SET LOCAL ROLE cogdb_owner;
-- <<< step 05_btree_gin.sql

-- >>> sql/functions/knowledge/entity_id_for.sql
-- The id of the entity keyed (system, external_id): 'ent_' and the first 32 hex digits of the
-- SHA-256 of the key text. Derived from the key, so the same key names the same entity
-- however it is written (the primary key alone keeps keys unique, which makes upserts
-- race-free), and an id reveals nothing that a caller who can see the row does not already
-- see. system '' is the name-keyed space; a system never contains ':', so the key text is
-- unambiguous. IMMUTABLE although convert_to is STABLE: the target encoding is fixed (UTF8),
-- so the result never changes.
CREATE OR REPLACE FUNCTION cogdb.entity_id_for(system text, external_id text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT 'ent_' || left(encode(sha256(convert_to(system || ':' || external_id, 'UTF8')), 'hex'), 32)
$$;

REVOKE ALL ON FUNCTION cogdb.entity_id_for(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.entity_id_for(text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.entity_id_for(text, text) IS
    'The id of the entity keyed (system, external_id): ent_ and 32 hex digits of the SHA-256 of the key.';
-- <<< sql/functions/knowledge/entity_id_for.sql

-- >>> sql/functions/knowledge/jsonb_merge.sql
-- Merges `newer` into `older` the way upsert_entity merges an entity's data: where both are
-- objects, key by key and recursively (keys of either side are kept); anywhere else the newer
-- value replaces the older one: scalars, lists, JSON null, and a conflict of types (an
-- object replaced by a scalar or a list, or the other way round) all take the newer value.
-- SQL NULL for `newer` keeps `older`. Nothing present in only one side is ever lost.
CREATE OR REPLACE FUNCTION cogdb.jsonb_merge(older jsonb, newer jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN newer IS NULL THEN older
        WHEN older IS NULL OR jsonb_typeof(older) <> 'object' OR jsonb_typeof(newer) <> 'object'
            THEN newer
        ELSE older || coalesce((SELECT jsonb_object_agg(n.key,
                                       CASE WHEN jsonb_typeof(n.value) = 'object'
                                                 AND jsonb_typeof(older -> n.key) = 'object'
                                            THEN cogdb.jsonb_merge(older -> n.key, n.value)
                                            ELSE n.value END)
                                  FROM jsonb_each(newer) n), '{}')
    END
$$;

REVOKE ALL ON FUNCTION cogdb.jsonb_merge(jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.jsonb_merge(jsonb, jsonb) TO cogdb_app;
COMMENT ON FUNCTION cogdb.jsonb_merge(jsonb, jsonb) IS
    'Merges newer into older: objects key by key, recursively; scalars, lists and conflicting types take the newer value.';
-- <<< sql/functions/knowledge/jsonb_merge.sql

-- >>> sql/functions/knowledge/builtin_relationship_types.sql
-- The relationship types every tenant has (the seeds' five); none of them is exclusive.
-- Tenants register more with cogdb.register_relationship_type.
CREATE OR REPLACE FUNCTION cogdb.builtin_relationship_types() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT ARRAY['led_to', 'relates_to', 'depends_on', 'produces', 'belongs_to'] $$;

REVOKE ALL ON FUNCTION cogdb.builtin_relationship_types() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.builtin_relationship_types() TO cogdb_app;
COMMENT ON FUNCTION cogdb.builtin_relationship_types() IS
    'The relationship types every tenant has: led_to, relates_to, depends_on, produces, belongs_to.';
-- <<< sql/functions/knowledge/builtin_relationship_types.sql

-- >>> sql/functions/knowledge/fact_holds.sql
-- Whether a relationship record is part of the picture at (as_of, known_at): cogdb's
-- knowledge as of `known_at` (recorded by then and not superseded by then; NULL: current
-- knowledge, i.e. not superseded), about the world at `as_of` (valid_from <= as_of <
-- valid_to; as_of NULL: known_at, else now). The one rule relationship reads share.
-- Inlinable (LANGUAGE sql, no SET clause) so that traversal plans it as plain conditions.
CREATE OR REPLACE FUNCTION cogdb.fact_holds(valid_from timestamptz, valid_to timestamptz,
                                            recorded_at timestamptz, superseded_at timestamptz,
                                            as_of timestamptz, known_at timestamptz)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT (known_at IS NULL OR recorded_at <= known_at)
       AND (superseded_at IS NULL OR superseded_at > known_at)
       AND valid_from <= coalesce(as_of, known_at, pg_catalog.now())
       AND (valid_to IS NULL OR valid_to > coalesce(as_of, known_at, pg_catalog.now()))
$$;

REVOKE ALL ON FUNCTION cogdb.fact_holds(timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.fact_holds(timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz) TO cogdb_app;
COMMENT ON FUNCTION cogdb.fact_holds(timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz) IS
    'Whether a relationship record is part of the picture at (as_of, known_at): current knowledge by default, about now by default.';
-- <<< sql/functions/knowledge/fact_holds.sql

-- >>> sql/functions/knowledge/check_entity_row.sql
-- Trigger (BEFORE INSERT OR UPDATE ON entities): what the CHECK constraints cannot say, so a
-- direct INSERT/UPDATE is checked like upsert_entity(): a context is required, the tenant and
-- (on insert) the owner are the context's, an owner never changes (except to NULL when the
-- foreign key clears a deleted user), the id is the one its key derives (entity_id_for), the
-- key never changes, and an embedding matches its model's dimensions. Each refusal names the
-- field.
CREATE OR REPLACE FUNCTION cogdb.check_entity_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid;
    v_dims integer;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.owner_user_id IS DISTINCT FROM OLD.owner_user_id THEN
        -- Deleting a user clears the owner of their shared entities: the foreign key's action
        -- runs as the table owner, changes nothing else, and needs no context.
        IF current_user = 'cogdb_owner' AND NEW.owner_user_id IS NULL
           AND to_jsonb(NEW) - 'owner_user_id' = to_jsonb(OLD) - 'owner_user_id' THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'owner_user_id cannot be changed'
            USING ERRCODE = 'CGA02', COLUMN = 'owner_user_id',
                  HINT = 'Upsert a new entity under another key instead.';
    END IF;
    v_tenant := cogdb.require_tenant('writing entities');
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
    IF TG_OP = 'UPDATE' AND (NEW.system, NEW.external_id, NEW.id)
                            IS DISTINCT FROM (OLD.system, OLD.external_id, OLD.id) THEN
        RAISE EXCEPTION 'an entity''s key (system, external_id) and id never change'
            USING ERRCODE = 'CGV01', COLUMN = 'external_id',
                  HINT = 'Upsert the entity under its new key and merge the old one into it '
                         '(cogdb.merge_entities).';
    END IF;
    IF NEW.id IS DISTINCT FROM cogdb.entity_id_for(NEW.system, NEW.external_id) THEN
        RAISE EXCEPTION 'id must be cogdb.entity_id_for(system, external_id)'
            USING ERRCODE = 'CGV01', COLUMN = 'id',
                  HINT = 'Leave id to cogdb.upsert_entity, which derives it from the key.';
    END IF;
    IF NEW.visibility = 'private' AND NEW.owner_user_id IS NULL THEN
        RAISE EXCEPTION 'a private entity needs a user in the context'
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'Pass a user to set_context, or use visibility ''tenant''.';
    END IF;
    IF NEW.embedding IS NOT NULL THEN
        SELECT r.name, r.dimensions INTO NEW.model, v_dims FROM cogdb.resolve_model(NEW.model) r;
        IF public.vector_dims(NEW.embedding) <> v_dims THEN
            RAISE EXCEPTION 'embedding has % dimensions; model % needs %',
                            public.vector_dims(NEW.embedding), quote_literal(NEW.model), v_dims
                USING ERRCODE = 'CGV01', COLUMN = 'embedding',
                      HINT = 'Embed with the model named, or pass the model the vector came from.';
        END IF;
    END IF;
    RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_entity_row() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.check_entity_row() IS
    'Row trigger on entities: the context, tenant, owner, key and embedding rules a CHECK cannot state.';
-- <<< sql/functions/knowledge/check_entity_row.sql

-- >>> sql/functions/knowledge/check_relationship_row.sql
-- Trigger (BEFORE INSERT OR UPDATE ON relationships): so a direct INSERT is checked like
-- relate(): a context is required, the tenant and owner are the context's, the type is built
-- in or registered for the tenant. After that a record never changes, except that it is
-- superseded (superseded_at/superseded_by, set once), that merge_entities re-points an entity
-- endpoint to the survivor, and that foreign keys clear a deleted user or superseding record.
CREATE OR REPLACE FUNCTION cogdb.check_relationship_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF to_jsonb(NEW) - ARRAY['superseded_at', 'superseded_by', 'from_entity_id',
                                 'to_entity_id', 'owner_user_id']
           IS DISTINCT FROM to_jsonb(OLD) - ARRAY['superseded_at', 'superseded_by',
                                                  'from_entity_id', 'to_entity_id',
                                                  'owner_user_id']
           OR (OLD.superseded_at IS NOT NULL
               AND NEW.superseded_at IS DISTINCT FROM OLD.superseded_at)
           OR (NEW.owner_user_id IS DISTINCT FROM OLD.owner_user_id AND NEW.owner_user_id IS NOT NULL)
           OR (NEW.superseded_by IS DISTINCT FROM OLD.superseded_by
               AND NEW.superseded_by IS NOT NULL AND OLD.superseded_by IS NOT NULL) THEN
            RAISE EXCEPTION 'a relationship record never changes once written; only its supersession is recorded'
                USING ERRCODE = 'CGV01', COLUMN = 'superseded_at',
                      HINT = 'Record the new fact with cogdb.relate(): it supersedes the old record.';
        END IF;
        -- The foreign keys' actions (a deleted user or superseding record) run as the table
        -- owner without a context.
        IF current_user = 'cogdb_owner'
           AND (NEW.from_entity_id, NEW.to_entity_id, NEW.superseded_at)
               IS NOT DISTINCT FROM (OLD.from_entity_id, OLD.to_entity_id, OLD.superseded_at) THEN
            RETURN NEW;
        END IF;
        PERFORM cogdb.require_tenant('writing relationships');
        RETURN NEW;
    END IF;
    v_tenant := cogdb.require_tenant('writing relationships');
    IF NEW.tenant_id IS DISTINCT FROM v_tenant THEN
        RAISE EXCEPTION 'tenant_id must be the tenant of the context (%)', v_tenant
            USING ERRCODE = 'CGA02', COLUMN = 'tenant_id',
                  HINT = 'Leave tenant_id out: it defaults to the context''s tenant.';
    END IF;
    IF NEW.owner_user_id IS NOT NULL AND NEW.owner_user_id IS DISTINCT FROM cogdb.current_user_id() THEN
        RAISE EXCEPTION 'owner_user_id must be the user of the context'
            USING ERRCODE = 'CGA02', COLUMN = 'owner_user_id',
                  HINT = 'Leave owner_user_id out: it defaults to the context''s user.';
    END IF;
    IF NEW.visibility = 'private' AND NEW.owner_user_id IS NULL THEN
        RAISE EXCEPTION 'a private relationship needs a user in the context'
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'Pass a user to set_context, or use visibility ''tenant''.';
    END IF;
    IF NOT NEW.type = ANY (cogdb.builtin_relationship_types())
       AND NOT EXISTS (SELECT FROM cogdb.relationship_types t WHERE t.name = NEW.type) THEN
        RAISE EXCEPTION 'unknown relationship type %', quote_literal(left(NEW.type, 60))
            USING ERRCODE = 'CGV01', COLUMN = 'type',
                  HINT = 'Use a built-in type (' || array_to_string(cogdb.builtin_relationship_types(), ', ')
                         || ') or register one: cogdb relation-type add <name> '
                         '(cogdb.register_relationship_type).';
    END IF;
    IF NEW.superseded_at IS NOT NULL OR NEW.superseded_by IS NOT NULL THEN
        RAISE EXCEPTION 'a new relationship record cannot be superseded already'
            USING ERRCODE = 'CGV01', COLUMN = 'superseded_at',
                  HINT = 'Leave superseded_at and superseded_by out.';
    END IF;
    RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_relationship_row() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.check_relationship_row() IS
    'Row trigger on relationships: context, tenant, owner and type on insert; afterwards only supersession (and a merge''s re-pointing) may change a record.';
-- <<< sql/functions/knowledge/check_relationship_row.sql

-- >>> sql/functions/knowledge/index_text.sql
-- Statement trigger that keeps cogdb.text_index in step with its sources, once per
-- statement over the transition tables:
--   memories             INSERT, or an UPDATE of the text, summary, owner or visibility:
--                        summary (weight A), question and answer (B);
--   entities             INSERT, or an UPDATE of name, type, owner or visibility;
--   entity_observations  INSERT or DELETE: the entity's document again.
-- An entity's document is its name (A), observations (B) and type (C). The text is indexed
-- in the tenant's search.language (cogdb.tenant_language). Deletes need nothing: foreign
-- keys remove the index rows. Definer: the app has no privilege on text_index; entities and
-- observations are read under their policies in the writer's context, which sees the rows
-- it writes.
CREATE OR REPLACE FUNCTION cogdb.index_text() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_memories text[];
    v_entities text[];
BEGIN
    -- Which rows changed what the index holds (the transition tables a trigger has depend on
    -- the event, so each event reads its own).
    IF TG_TABLE_NAME = 'memories' AND TG_OP = 'INSERT' THEN
        SELECT array_agg(n.id) INTO v_memories FROM new_rows n;
    ELSIF TG_TABLE_NAME = 'memories' THEN
        SELECT array_agg(n.id) INTO v_memories
          FROM new_rows n JOIN old_rows o ON o.tenant_id = n.tenant_id AND o.id = n.id
         WHERE (o.human_content, o.assistant_content, o.summary, o.owner_user_id, o.visibility)
               IS DISTINCT FROM
               (n.human_content, n.assistant_content, n.summary, n.owner_user_id, n.visibility);
    ELSIF TG_TABLE_NAME = 'entities' AND TG_OP = 'INSERT' THEN
        SELECT array_agg(n.id) INTO v_entities FROM new_rows n;
    ELSIF TG_TABLE_NAME = 'entities' THEN
        SELECT array_agg(n.id) INTO v_entities
          FROM new_rows n JOIN old_rows o ON o.tenant_id = n.tenant_id AND o.id = n.id
         WHERE (o.name, o.entity_type, o.owner_user_id, o.visibility)
               IS DISTINCT FROM (n.name, n.entity_type, n.owner_user_id, n.visibility);
    ELSIF TG_OP = 'INSERT' THEN  -- entity_observations
        SELECT array_agg(DISTINCT n.entity_id) INTO v_entities FROM new_rows n;
    ELSE
        SELECT array_agg(DISTINCT o.entity_id) INTO v_entities FROM old_rows o;
    END IF;

    IF v_memories IS NOT NULL AND TG_OP = 'INSERT' THEN
        INSERT INTO cogdb.text_index AS x (tenant_id, memory_id, owner_user_id, visibility,
                                           language, tsv)
        SELECT n.tenant_id, n.id, n.owner_user_id, n.visibility, l.language,
               setweight(to_tsvector(l.language, coalesce(n.summary, '')), 'A')
               || setweight(to_tsvector(l.language, n.human_content || ' ' || n.assistant_content), 'B')
          FROM new_rows n
          JOIN (SELECT d.tenant_id, cogdb.tenant_language(d.tenant_id) AS language
                  FROM (SELECT DISTINCT r.tenant_id FROM new_rows r) d) l
            ON l.tenant_id = n.tenant_id
        ON CONFLICT (tenant_id, memory_id) WHERE memory_id IS NOT NULL DO UPDATE
           SET owner_user_id = excluded.owner_user_id, visibility = excluded.visibility,
               language = excluded.language, tsv = excluded.tsv;
    ELSIF v_memories IS NOT NULL THEN
        INSERT INTO cogdb.text_index AS x (tenant_id, memory_id, owner_user_id, visibility,
                                           language, tsv)
        SELECT n.tenant_id, n.id, n.owner_user_id, n.visibility, l.language,
               setweight(to_tsvector(l.language, coalesce(n.summary, '')), 'A')
               || setweight(to_tsvector(l.language, n.human_content || ' ' || n.assistant_content), 'B')
          FROM new_rows n
          JOIN (SELECT d.tenant_id, cogdb.tenant_language(d.tenant_id) AS language
                  FROM (SELECT DISTINCT r.tenant_id FROM new_rows r) d) l
            ON l.tenant_id = n.tenant_id
         WHERE n.id = ANY (v_memories)
        ON CONFLICT (tenant_id, memory_id) WHERE memory_id IS NOT NULL DO UPDATE
           SET owner_user_id = excluded.owner_user_id, visibility = excluded.visibility,
               language = excluded.language, tsv = excluded.tsv;
    END IF;

    IF v_entities IS NOT NULL THEN
        INSERT INTO cogdb.text_index AS x (tenant_id, entity_id, owner_user_id, visibility,
                                           language, tsv)
        SELECT e.tenant_id, e.id, e.owner_user_id, e.visibility, l.language,
               setweight(to_tsvector(l.language, e.name), 'A')
               || setweight(to_tsvector(l.language, coalesce(
                      (SELECT string_agg(o.observation, E'\n' ORDER BY o.created_at, o.observation)
                         FROM cogdb.entity_observations o
                        WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id), '')), 'B')
               || setweight(to_tsvector(l.language, e.entity_type), 'C')
          FROM cogdb.entities e
          JOIN (SELECT t.id AS tenant_id, cogdb.tenant_language(t.id) AS language
                  FROM cogdb.tenants t WHERE t.id = cogdb.current_tenant_id()) l
            ON l.tenant_id = e.tenant_id
         WHERE e.id = ANY (v_entities)
        ON CONFLICT (tenant_id, entity_id) WHERE entity_id IS NOT NULL DO UPDATE
           SET owner_user_id = excluded.owner_user_id, visibility = excluded.visibility,
               language = excluded.language, tsv = excluded.tsv;
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION cogdb.index_text() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.index_text() IS
    'Statement trigger on memories, entities and entity_observations: keeps the owner-only text index of hybrid search in step.';
-- <<< sql/functions/knowledge/index_text.sql

-- >>> sql/functions/knowledge/count_tenant_stats.sql
-- Statement trigger on memories, entities, entity_observations and relationships: records
-- what each write added or removed, per tenant and metric, as append-only deltas in the
-- owner-only cogdb.tenant_stats (no hot counter row, so writers never wait on each other),
-- with the bytes of row data (pg_column_size of the row, plus 28 for its header and line
-- pointer). cogdb.stats() sums them instead of counting rows. Definer: the app has no
-- privilege on tenant_stats. A tenant's deletion cascades here after the tenant row is gone:
-- nothing is recorded for it.
CREATE OR REPLACE FUNCTION cogdb.count_tenant_stats() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- One static statement per table kind and event (an INSERT trigger has only new_rows,
    -- a DELETE trigger only old_rows): +1 for the rows a statement wrote, -1 for those it
    -- replaced or deleted.
    IF TG_TABLE_NAME = 'memories' THEN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)
              FROM (SELECT n.tenant_id, n.context_type, n.source, n.visibility,
                           pg_column_size(n.*)::bigint + 28 AS size, 1 AS sign FROM new_rows n) c
             CROSS JOIN LATERAL (VALUES ('memories', 1, c.size), ('memories.context_type.' || c.context_type, 1, 0),
                                    ('memories.source.' || c.source, 1, 0),
                                    ('memories.visibility.' || c.visibility, 1, 0)) AS x(metric, counts, bytes)
             WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)
             GROUP BY 1, 2
            HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0;
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)
              FROM (SELECT o.tenant_id, o.context_type, o.source, o.visibility,
                           pg_column_size(o.*)::bigint + 28 AS size, -1 AS sign FROM old_rows o) c
             CROSS JOIN LATERAL (VALUES ('memories', 1, c.size), ('memories.context_type.' || c.context_type, 1, 0),
                                    ('memories.source.' || c.source, 1, 0),
                                    ('memories.visibility.' || c.visibility, 1, 0)) AS x(metric, counts, bytes)
             WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)
             GROUP BY 1, 2
            HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0;
        ELSE
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)
              FROM (SELECT n.tenant_id, n.context_type, n.source, n.visibility,
                           pg_column_size(n.*)::bigint + 28 AS size, 1 AS sign FROM new_rows n
                        UNION ALL
                        SELECT o.tenant_id, o.context_type, o.source, o.visibility,
                           pg_column_size(o.*)::bigint + 28 AS size, -1 AS sign FROM old_rows o) c
             CROSS JOIN LATERAL (VALUES ('memories', 1, c.size), ('memories.context_type.' || c.context_type, 1, 0),
                                    ('memories.source.' || c.source, 1, 0),
                                    ('memories.visibility.' || c.visibility, 1, 0)) AS x(metric, counts, bytes)
             WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)
             GROUP BY 1, 2
            HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0;
        END IF;
    ELSIF TG_TABLE_NAME = 'relationships' THEN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)
              FROM (SELECT n.tenant_id, n.superseded_at IS NOT NULL AS superseded,
                           pg_column_size(n.*)::bigint + 28 AS size, 1 AS sign FROM new_rows n) c
             CROSS JOIN LATERAL (VALUES ('relationships', 1, c.size),
                                    ('relationships.superseded', c.superseded::integer, 0)) AS x(metric, counts, bytes)
             WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)
             GROUP BY 1, 2
            HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0;
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)
              FROM (SELECT o.tenant_id, o.superseded_at IS NOT NULL AS superseded,
                           pg_column_size(o.*)::bigint + 28 AS size, -1 AS sign FROM old_rows o) c
             CROSS JOIN LATERAL (VALUES ('relationships', 1, c.size),
                                    ('relationships.superseded', c.superseded::integer, 0)) AS x(metric, counts, bytes)
             WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)
             GROUP BY 1, 2
            HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0;
        ELSE
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)
              FROM (SELECT n.tenant_id, n.superseded_at IS NOT NULL AS superseded,
                           pg_column_size(n.*)::bigint + 28 AS size, 1 AS sign FROM new_rows n
                        UNION ALL
                        SELECT o.tenant_id, o.superseded_at IS NOT NULL AS superseded,
                           pg_column_size(o.*)::bigint + 28 AS size, -1 AS sign FROM old_rows o) c
             CROSS JOIN LATERAL (VALUES ('relationships', 1, c.size),
                                    ('relationships.superseded', c.superseded::integer, 0)) AS x(metric, counts, bytes)
             WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)
             GROUP BY 1, 2
            HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0;
        END IF;
    ELSE  -- entities, entity_observations: a count and bytes
        IF TG_OP = 'INSERT' THEN
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)
              FROM (SELECT n.tenant_id,
                           pg_column_size(n.*)::bigint + 28 AS size, 1 AS sign FROM new_rows n) c
             CROSS JOIN LATERAL (VALUES (TG_TABLE_NAME::text, 1, c.size)) AS x(metric, counts, bytes)
             WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)
             GROUP BY 1, 2
            HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0;
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)
              FROM (SELECT o.tenant_id,
                           pg_column_size(o.*)::bigint + 28 AS size, -1 AS sign FROM old_rows o) c
             CROSS JOIN LATERAL (VALUES (TG_TABLE_NAME::text, 1, c.size)) AS x(metric, counts, bytes)
             WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)
             GROUP BY 1, 2
            HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0;
        ELSE
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(c.sign * x.counts), sum(c.sign * x.bytes)
              FROM (SELECT n.tenant_id,
                           pg_column_size(n.*)::bigint + 28 AS size, 1 AS sign FROM new_rows n
                        UNION ALL
                        SELECT o.tenant_id,
                           pg_column_size(o.*)::bigint + 28 AS size, -1 AS sign FROM old_rows o) c
             CROSS JOIN LATERAL (VALUES (TG_TABLE_NAME::text, 1, c.size)) AS x(metric, counts, bytes)
             WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = c.tenant_id)
             GROUP BY 1, 2
            HAVING sum(c.sign * x.counts) <> 0 OR sum(c.sign * x.bytes) <> 0;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION cogdb.count_tenant_stats() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.count_tenant_stats() IS
    'Statement trigger on memories, entities, entity_observations and relationships: records each write''s count and byte deltas per tenant, for cogdb.stats().';
-- <<< sql/functions/knowledge/count_tenant_stats.sql

-- >>> sql/functions/knowledge/purge_private_knowledge.sql
-- Trigger (BEFORE DELETE ON users): deletes the departing user's private entities and
-- private relationships, which no one else may read, before the foreign keys clear the owner
-- of their shared ones (like purge_private_memories; relationships that touch a deleted
-- entity or memory go with it by their own foreign keys). Definer so it can see the private
-- rows: it takes the user's own context for the purge and restores the caller's.
CREATE OR REPLACE FUNCTION cogdb.purge_private_knowledge() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller text[];  -- the caller's context, put back before returning
BEGIN
    v_caller := cogdb.enter_tenant(OLD.tenant_id, OLD.id);
    DELETE FROM cogdb.relationships r
     WHERE r.tenant_id = OLD.tenant_id AND r.owner_user_id = OLD.id AND r.visibility = 'private';
    DELETE FROM cogdb.entities e
     WHERE e.tenant_id = OLD.tenant_id AND e.owner_user_id = OLD.id AND e.visibility = 'private';
    PERFORM cogdb.restore_context(v_caller);
    RETURN OLD;
END
$$;

REVOKE ALL ON FUNCTION cogdb.purge_private_knowledge() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.purge_private_knowledge() IS
    'Row trigger on users: deletes a departing user''s private entities and relationships before the foreign keys clear the owner of their shared ones.';
-- <<< sql/functions/knowledge/purge_private_knowledge.sql

-- >>> sql/tables/entities.sql
-- Entities of the knowledge layer: people, projects, customers, anything the assistant keeps
-- facts about. Keyed within the tenant by (system, external_id): system names the source of
-- the key (e.g. 'crm', 'github'); system '' means the key is the entity's name, as assistants
-- and the MCP memory tools name entities. The id is derived from the key
-- (cogdb.entity_id_for), so the same key names the same entity wherever it is written, and
-- the primary key is the key's uniqueness.
-- Written through cogdb.upsert_entity, which merges `data` key by key (cogdb.jsonb_merge) and
-- counts every upsert in update_count. An entity merged into another (cogdb.merge_entities)
-- stays as an alias: merged_into names its survivor, and lookups by its key return the
-- survivor. Observations live in cogdb.entity_observations; relationships in
-- cogdb.relationships. Private entities are visible to their owner only (policies
-- entities__tenant_fence and entities__visible_to_user), like memories.
CREATE TABLE cogdb.entities (
    tenant_id     uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    id            text NOT NULL CHECK (id ~ '^ent_[0-9a-f]{32}$'),
    system        text NOT NULL DEFAULT ''
                  CHECK (system = '' OR system ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
    external_id   text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 500),
    entity_type   text NOT NULL DEFAULT 'thing' CHECK (length(entity_type) BETWEEN 1 AND 100),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 500),
    -- A JSON object; upserts merge nested objects key by key and replace everything else,
    -- so it only grows: up to 1 MiB.
    data          jsonb NOT NULL DEFAULT '{}'
                  CHECK (jsonb_typeof(data) = 'object' AND pg_column_size(data) <= 1048576),
    owner_user_id uuid DEFAULT cogdb.current_user_id(),
    visibility    text NOT NULL DEFAULT 'tenant' CHECK (visibility IN ('private', 'tenant')),
    update_count  bigint NOT NULL DEFAULT 1 CHECK (update_count >= 1),
    first_seen    timestamptz NOT NULL DEFAULT now(),
    last_seen     timestamptz NOT NULL DEFAULT now(),
    -- Optional: the entity's embedding (of its name and observations), so that hybrid search
    -- finds it by meaning. Any registered model; checked by check_entity_row.
    model         text REFERENCES cogdb.embedding_models (name),
    embedding     public.vector CHECK (public.vector_norm(embedding) > 0),
    merged_into   text,
    -- The id is derived from the key, so the primary key keeps keys unique: one unique
    -- index, the arbiter of upsert_entity's INSERT … ON CONFLICT.
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT entities_id_from_key CHECK (id = cogdb.entity_id_for(system, external_id)),
    FOREIGN KEY (tenant_id) REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, owner_user_id) REFERENCES cogdb.users (tenant_id, id)
        ON DELETE SET NULL (owner_user_id),
    FOREIGN KEY (tenant_id, merged_into) REFERENCES cogdb.entities (tenant_id, id)
        ON DELETE CASCADE,
    CONSTRAINT entities_private_has_owner CHECK (visibility = 'tenant' OR owner_user_id IS NOT NULL),
    CONSTRAINT entities_embedding_has_model CHECK ((embedding IS NULL) = (model IS NULL)),
    CONSTRAINT entities_not_merged_into_itself CHECK (merged_into <> id),
    CONSTRAINT entities_seen_in_order CHECK (last_seen >= first_seen)
);
CREATE INDEX entities_tenant_owner_idx ON cogdb.entities (tenant_id, owner_user_id);
CREATE INDEX entities_tenant_merged_into_idx ON cogdb.entities (tenant_id, merged_into)
    WHERE merged_into IS NOT NULL;
CREATE INDEX entities_tenant_model_idx ON cogdb.entities (tenant_id, model)
    WHERE embedding IS NOT NULL AND merged_into IS NULL;
ALTER TABLE cogdb.entities ALTER COLUMN embedding SET STORAGE PLAIN;
-- No value statistics for content columns (EXPLAIN shows estimates to every login).
ALTER TABLE cogdb.entities ALTER COLUMN id SET STATISTICS 0;
ALTER TABLE cogdb.entities ALTER COLUMN external_id SET STATISTICS 0;
ALTER TABLE cogdb.entities ALTER COLUMN entity_type SET STATISTICS 0;
ALTER TABLE cogdb.entities ALTER COLUMN name SET STATISTICS 0;
ALTER TABLE cogdb.entities ALTER COLUMN data SET STATISTICS 0;
ALTER TABLE cogdb.entities ALTER COLUMN merged_into SET STATISTICS 0;
CREATE TRIGGER entities_check_row BEFORE INSERT OR UPDATE ON cogdb.entities
    FOR EACH ROW EXECUTE FUNCTION cogdb.check_entity_row();
CREATE TRIGGER entities_index_text_inserts AFTER INSERT ON cogdb.entities
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.index_text();
CREATE TRIGGER entities_index_text_updates AFTER UPDATE ON cogdb.entities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.index_text();
CREATE TRIGGER entities_stats_inserts AFTER INSERT ON cogdb.entities
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
CREATE TRIGGER entities_stats_deletes AFTER DELETE ON cogdb.entities
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
CREATE TRIGGER entities_stats_updates AFTER UPDATE ON cogdb.entities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
ALTER TABLE cogdb.entities ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.entities FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON cogdb.entities TO cogdb_app;
COMMENT ON TABLE cogdb.entities IS
    'Entities of the knowledge layer, keyed by (system, external_id) within the tenant; upserts merge their data. Fenced by tenant (RLS).';
-- <<< sql/tables/entities.sql

-- >>> sql/tables/entity_observations.sql
-- Observations: short facts about an entity ("prefers email", "renewal due in March"), each
-- kept once per entity (the key holds a digest of the text, so long texts stay indexable).
-- They share their entity's visibility: policy entity_observations__visible_entity lets a
-- row through when the caller can see its entity. Deleting an entity deletes its
-- observations; merging moves them to the survivor (cogdb.merge_entities).
CREATE TABLE cogdb.entity_observations (
    tenant_id   uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    entity_id   text NOT NULL,
    observation text NOT NULL
                CHECK (length(observation) BETWEEN 1 AND 2000 AND observation = btrim(observation)),
    digest      uuid NOT NULL GENERATED ALWAYS AS (md5(observation)::uuid) STORED,
    -- clock_timestamp(): observations added in one transaction keep their order.
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant_id, entity_id, digest),
    FOREIGN KEY (tenant_id, entity_id) REFERENCES cogdb.entities (tenant_id, id)
        ON DELETE CASCADE
);
ALTER TABLE cogdb.entity_observations ALTER COLUMN entity_id SET STATISTICS 0;
ALTER TABLE cogdb.entity_observations ALTER COLUMN observation SET STATISTICS 0;
CREATE TRIGGER entity_observations_index_text_inserts AFTER INSERT ON cogdb.entity_observations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.index_text();
CREATE TRIGGER entity_observations_index_text_deletes AFTER DELETE ON cogdb.entity_observations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.index_text();
CREATE TRIGGER entity_observations_stats_inserts AFTER INSERT ON cogdb.entity_observations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
CREATE TRIGGER entity_observations_stats_deletes AFTER DELETE ON cogdb.entity_observations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
ALTER TABLE cogdb.entity_observations ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.entity_observations FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON cogdb.entity_observations TO cogdb_app;
COMMENT ON TABLE cogdb.entity_observations IS
    'Observations (short facts) about an entity, each kept once; visible when the entity is. Fenced by tenant (RLS).';
-- <<< sql/tables/entity_observations.sql

-- >>> sql/tables/relationship_types.sql
-- Relationship types a tenant registered beyond the five built in (led_to, relates_to,
-- depends_on, produces, belongs_to: cogdb.builtin_relationship_types()). An exclusive type
-- holds at most one current target per source node (works_at, reports_to): recording a new
-- target supersedes the old one (cogdb.relate). Types are never removed: relationships use
-- them.
CREATE TABLE cogdb.relationship_types (
    tenant_id   uuid NOT NULL DEFAULT cogdb.current_tenant_id()
                REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    description text CHECK (length(description) <= 1000),
    exclusive   boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);
ALTER TABLE cogdb.relationship_types ALTER COLUMN name SET STATISTICS 0;
ALTER TABLE cogdb.relationship_types ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.relationship_types FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON cogdb.relationship_types TO cogdb_app;
COMMENT ON TABLE cogdb.relationship_types IS
    'Relationship types a tenant registered beyond the five built in, and whether each is exclusive. Fenced by tenant (RLS).';
-- <<< sql/tables/relationship_types.sql

-- >>> sql/tables/relationships.sql
-- Typed, weighted, time-bounded relationships between nodes of one tenant: memory↔memory,
-- memory↔entity, entity↔entity. Exactly one of from_memory_id/from_entity_id and one of
-- to_memory_id/to_entity_id is set; real foreign keys (ON DELETE CASCADE) make "deleting a
-- node removes its edges" the database's doing.
--
-- Two time axes, never silently deleted:
--   valid_from / valid_to       when the fact held in the world (valid_to NULL: still does);
--   recorded_at / superseded_at when cogdb learned it and when a later record replaced it
--                               (superseded_by names that record).
-- Rows are written once; afterwards only superseded_at/superseded_by are set (and a merge of
-- entities re-points endpoints), which check_relationship_row and the column grants enforce.
-- An active record (current knowledge, open-ended validity) is unique per (from, to, type)
-- among the tenant's shared records, and among each user's private ones.
--
-- Visibility: the tenant fence, the record's own visibility (private to its owner or tenant),
-- and policy relationships__endpoints_visible: a relationship exists for a caller only when
-- the caller can see both of its nodes, so no read (and no traversal) passes through, or
-- reveals, another user's private memory or entity.
CREATE TABLE cogdb.relationships (
    tenant_id      uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    id             text NOT NULL DEFAULT 'rel_' || replace(gen_random_uuid()::text, '-', '')
                   CHECK (id ~ '^rel_[0-9a-f]{32}$'),
    from_memory_id text,
    from_entity_id text,
    to_memory_id   text,
    to_entity_id   text,
    type           text NOT NULL CHECK (type ~ '^[a-z][a-z0-9_]{0,62}$'),
    strength       real NOT NULL DEFAULT 1 CHECK (strength BETWEEN 0 AND 1),
    confidence     real NOT NULL DEFAULT 1 CHECK (confidence BETWEEN 0 AND 1),
    metadata       jsonb NOT NULL DEFAULT '{}'
                   CHECK (jsonb_typeof(metadata) = 'object' AND pg_column_size(metadata) <= 16384),
    owner_user_id  uuid DEFAULT cogdb.current_user_id(),
    visibility     text NOT NULL DEFAULT 'tenant' CHECK (visibility IN ('private', 'tenant')),
    valid_from     timestamptz NOT NULL DEFAULT now(),
    valid_to       timestamptz,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    superseded_at  timestamptz,
    superseded_by  text,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id) REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, from_memory_id) REFERENCES cogdb.memories (tenant_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, from_entity_id) REFERENCES cogdb.entities (tenant_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, to_memory_id) REFERENCES cogdb.memories (tenant_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, to_entity_id) REFERENCES cogdb.entities (tenant_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, owner_user_id) REFERENCES cogdb.users (tenant_id, id)
        ON DELETE SET NULL (owner_user_id),
    FOREIGN KEY (tenant_id, superseded_by) REFERENCES cogdb.relationships (tenant_id, id)
        ON DELETE SET NULL (superseded_by),
    CONSTRAINT relationships_one_from CHECK (num_nonnulls(from_memory_id, from_entity_id) = 1),
    CONSTRAINT relationships_one_to CHECK (num_nonnulls(to_memory_id, to_entity_id) = 1),
    CONSTRAINT relationships_private_has_owner
        CHECK (visibility = 'tenant' OR owner_user_id IS NOT NULL),
    CONSTRAINT relationships_valid_in_order CHECK (valid_to > valid_from),
    CONSTRAINT relationships_superseded_in_order CHECK (superseded_at >= recorded_at)
);
-- One active record (current knowledge, open-ended validity) per (from, to, type), among the
-- tenant's shared records and among each user's private ones.
CREATE UNIQUE INDEX relationships_active_key
    ON cogdb.relationships (tenant_id, from_memory_id, from_entity_id, to_memory_id,
                            to_entity_id, type,
                            (CASE WHEN visibility = 'private' THEN owner_user_id END))
    NULLS NOT DISTINCT
    WHERE superseded_at IS NULL AND valid_to IS NULL;
-- The edges of a node, each way: traversal and the foreign keys' cascades.
CREATE INDEX relationships_from_memory_idx ON cogdb.relationships (tenant_id, from_memory_id)
    WHERE from_memory_id IS NOT NULL;
CREATE INDEX relationships_from_entity_idx ON cogdb.relationships (tenant_id, from_entity_id)
    WHERE from_entity_id IS NOT NULL;
CREATE INDEX relationships_to_memory_idx ON cogdb.relationships (tenant_id, to_memory_id)
    WHERE to_memory_id IS NOT NULL;
CREATE INDEX relationships_to_entity_idx ON cogdb.relationships (tenant_id, to_entity_id)
    WHERE to_entity_id IS NOT NULL;
CREATE INDEX relationships_superseded_by_idx ON cogdb.relationships (tenant_id, superseded_by)
    WHERE superseded_by IS NOT NULL;
CREATE INDEX relationships_tenant_owner_idx ON cogdb.relationships (tenant_id, owner_user_id);
ALTER TABLE cogdb.relationships ALTER COLUMN id SET STATISTICS 0;
ALTER TABLE cogdb.relationships ALTER COLUMN from_memory_id SET STATISTICS 0;
ALTER TABLE cogdb.relationships ALTER COLUMN from_entity_id SET STATISTICS 0;
ALTER TABLE cogdb.relationships ALTER COLUMN to_memory_id SET STATISTICS 0;
ALTER TABLE cogdb.relationships ALTER COLUMN to_entity_id SET STATISTICS 0;
ALTER TABLE cogdb.relationships ALTER COLUMN type SET STATISTICS 0;
ALTER TABLE cogdb.relationships ALTER COLUMN metadata SET STATISTICS 0;
ALTER TABLE cogdb.relationships ALTER COLUMN superseded_by SET STATISTICS 0;
CREATE TRIGGER relationships_check_row BEFORE INSERT OR UPDATE ON cogdb.relationships
    FOR EACH ROW EXECUTE FUNCTION cogdb.check_relationship_row();
CREATE TRIGGER relationships_stats_inserts AFTER INSERT ON cogdb.relationships
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
CREATE TRIGGER relationships_stats_deletes AFTER DELETE ON cogdb.relationships
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
CREATE TRIGGER relationships_stats_updates AFTER UPDATE ON cogdb.relationships
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
ALTER TABLE cogdb.relationships ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.relationships FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON cogdb.relationships TO cogdb_app;
-- Supersession only: a record's content never changes once written.
GRANT UPDATE (superseded_at, superseded_by) ON cogdb.relationships TO cogdb_app;
COMMENT ON TABLE cogdb.relationships IS
    'Typed, weighted, time-bounded relationships between memories and entities of a tenant; superseded, never silently deleted. Fenced by tenant (RLS).';
-- <<< sql/tables/relationships.sql

-- >>> sql/tables/text_index.sql
-- The full-text index of hybrid search: one row per memory (question, answer, summary) and
-- per entity (name, type, observations), with a tsvector in the tenant's search.language.
--
-- Why a table of its own: under row-level security the planner does not use an index for
-- a condition whose operator is not leakproof, and tsvector @@ tsquery is not. On
-- cogdb.memories a GIN index would be ignored for every RLS-bound role and the text
-- condition would filter all of the tenant's rows. This table is owner-only (RLS enabled and
-- forced, one policy for cogdb_owner, no grants), so its GIN index on (tenant_id, tsv)
-- (btree_gin) is usable; it is read only by the definer function cogdb.text_candidates, which
-- filters tenant_id = cogdb.current_tenant_id() and the caller's visibility explicitly and
-- returns references and ranks only. cogdb.hybrid_search then joins them back through the
-- RLS-protected memories and entities, so even a bug in the definer cannot return another
-- tenant's (or another user's private) row.
--
-- Kept by definer statement triggers on memories, entities and entity_observations
-- (cogdb.index_text); owner and visibility are copies of the source row's. Foreign keys
-- delete a row with its memory or entity.
CREATE TABLE cogdb.text_index (
    tenant_id     uuid NOT NULL REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    memory_id     text,
    entity_id     text,
    owner_user_id uuid,
    visibility    text NOT NULL CHECK (visibility IN ('private', 'tenant')),
    language      regconfig NOT NULL,
    tsv           tsvector NOT NULL,
    FOREIGN KEY (tenant_id, memory_id) REFERENCES cogdb.memories (tenant_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, entity_id) REFERENCES cogdb.entities (tenant_id, id)
        ON DELETE CASCADE,
    CONSTRAINT text_index_one_node CHECK (num_nonnulls(memory_id, entity_id) = 1)
);
CREATE UNIQUE INDEX text_index_memory_key ON cogdb.text_index (tenant_id, memory_id)
    WHERE memory_id IS NOT NULL;
CREATE UNIQUE INDEX text_index_entity_key ON cogdb.text_index (tenant_id, entity_id)
    WHERE entity_id IS NOT NULL;
-- uuid equality in a GIN index comes from btree_gin: one index scan finds the tenant's
-- matching rows. A 128 kB pending list: GIN's fast update appends new entries to a list
-- that every search reads in full until it is merged, which cost a small tenant's text
-- search 1-3 ms at 1-4 MB (measured: 223 pending pages at the default 4 MB); 128 kB bounds
-- that read to 16 pages, for memory writes ~20% slower than with 1 MB (bench/RESULTS.md,
-- Knowledge).
CREATE INDEX text_index_tenant_tsv_idx ON cogdb.text_index USING gin (tenant_id, tsv)
    WITH (gin_pending_list_limit = 128);
ALTER TABLE cogdb.text_index ALTER COLUMN memory_id SET STATISTICS 0;
ALTER TABLE cogdb.text_index ALTER COLUMN entity_id SET STATISTICS 0;
ALTER TABLE cogdb.text_index ALTER COLUMN tsv SET STATISTICS 0;
ALTER TABLE cogdb.text_index ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.text_index FORCE ROW LEVEL SECURITY;
COMMENT ON TABLE cogdb.text_index IS
    'The full-text index of hybrid search (memories and entities); owner-only, read through cogdb.text_candidates.';
-- <<< sql/tables/text_index.sql

-- >>> sql/tables/tenant_stats.sql
-- Append-only deltas behind cogdb.stats(): per tenant and metric ('memories',
-- 'memories.context_type.<v>', 'memories.source.<v>', 'memories.visibility.<v>', 'entities',
-- 'entity_observations', 'relationships', 'relationships.superseded'), with the bytes of row
-- data they added or removed and when. Written by the definer statement trigger
-- cogdb.count_tenant_stats on every write, so stats are summed, never counted at read time;
-- `cogdb maintain` compacts them. Owner-only (policy tenant_stats__registry_owner, no
-- grants), like memory_counts.
CREATE TABLE cogdb.tenant_stats (
    tenant_id   uuid NOT NULL REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    metric      text NOT NULL,
    delta       bigint NOT NULL,
    bytes       bigint NOT NULL DEFAULT 0,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_stats_tenant_metric_idx ON cogdb.tenant_stats (tenant_id, metric);
ALTER TABLE cogdb.tenant_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.tenant_stats FORCE ROW LEVEL SECURITY;
COMMENT ON TABLE cogdb.tenant_stats IS
    'Append-only deltas of each tenant''s counts and bytes, for cogdb.stats(); owner-only.';
-- <<< sql/tables/tenant_stats.sql

-- >>> sql/tables/memory_accesses.sql
-- Append-only log of memory accesses, written by cogdb.record_access(ids) (a separate call a
-- client makes after a search, so search itself stays read-only) and folded into
-- memories.access_count / last_accessed by `cogdb maintain` (cogdb.fold_memory_accesses),
-- which then deletes the folded rows. owner_user_id is the memory's owner when it was
-- accessed: the fold updates each memory in its owner's context. Owner-only (policy
-- memory_accesses__registry_owner, no grants).
CREATE TABLE cogdb.memory_accesses (
    tenant_id     uuid NOT NULL REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    memory_id     text NOT NULL,
    owner_user_id uuid,
    accessed_at   timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE cogdb.memory_accesses ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.memory_accesses FORCE ROW LEVEL SECURITY;
COMMENT ON TABLE cogdb.memory_accesses IS
    'Append-only log of memory accesses (cogdb.record_access), folded into memories by cogdb maintain; owner-only.';
-- <<< sql/tables/memory_accesses.sql

-- >>> sql/policies/entities__tenant_fence.sql
-- The tenant fence on entities: a row is readable and writable only inside its own tenant's
-- context. RESTRICTIVE, so no permissive policy added later can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS entities__tenant_fence ON cogdb.entities;
CREATE POLICY entities__tenant_fence ON cogdb.entities
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/entities__tenant_fence.sql

-- >>> sql/policies/entities__visible_to_user.sql
-- Inside the fence: tenant-visible entities, plus the context user's own private ones.
-- The only permissive policy on entities, so without it nothing is visible at all.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS entities__visible_to_user ON cogdb.entities;
CREATE POLICY entities__visible_to_user ON cogdb.entities
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()))
    WITH CHECK (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()));
-- <<< sql/policies/entities__visible_to_user.sql

-- >>> sql/policies/entity_observations__tenant_fence.sql
-- The tenant fence on entity_observations: a row is readable and writable only inside its own tenant's
-- context. RESTRICTIVE, so no permissive policy added later can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS entity_observations__tenant_fence ON cogdb.entity_observations;
CREATE POLICY entity_observations__tenant_fence ON cogdb.entity_observations
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/entity_observations__tenant_fence.sql

-- >>> sql/policies/entity_observations__visible_entity.sql
-- Observations share their entity's visibility: a row is visible (and writable) when the
-- caller can see its entity, read under the entities policies. The only permissive policy
-- on entity_observations. The entities fence scopes the id to the context's tenant; this
-- table's own fence (entity_observations__tenant_fence) keeps the observation there.
DROP POLICY IF EXISTS entity_observations__visible_entity ON cogdb.entity_observations;
CREATE POLICY entity_observations__visible_entity ON cogdb.entity_observations
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (EXISTS (SELECT FROM cogdb.entities e WHERE e.id = entity_observations.entity_id))
    WITH CHECK (EXISTS (SELECT FROM cogdb.entities e WHERE e.id = entity_observations.entity_id));
-- <<< sql/policies/entity_observations__visible_entity.sql

-- >>> sql/policies/relationship_types__tenant_fence.sql
-- The tenant fence on relationship_types: a row is readable and writable only inside its own tenant's
-- context. RESTRICTIVE, so no permissive policy added later can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS relationship_types__tenant_fence ON cogdb.relationship_types;
CREATE POLICY relationship_types__tenant_fence ON cogdb.relationship_types
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/relationship_types__tenant_fence.sql

-- >>> sql/policies/relationship_types__inside_fence.sql
-- Lets rows through the fence: RLS shows nothing without at least one permissive policy.
-- All filtering is the fence's (relationship_types__tenant_fence): a tenant's types are
-- shared by all of its users.
DROP POLICY IF EXISTS relationship_types__inside_fence ON cogdb.relationship_types;
CREATE POLICY relationship_types__inside_fence ON cogdb.relationship_types
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/relationship_types__inside_fence.sql

-- >>> sql/policies/relationships__tenant_fence.sql
-- The tenant fence on relationships: a row is readable and writable only inside its own tenant's
-- context. RESTRICTIVE, so no permissive policy added later can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS relationships__tenant_fence ON cogdb.relationships;
CREATE POLICY relationships__tenant_fence ON cogdb.relationships
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/relationships__tenant_fence.sql

-- >>> sql/policies/relationships__visible_to_user.sql
-- Inside the fence: tenant-visible relationships, plus the context user's own private ones.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS relationships__visible_to_user ON cogdb.relationships;
CREATE POLICY relationships__visible_to_user ON cogdb.relationships
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()))
    WITH CHECK (visibility = 'tenant' OR owner_user_id = (SELECT cogdb.current_user_id()));
-- <<< sql/policies/relationships__visible_to_user.sql

-- >>> sql/policies/relationships__endpoints_visible.sql
-- A relationship exists for the caller only when the caller can see both of its nodes: the
-- sub-selects read memories and entities under their own policies (fence and visibility),
-- so an edge to another user's private memory or entity is neither read nor written, and a
-- traversal can never pass through such a node or reveal it. RESTRICTIVE: it narrows the
-- visibility policy, never widens it. The node tables' fences scope the ids to the context's
-- tenant; this table's own fence (relationships__tenant_fence) keeps the edge itself there.
DROP POLICY IF EXISTS relationships__endpoints_visible ON cogdb.relationships;
CREATE POLICY relationships__endpoints_visible ON cogdb.relationships
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING ((from_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                               WHERE m.id = relationships.from_memory_id))
           AND (from_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                   WHERE e.id = relationships.from_entity_id))
           AND (to_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                 WHERE m.id = relationships.to_memory_id))
           AND (to_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                 WHERE e.id = relationships.to_entity_id)))
    WITH CHECK ((from_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                    WHERE m.id = relationships.from_memory_id))
                AND (from_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                        WHERE e.id = relationships.from_entity_id))
                AND (to_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                      WHERE m.id = relationships.to_memory_id))
                AND (to_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                      WHERE e.id = relationships.to_entity_id)));
-- <<< sql/policies/relationships__endpoints_visible.sql

-- >>> sql/policies/text_index__registry_owner.sql
-- The text index is read and written by the owner only: the index_text triggers, text_candidates
-- (which filters the caller's tenant and visibility itself) and reindex_text. No other role
-- has any privilege on the table. USING (true) is what keeps its GIN index usable: a
-- policy condition would stop the planner from using it for the non-leakproof @@.
DROP POLICY IF EXISTS text_index__registry_owner ON cogdb.text_index;
CREATE POLICY text_index__registry_owner ON cogdb.text_index
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/text_index__registry_owner.sql

-- >>> sql/policies/tenant_stats__registry_owner.sql
-- Tenant statistics are written by the count_tenant_stats trigger and read by stats() and
-- tenant_stats() (definer functions that filter the tenant themselves) and compacted by
-- `cogdb maintain`; no other role has any privilege on the table.
DROP POLICY IF EXISTS tenant_stats__registry_owner ON cogdb.tenant_stats;
CREATE POLICY tenant_stats__registry_owner ON cogdb.tenant_stats
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/tenant_stats__registry_owner.sql

-- >>> sql/policies/memory_accesses__registry_owner.sql
-- The access log is written by record_access() and folded by `cogdb maintain`; no other role
-- has any privilege on the table.
DROP POLICY IF EXISTS memory_accesses__registry_owner ON cogdb.memory_accesses;
CREATE POLICY memory_accesses__registry_owner ON cogdb.memory_accesses
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/memory_accesses__registry_owner.sql

-- >>> step 20_triggers.sql
-- The text index and tenant statistics follow every write to memories; a departing user's
-- private entities and relationships are deleted with them (sql/tables/memories.sql and
-- users.sql hold today's definitions).
CREATE TRIGGER memories_index_text_inserts AFTER INSERT ON cogdb.memories
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.index_text();
CREATE TRIGGER memories_index_text_updates AFTER UPDATE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.index_text();
CREATE TRIGGER memories_stats_inserts AFTER INSERT ON cogdb.memories
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
CREATE TRIGGER memories_stats_deletes AFTER DELETE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
CREATE TRIGGER memories_stats_updates AFTER UPDATE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
CREATE TRIGGER users_purge_private_knowledge BEFORE DELETE ON cogdb.users
    FOR EACH ROW EXECUTE FUNCTION cogdb.purge_private_knowledge();
COMMENT ON TABLE cogdb.users IS
    'Users of a tenant; deleting one deletes their private memories, entities and relationships and clears the owner of their shared ones.';
-- <<< step 20_triggers.sql

-- >>> sql/functions/knowledge/resolve_node.sql
-- The node a reference names, if the caller can see it: kind ('memory' or 'entity') and id,
-- or NULLs for a node that is missing or invisible (the two look the same). References:
--   memory:<id>                   a memory (an expired one counts as missing)
--   entity:<id>                   an entity by id
--   name:<name>                   the entity keyed by name (system '')
--   key:<system>:<external id>    the entity keyed (system, external id)
-- An entity that was merged into another resolves to its survivor. A reference of another
-- form raises CGV01 (column `column_name`, which names the caller's argument). The tenant
-- is named in the lookups as well as fenced by RLS, so a role without RLS resolves in the
-- context's tenant too.
CREATE OR REPLACE FUNCTION cogdb.resolve_node(ref text, column_name text DEFAULT 'node',
                                              OUT kind text, OUT id text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_prefix text := split_part(ref, ':', 1);
    v_rest text := substr(ref, length(split_part(ref, ':', 1)) + 2);
    v_entity text;
BEGIN
    IF ref IS NULL OR position(':' IN ref) = 0 OR v_rest = ''
       OR v_prefix NOT IN ('memory', 'entity', 'name', 'key')
       OR (v_prefix = 'key' AND position(':' IN v_rest) = 0) THEN
        RAISE EXCEPTION '% must be memory:<id>, entity:<id>, name:<name> or key:<system>:<external id>, got %',
                        column_name, coalesce(quote_literal(left(ref, 80)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = column_name,
                  HINT = 'e.g. memory:mem_1a2b…, name:Acme Corp, key:crm:42';
    END IF;
    IF v_prefix = 'memory' THEN
        SELECT 'memory', m.id INTO kind, id FROM cogdb.memories m
         WHERE m.tenant_id = cogdb.current_tenant_id() AND m.id = v_rest
           AND (m.expires_at IS NULL OR m.expires_at > now());
        RETURN;
    END IF;
    v_entity := CASE v_prefix
        WHEN 'entity' THEN v_rest
        WHEN 'name' THEN cogdb.entity_id_for('', v_rest)
        ELSE cogdb.entity_id_for(split_part(v_rest, ':', 1),
                                 substr(v_rest, length(split_part(v_rest, ':', 1)) + 2)) END;
    SELECT 'entity', coalesce(e.merged_into, e.id) INTO kind, id FROM cogdb.entities e
     WHERE e.tenant_id = cogdb.current_tenant_id() AND e.id = v_entity;
    IF id IS NOT NULL AND id <> v_entity
       AND NOT EXISTS (SELECT FROM cogdb.entities s
                        WHERE s.tenant_id = cogdb.current_tenant_id() AND s.id = resolve_node.id) THEN
        kind := NULL;  -- an alias of a survivor the caller cannot see
        id := NULL;
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.resolve_node(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.resolve_node(text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.resolve_node(text, text) IS
    'The node a reference (memory:<id>, entity:<id>, name:<name>, key:<system>:<external id>) names, if the caller can see it; aliases resolve to their survivor.';
-- <<< sql/functions/knowledge/resolve_node.sql

-- >>> sql/functions/knowledge/upsert_entity.sql
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
            SELECT e.merged_into INTO v_target FROM cogdb.entities e WHERE e.id = v_id;
            IF v_target IS NOT NULL THEN  -- an alias: the survivor takes the upsert
                UPDATE cogdb.entities e
                   SET entity_type = coalesce(p_type, e.entity_type), name = coalesce(p_name, e.name),
                       data = cogdb.jsonb_merge(e.data, p_data),
                       visibility = coalesce(p_visibility, e.visibility),
                       update_count = e.update_count + 1, last_seen = greatest(e.last_seen, now()),
                       model = CASE WHEN p_embedding IS NULL THEN e.model ELSE v_model END,
                       embedding = coalesce(p_embedding, e.embedding)
                 WHERE e.id = v_target AND e.merged_into IS NULL
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
-- <<< sql/functions/knowledge/upsert_entity.sql

-- >>> sql/functions/knowledge/get_entity.sql
-- The entity a reference names (entity:<id>, name:<name>, key:<system>:<external id>; an
-- alias resolves to its survivor), if the caller can see it; else no row, exactly as for a
-- missing one. With its observations (oldest first) and the keys of the entities merged into
-- it (aliases, as 'system:external_id', or the name for name-keyed ones).
CREATE OR REPLACE FUNCTION cogdb.get_entity(ref text)
    RETURNS TABLE (id text, system text, external_id text, entity_type text, name text,
                   data jsonb, visibility text, owner_user_id uuid, update_count bigint,
                   first_seen timestamptz, last_seen timestamptz, model text,
                   observations text[], aliases text[])
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT e.id, e.system, e.external_id, e.entity_type, e.name, e.data, e.visibility,
           e.owner_user_id, e.update_count, e.first_seen, e.last_seen, e.model,
           ARRAY(SELECT o.observation FROM cogdb.entity_observations o
                  WHERE o.entity_id = e.id ORDER BY o.created_at, o.observation),
           ARRAY(SELECT CASE WHEN a.system = '' THEN a.external_id
                             ELSE a.system || ':' || a.external_id END
                   FROM cogdb.entities a WHERE a.merged_into = e.id ORDER BY 1)
      FROM cogdb.resolve_node(ref, 'ref') r
      JOIN cogdb.entities e ON e.id = r.id
     WHERE r.kind = 'entity'
$$;

REVOKE ALL ON FUNCTION cogdb.get_entity(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get_entity(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get_entity(text) IS
    'The entity a reference names (aliases resolve to their survivor), with its observations and aliases, if the caller can see it.';
-- <<< sql/functions/knowledge/get_entity.sql

-- >>> sql/functions/knowledge/merge_entities.sql
-- Merges entity `other` into `survivor` (references as for resolve_node; both visible to the
-- caller, two different entities) and returns the survivor's id with what moved:
--   * the survivor's data becomes jsonb_merge(other.data, survivor.data) (the survivor's
--     values win; keys only the other had are kept), update_count the sum, first_seen the
--     earlier and last_seen the later of the two;
--   * the other's observations move to the survivor (each kept once);
--   * relationships of the other move to the survivor: re-pointed (history too), or
--     superseded when the survivor already has the same active fact, or when they joined
--     the two (a self-loop); relationships_moved counts the current ones re-pointed;
--   * the other stays as an alias: merged_into = survivor, so lookups by its key (and by the
--     keys of entities merged into it before) return the survivor.
-- A shared (tenant) entity can only be merged into a shared one: its users would lose it
-- otherwise.
--
-- Definer, because relationships of the other that the caller cannot see (private to another
-- user, or to a node only another user sees) must move too: it takes, in turn, the context of
-- the tenant without a user and of each of its users (enter_tenant), moves what each one
-- sees, and restores the caller's context. The counts returned are what the caller can see.
CREATE OR REPLACE FUNCTION cogdb.merge_entities(survivor text, other text)
    RETURNS TABLE (id text, merged text, observations_moved integer,
                   relationships_moved integer, relationships_superseded integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.require_tenant('merging entities');
    v_caller text[];
    v_user uuid;
    v_sk text;
    v_sid text;
    v_ok text;
    v_oid text;
    v_s cogdb.entities;
    v_o cogdb.entities;
    v_obs integer;
    v_moved integer := 0;
    v_superseded integer := 0;
    v_mine boolean;
    v_n integer;
BEGIN
    SELECT r.kind, r.id INTO v_sk, v_sid FROM cogdb.resolve_node(survivor, 'survivor') r;
    SELECT r.kind, r.id INTO v_ok, v_oid FROM cogdb.resolve_node(other, 'other') r;
    IF v_sid IS NULL OR v_oid IS NULL OR v_sk <> 'entity' OR v_ok <> 'entity' THEN
        RAISE EXCEPTION 'no entity % in this context',
                        quote_literal(left(CASE WHEN v_sid IS NULL OR v_sk <> 'entity' THEN survivor
                                                ELSE other END, 80))
            USING ERRCODE = 'CGN01',
                  COLUMN = CASE WHEN v_sid IS NULL OR v_sk <> 'entity' THEN 'survivor' ELSE 'other' END,
                  HINT = 'Both must be entities the context can see.';
    END IF;
    IF v_sid = v_oid THEN
        RAISE EXCEPTION 'survivor and other are the same entity'
            USING ERRCODE = 'CGV01', COLUMN = 'other',
                  HINT = 'The other may already have been merged into the survivor.';
    END IF;
    -- Lock both, in id order (two merges of the same pair cannot deadlock).
    PERFORM FROM cogdb.entities e WHERE e.id IN (v_sid, v_oid) ORDER BY e.id FOR UPDATE;
    SELECT * INTO v_s FROM cogdb.entities e WHERE e.id = v_sid;
    SELECT * INTO v_o FROM cogdb.entities e WHERE e.id = v_oid;
    IF v_o.visibility = 'tenant' AND v_s.visibility = 'private' THEN
        RAISE EXCEPTION 'a shared entity can only be merged into a shared one'
            USING ERRCODE = 'CGV01', COLUMN = 'survivor',
                  HINT = 'Make the survivor shared first (upsert it with visibility tenant).';
    END IF;

    UPDATE cogdb.entities e
       SET data = cogdb.jsonb_merge(v_o.data, e.data),
           update_count = e.update_count + v_o.update_count,
           first_seen = least(e.first_seen, v_o.first_seen),
           last_seen = greatest(e.last_seen, v_o.last_seen, now())
     WHERE e.id = v_sid;
    WITH gone AS (
        DELETE FROM cogdb.entity_observations o WHERE o.entity_id = v_oid
        RETURNING o.observation, o.created_at
    ), added AS (
        INSERT INTO cogdb.entity_observations AS o (entity_id, observation, created_at)
        SELECT v_sid, g.observation, g.created_at FROM gone g
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT count(*) INTO v_obs FROM gone;

    -- Relationships and aliases of the other, in every context that sees some of them.
    v_caller := cogdb.enter_tenant(v_tenant, NULL);
    -- The caller's own context first, so the counts returned are what it sees.
    FOR v_user, v_mine IN
        SELECT x.id, m.mine FROM (
            SELECT NULL::uuid AS id
            UNION ALL
            SELECT u.id FROM cogdb.users u) x
         CROSS JOIN LATERAL (SELECT x.id IS NOT DISTINCT FROM nullif(v_caller[2], '')::uuid AS mine) m
         ORDER BY m.mine DESC, x.id NULLS FIRST
    LOOP
        PERFORM cogdb.enter_tenant(v_tenant, v_user);
        -- Superseded instead of moved: self-loops, and facts the survivor already has.
        UPDATE cogdb.relationships r SET superseded_at = now(), superseded_by = (
                   SELECT s.id FROM cogdb.relationships s
                    WHERE s.superseded_at IS NULL AND s.valid_to IS NULL AND s.type = r.type
                      AND s.visibility = r.visibility
                      AND s.owner_user_id IS NOT DISTINCT FROM
                          CASE WHEN r.visibility = 'private' THEN r.owner_user_id ELSE s.owner_user_id END
                      AND (s.from_memory_id, s.from_entity_id, s.to_memory_id, s.to_entity_id)
                          IS NOT DISTINCT FROM
                          (r.from_memory_id,
                           CASE WHEN r.from_entity_id = v_oid THEN v_sid ELSE r.from_entity_id END,
                           r.to_memory_id,
                           CASE WHEN r.to_entity_id = v_oid THEN v_sid ELSE r.to_entity_id END)
                    LIMIT 1)
         WHERE (r.from_entity_id = v_oid OR r.to_entity_id = v_oid) AND r.superseded_at IS NULL
           AND ((r.from_entity_id = v_oid AND r.to_entity_id = v_sid)
                OR (r.from_entity_id = v_sid AND r.to_entity_id = v_oid)
                OR (r.valid_to IS NULL AND EXISTS (
                    SELECT FROM cogdb.relationships s
                     WHERE s.superseded_at IS NULL AND s.valid_to IS NULL AND s.type = r.type
                       AND s.visibility = r.visibility
                       AND (r.visibility = 'tenant' OR s.owner_user_id = r.owner_user_id)
                       AND (s.from_memory_id, s.from_entity_id, s.to_memory_id, s.to_entity_id)
                           IS NOT DISTINCT FROM
                           (r.from_memory_id,
                            CASE WHEN r.from_entity_id = v_oid THEN v_sid ELSE r.from_entity_id END,
                            r.to_memory_id,
                            CASE WHEN r.to_entity_id = v_oid THEN v_sid ELSE r.to_entity_id END))));
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_superseded := v_superseded + CASE WHEN v_mine THEN v_n ELSE 0 END;
        -- Re-pointed: everything else, history included (counted: the current ones).
        WITH moved AS (
            UPDATE cogdb.relationships r
               SET from_entity_id = CASE WHEN r.from_entity_id = v_oid THEN v_sid ELSE r.from_entity_id END,
                   to_entity_id = CASE WHEN r.to_entity_id = v_oid THEN v_sid ELSE r.to_entity_id END
             WHERE (r.from_entity_id = v_oid OR r.to_entity_id = v_oid)
               AND NOT (r.superseded_at IS NOT NULL
                        AND (r.from_entity_id = v_sid OR r.to_entity_id = v_sid))
            RETURNING r.superseded_at
        )
        SELECT count(*) FILTER (WHERE m.superseded_at IS NULL) INTO v_n FROM moved m;
        v_moved := v_moved + CASE WHEN v_mine THEN v_n ELSE 0 END;
        UPDATE cogdb.entities e SET merged_into = v_sid WHERE e.merged_into = v_oid;
    END LOOP;
    PERFORM cogdb.restore_context(v_caller);

    UPDATE cogdb.entities e SET merged_into = v_sid WHERE e.id = v_oid;
    RETURN QUERY SELECT v_sid, v_oid, v_obs, v_moved, v_superseded;
END
$$;

REVOKE ALL ON FUNCTION cogdb.merge_entities(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.merge_entities(text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.merge_entities(text, text) IS
    'Merges one entity into another: data, observations and relationships move to the survivor, and the other becomes an alias that resolves to it.';
-- <<< sql/functions/knowledge/merge_entities.sql

-- >>> sql/functions/knowledge/forget_entity.sql
-- Deletes the entity a reference names (entity:<id>, name:<name>, key:<system>:<external id>;
-- an alias resolves to its survivor) if the caller can see it; true if one was deleted. Its
-- observations, aliases and relationships go with it (foreign keys, ON DELETE CASCADE). An
-- entity the caller cannot see returns false, exactly like a missing one.
CREATE OR REPLACE FUNCTION cogdb.forget_entity(ref text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_kind text;
    v_id text;
BEGIN
    PERFORM cogdb.require_tenant('forgetting an entity');
    SELECT r.kind, r.id INTO v_kind, v_id FROM cogdb.resolve_node(ref, 'ref') r;
    IF v_kind IS DISTINCT FROM 'entity' THEN
        RETURN false;
    END IF;
    DELETE FROM cogdb.entities e WHERE e.id = v_id;
    RETURN FOUND;
END
$$;

REVOKE ALL ON FUNCTION cogdb.forget_entity(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.forget_entity(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.forget_entity(text) IS
    'Deletes an entity the caller can see, with its observations, aliases and relationships; false for a missing or invisible one.';
-- <<< sql/functions/knowledge/forget_entity.sql

-- >>> sql/functions/knowledge/register_relationship_type.sql
-- Registers a relationship type for the context's tenant (idempotent for the same
-- definition) and returns its name. exclusive: a node holds at most one current relationship
-- of this type to other nodes (works_at, reports_to); recording a new one supersedes the old
-- (cogdb.relate). Built-in names cannot be registered again; a registered type never changes.
CREATE OR REPLACE FUNCTION cogdb.register_relationship_type(name text,
                                                            description text DEFAULT NULL,
                                                            exclusive boolean DEFAULT false)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_existing cogdb.relationship_types;
BEGIN
    PERFORM cogdb.require_tenant('registering a relationship type');
    IF name IS NULL OR name !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'name must be 1-63 of a-z 0-9 _ starting with a letter, got %',
                        coalesce(quote_literal(left(name, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'name', HINT = 'e.g. works_at, reports_to, mentions';
    END IF;
    IF name = ANY (cogdb.builtin_relationship_types()) THEN
        RAISE EXCEPTION '% is a built-in relationship type', quote_literal(name)
            USING ERRCODE = 'CGV01', COLUMN = 'name',
                  HINT = 'Built-in types need no registration.';
    END IF;
    IF length(description) > 1000 THEN
        RAISE EXCEPTION 'description must be at most 1000 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'description', HINT = 'One sentence is enough.';
    END IF;
    INSERT INTO cogdb.relationship_types AS t (name, description, exclusive)
    VALUES (name, description, coalesce(exclusive, false))
    ON CONFLICT ON CONSTRAINT relationship_types_pkey DO NOTHING;
    IF NOT FOUND THEN
        SELECT * INTO v_existing FROM cogdb.relationship_types t WHERE t.name = register_relationship_type.name;
        IF v_existing.exclusive IS DISTINCT FROM coalesce(exclusive, false)
           OR v_existing.description IS DISTINCT FROM description THEN
            RAISE EXCEPTION 'relationship type % is registered with another definition', quote_literal(name)
                USING ERRCODE = 'CGC01', COLUMN = 'name',
                      HINT = 'A registered type never changes; register a new name.';
        END IF;
    END IF;
    RETURN name;
END
$$;

REVOKE ALL ON FUNCTION cogdb.register_relationship_type(text, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.register_relationship_type(text, text, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.register_relationship_type(text, text, boolean) IS
    'Registers a relationship type (optionally exclusive) for the context''s tenant; idempotent for the same definition.';
-- <<< sql/functions/knowledge/register_relationship_type.sql

-- >>> sql/functions/knowledge/list_relationship_types.sql
-- The relationship types of the context's tenant: the five built in, then the registered
-- ones in the order they were registered. No context: the built-in ones only.
CREATE OR REPLACE FUNCTION cogdb.list_relationship_types()
    RETURNS TABLE (name text, builtin boolean, exclusive boolean, description text,
                   created_at timestamptz)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT x.name, x.builtin, x.exclusive, x.description, x.created_at FROM (
        SELECT b.name, true AS builtin, false AS exclusive, 'built in' AS description,
               NULL::timestamptz AS created_at, b.n AS position
          FROM unnest(cogdb.builtin_relationship_types()) WITH ORDINALITY AS b(name, n)
        UNION ALL
        SELECT t.name, false, t.exclusive, t.description, t.created_at, NULL
          FROM cogdb.relationship_types t) x
     ORDER BY x.position NULLS LAST, x.created_at, x.name
$$;

REVOKE ALL ON FUNCTION cogdb.list_relationship_types() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_relationship_types() TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_relationship_types() IS
    'The relationship types of the context''s tenant: the five built in, then the registered ones.';
-- <<< sql/functions/knowledge/list_relationship_types.sql

-- >>> sql/functions/knowledge/relate.sql
-- Records that `from_node` relates to `to_node` (references as for resolve_node: memory:<id>,
-- entity:<id>, name:<name>, key:<system>:<external id>; both visible to the caller, in its
-- tenant) with a type (built in or registered), strength and confidence (0-1), metadata, and
-- the time it holds in the world (valid_from, default now; valid_to, default open). Returns
-- the record's id, whether a record was written, and the records it superseded.
--
-- Nothing is deleted; records are superseded:
--   * the same fact (from, to, type) recorded again while an active record of it exists:
--     unchanged attributes write nothing and return the active record; otherwise the new
--     record replaces it (valid_from carries over unless given), e.g. a new strength, or a
--     valid_to that ends the fact;
--   * a new current fact of an exclusive type (registered with exclusive => true) contradicts
--     the active records of that type from the same node to other nodes: each is superseded
--     and, if it held before the new fact's start, replaced by a closed copy valid until then.
-- Shared (visibility 'tenant') and private records are separate layers: a private record
-- supersedes only the caller's own private records. One call at a time per (from node,
-- type) and tenant (an advisory lock), so concurrent calls do not race.
CREATE OR REPLACE FUNCTION cogdb.relate(from_node text, to_node text, type text,
                                        strength real DEFAULT NULL,
                                        confidence real DEFAULT NULL,
                                        metadata jsonb DEFAULT NULL,
                                        valid_from timestamptz DEFAULT NULL,
                                        valid_to timestamptz DEFAULT NULL,
                                        visibility text DEFAULT 'tenant')
    RETURNS TABLE (id text, created boolean, superseded text[])
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.require_tenant('writing relationships');
    v_user uuid := cogdb.current_user_id();
    v_type constant text := relate.type;
    v_vis constant text := coalesce(relate.visibility, 'tenant');
    v_from_kind text;
    v_from_id text;
    v_to_kind text;
    v_to_id text;
    v_fm text;
    v_fe text;
    v_tm text;
    v_te text;
    v_exclusive boolean := false;
    v_old cogdb.relationships;
    v_new constant text := 'rel_' || replace(gen_random_uuid()::text, '-', '');
    v_copy text;
    v_start timestamptz;
    v_superseded text[] := '{}';
    c cogdb.relationships;
BEGIN
    IF v_type IS NULL OR v_type !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'type must be 1-63 of a-z 0-9 _ starting with a letter, got %',
                        coalesce(quote_literal(left(v_type, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'type',
                  HINT = 'Built in: ' || array_to_string(cogdb.builtin_relationship_types(), ', ') || '.';
    END IF;
    IF NOT v_type = ANY (cogdb.builtin_relationship_types()) THEN
        SELECT t.exclusive INTO v_exclusive FROM cogdb.relationship_types t WHERE t.name = v_type;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown relationship type %', quote_literal(v_type)
                USING ERRCODE = 'CGV01', COLUMN = 'type',
                      HINT = 'Use a built-in type (' || array_to_string(cogdb.builtin_relationship_types(), ', ')
                             || ') or register one: cogdb relation-type add ' || v_type
                             || ' (cogdb.register_relationship_type).';
        END IF;
    END IF;
    IF NOT coalesce(strength, 1) BETWEEN 0 AND 1 OR NOT coalesce(confidence, 1) BETWEEN 0 AND 1 THEN
        RAISE EXCEPTION 'strength and confidence must be between 0 and 1'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN NOT coalesce(strength, 1) BETWEEN 0 AND 1 THEN 'strength'
                                ELSE 'confidence' END,
                  HINT = 'Leave them out for 1 (full strength, certain).';
    END IF;
    IF metadata IS NOT NULL AND jsonb_typeof(metadata) <> 'object' THEN
        RAISE EXCEPTION 'metadata must be a JSON object, got %', jsonb_typeof(metadata)
            USING ERRCODE = 'CGV01', COLUMN = 'metadata', HINT = 'e.g. {"source": "meeting 2026-11-02"}';
    END IF;
    IF v_vis NOT IN ('private', 'tenant') THEN
        RAISE EXCEPTION 'visibility must be private or tenant, got %', quote_literal(left(v_vis, 60))
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'private: the context''s user only; tenant: everyone in the tenant.';
    END IF;
    IF v_vis = 'private' AND v_user IS NULL THEN
        RAISE EXCEPTION 'a private relationship needs a user in the context'
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'Pass a user to set_context, or use visibility ''tenant''.';
    END IF;
    IF valid_to <= valid_from THEN
        RAISE EXCEPTION 'valid_to must be later than valid_from'
            USING ERRCODE = 'CGV01', COLUMN = 'valid_to',
                  HINT = 'Leave valid_to out for a fact that still holds.';
    END IF;
    SELECT r.kind, r.id INTO v_from_kind, v_from_id FROM cogdb.resolve_node(from_node, 'from_node') r;
    SELECT r.kind, r.id INTO v_to_kind, v_to_id FROM cogdb.resolve_node(to_node, 'to_node') r;
    IF v_from_id IS NULL OR v_to_id IS NULL THEN
        RAISE EXCEPTION 'no node % in this context',
                        quote_literal(left(CASE WHEN v_from_id IS NULL THEN from_node ELSE to_node END, 80))
            USING ERRCODE = 'CGN01',
                  COLUMN = CASE WHEN v_from_id IS NULL THEN 'from_node' ELSE 'to_node' END,
                  HINT = 'Check the reference; a node another user keeps private is not visible here.';
    END IF;
    IF (v_from_kind, v_from_id) = (v_to_kind, v_to_id) THEN
        RAISE EXCEPTION 'a relationship joins two different nodes'
            USING ERRCODE = 'CGV01', COLUMN = 'to_node',
                  HINT = 'from_node and to_node name the same node.';
    END IF;
    v_fm := CASE WHEN v_from_kind = 'memory' THEN v_from_id END;
    v_fe := CASE WHEN v_from_kind = 'entity' THEN v_from_id END;
    v_tm := CASE WHEN v_to_kind = 'memory' THEN v_to_id END;
    v_te := CASE WHEN v_to_kind = 'entity' THEN v_to_id END;
    PERFORM pg_advisory_xact_lock(hashtextextended(
        format('cogdb.relate/%s/%s:%s/%s', v_tenant, v_from_kind, v_from_id, v_type), 0));

    -- The active record of this fact in the caller's layer (shared, or the caller's private).
    SELECT r.* INTO v_old FROM cogdb.relationships r
     WHERE (r.from_memory_id = v_fm OR r.from_entity_id = v_fe)
       AND (r.to_memory_id = v_tm OR r.to_entity_id = v_te)
       AND r.type = v_type AND r.superseded_at IS NULL AND r.valid_to IS NULL
       AND r.visibility = v_vis AND (v_vis = 'tenant' OR r.owner_user_id = v_user);
    IF FOUND THEN
        IF valid_to IS NULL AND coalesce(valid_from, v_old.valid_from) = v_old.valid_from
           AND coalesce(strength, v_old.strength) = v_old.strength
           AND coalesce(confidence, v_old.confidence) = v_old.confidence
           AND coalesce(metadata, v_old.metadata) = v_old.metadata THEN
            RETURN QUERY SELECT v_old.id, false, '{}'::text[];
            RETURN;
        END IF;
        IF valid_to <= coalesce(valid_from, v_old.valid_from) THEN
            RAISE EXCEPTION 'valid_to must be later than the fact''s valid_from (%)', v_old.valid_from
                USING ERRCODE = 'CGV01', COLUMN = 'valid_to',
                      HINT = 'valid_to ends the fact; it started at its valid_from.';
        END IF;
        UPDATE cogdb.relationships r SET superseded_at = now()
         WHERE r.tenant_id = v_tenant AND r.id = v_old.id;
        v_start := coalesce(valid_from, v_old.valid_from);
        strength := coalesce(strength, v_old.strength);
        confidence := coalesce(confidence, v_old.confidence);
        metadata := coalesce(metadata, v_old.metadata);
        v_superseded := ARRAY[v_old.id];
    ELSE
        v_start := coalesce(valid_from, now());
        IF v_exclusive AND valid_to IS NULL THEN
            FOR c IN SELECT r.* FROM cogdb.relationships r
                      WHERE (r.from_memory_id = v_fm OR r.from_entity_id = v_fe)
                        AND r.type = v_type AND r.superseded_at IS NULL AND r.valid_to IS NULL
                        AND r.visibility = v_vis AND (v_vis = 'tenant' OR r.owner_user_id = v_user)
                      ORDER BY r.id
                      FOR UPDATE
            LOOP
                UPDATE cogdb.relationships r SET superseded_at = now()
                 WHERE r.tenant_id = v_tenant AND r.id = c.id;
                IF v_start > c.valid_from THEN  -- it held until the new fact: keep that part
                    v_copy := 'rel_' || replace(gen_random_uuid()::text, '-', '');
                    INSERT INTO cogdb.relationships (id, from_memory_id, from_entity_id,
                        to_memory_id, to_entity_id, type, strength, confidence, metadata,
                        visibility, valid_from, valid_to)
                    VALUES (v_copy, c.from_memory_id, c.from_entity_id, c.to_memory_id,
                            c.to_entity_id, c.type, c.strength, c.confidence, c.metadata,
                            c.visibility, c.valid_from, v_start);
                    UPDATE cogdb.relationships r SET superseded_by = v_copy
                     WHERE r.tenant_id = v_tenant AND r.id = c.id;
                END IF;
                v_superseded := v_superseded || c.id;
            END LOOP;
        END IF;
    END IF;
    INSERT INTO cogdb.relationships (id, from_memory_id, from_entity_id, to_memory_id,
                                     to_entity_id, type, strength, confidence, metadata,
                                     visibility, valid_from, valid_to)
    VALUES (v_new, v_fm, v_fe, v_tm, v_te, v_type, coalesce(strength, 1),
            coalesce(confidence, 1), coalesce(metadata, '{}'), v_vis, v_start, valid_to);
    UPDATE cogdb.relationships r SET superseded_by = v_new
     WHERE r.tenant_id = v_tenant AND r.id = ANY (v_superseded) AND r.superseded_by IS NULL;
    RETURN QUERY SELECT v_new, true, v_superseded;
END
$$;

REVOKE ALL ON FUNCTION cogdb.relate(text, text, text, real, real, jsonb, timestamptz, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.relate(text, text, text, real, real, jsonb, timestamptz, timestamptz, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.relate(text, text, text, real, real, jsonb, timestamptz, timestamptz, text) IS
    'Records a typed, weighted, time-bounded relationship between two visible nodes; a contradicted or replaced record is superseded, never deleted.';
-- <<< sql/functions/knowledge/relate.sql

-- >>> sql/functions/knowledge/list_relationships.sql
-- The relationship records of one node that the caller can see: by default the current facts
-- (current knowledge, valid now), with as_of the facts valid at that time, with known_at what
-- cogdb knew then (cogdb.fact_holds), and with history every record ever written, superseded
-- ones included, oldest first. direction 'out', 'in' or 'both'; types narrows the types.
-- `other` is the node at the other end; from_node/to_node are canonical references
-- (memory:<id>, entity:<id>). A node the caller cannot see gives no rows, like a missing one.
CREATE OR REPLACE FUNCTION cogdb.list_relationships(node text, direction text DEFAULT 'both',
                                                    types text[] DEFAULT NULL,
                                                    as_of timestamptz DEFAULT NULL,
                                                    known_at timestamptz DEFAULT NULL,
                                                    history boolean DEFAULT false)
    RETURNS TABLE (id text, type text, edge_direction text, other text, from_node text,
                   to_node text, strength real, confidence real, metadata jsonb,
                   visibility text, owner_user_id uuid, valid_from timestamptz,
                   valid_to timestamptz, recorded_at timestamptz, superseded_at timestamptz,
                   superseded_by text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_kind text;
    v_id text;
BEGIN
    IF direction IS NULL OR direction NOT IN ('out', 'in', 'both') THEN
        RAISE EXCEPTION 'direction must be out, in or both, got %',
                        coalesce(quote_literal(left(direction, 20)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'direction',
                  HINT = 'out: from this node; in: to this node; both (the default).';
    END IF;
    SELECT r.kind, r.id INTO v_kind, v_id FROM cogdb.resolve_node(node, 'node') r;
    IF v_id IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT e.id, e.type, e.dir,
           CASE WHEN e.dir = 'out' THEN e.to_ref ELSE e.from_ref END,
           e.from_ref, e.to_ref, e.strength, e.confidence, e.metadata, e.visibility,
           e.owner_user_id, e.valid_from, e.valid_to, e.recorded_at, e.superseded_at,
           e.superseded_by
      FROM (SELECT r.*, d.dir,
                   CASE WHEN r.from_memory_id IS NOT NULL THEN 'memory:' || r.from_memory_id
                        ELSE 'entity:' || r.from_entity_id END AS from_ref,
                   CASE WHEN r.to_memory_id IS NOT NULL THEN 'memory:' || r.to_memory_id
                        ELSE 'entity:' || r.to_entity_id END AS to_ref
              FROM cogdb.relationships r
             CROSS JOIN LATERAL (
                   SELECT 'out' AS dir
                    WHERE direction IN ('out', 'both')
                      AND (CASE v_kind WHEN 'memory' THEN r.from_memory_id
                                       ELSE r.from_entity_id END) = v_id
                   UNION ALL
                   SELECT 'in'
                    WHERE direction IN ('in', 'both')
                      AND (CASE v_kind WHEN 'memory' THEN r.to_memory_id
                                       ELSE r.to_entity_id END) = v_id) d
             WHERE (r.from_memory_id = CASE WHEN v_kind = 'memory' THEN v_id END
                    OR r.from_entity_id = CASE WHEN v_kind = 'entity' THEN v_id END
                    OR r.to_memory_id = CASE WHEN v_kind = 'memory' THEN v_id END
                    OR r.to_entity_id = CASE WHEN v_kind = 'entity' THEN v_id END)
               AND (types IS NULL OR r.type = ANY (types))
               AND (history OR cogdb.fact_holds(r.valid_from, r.valid_to, r.recorded_at,
                                                r.superseded_at, as_of, known_at))) e
     ORDER BY e.recorded_at, e.id, e.dir;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_relationships(text, text, text[], timestamptz, timestamptz, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_relationships(text, text, text[], timestamptz, timestamptz, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_relationships(text, text, text[], timestamptz, timestamptz, boolean) IS
    'The relationship records of one node the caller can see: current facts by default, as of a time, as known at a time, or the whole history.';
-- <<< sql/functions/knowledge/list_relationships.sql

-- >>> sql/functions/knowledge/neighbors.sql
-- The nodes reachable from `start` (a reference as for resolve_node) through the
-- relationships the caller can see, breadth first: each node once, at its smallest depth,
-- with the relationship it was reached by (`via`, its type, direction and strength), the
-- path from the start (canonical references, start first) and a label (an entity's name, a
-- memory's first 200 characters).
--
--   max_depth  1-5 (default 2)       types      only these relationship types
--   direction  out, in, both         as_of, known_at  the picture at those times
--   max_nodes  1-1000 (default 100): the result is bounded, and so is the work: the walk
--              stops after the level that reaches it.
-- Within a level, a node reached by several relationships takes the strongest (then the
-- lowest id), and nodes come strongest first (then by reference, byte order); levels come
-- in order.
-- Cycles are safe: a node already reached is never entered again.
--
-- Isolation is the policies' doing: a relationship exists for the caller only if the caller
-- can see both of its nodes (relationships__endpoints_visible), so a path never passes
-- through another user's private memory or entity, and nothing in the output (rows, depths,
-- paths) differs from a graph in which that node does not exist. Expired memories are
-- neither returned nor passed through. A start the caller cannot see gives no rows.
CREATE OR REPLACE FUNCTION cogdb.neighbors(start text, max_depth integer DEFAULT 2,
                                           types text[] DEFAULT NULL,
                                           direction text DEFAULT 'both',
                                           as_of timestamptz DEFAULT NULL,
                                           known_at timestamptz DEFAULT NULL,
                                           max_nodes integer DEFAULT 100)
    RETURNS TABLE (node text, kind text, id text, depth integer, via text, type text,
                   edge_direction text, strength real, path text[], label text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    -- The level query's plan does not depend on the frontier's values: plan it once per
    -- session, not on every call (a custom plan costs more than the walk of a small graph).
    SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_variable
DECLARE
    -- The fence does this under RLS; said again so that a role without RLS (a DBA's
    -- BYPASSRLS login) also walks one tenant by its indexes.
    v_tenant uuid := cogdb.current_tenant_id();
    v_kind text;
    v_id text;
    v_seen jsonb;              -- every node reached so far -> its path (a JSON array)
    v_mem text[];              -- the frontier: memory ids
    v_ent text[];              --               entity ids
    v_found integer := 0;
    v_level integer := 0;
    l_ref text[];
    l_kind text[];
    l_id text[];
    l_via text[];
    l_type text[];
    l_dir text[];
    l_strength real[];
    l_parent text[];
    l_label text[];
BEGIN
    IF max_depth IS NULL OR max_depth NOT BETWEEN 1 AND 5 THEN
        RAISE EXCEPTION 'max_depth must be between 1 and 5, got %', coalesce(max_depth::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'max_depth',
                  HINT = 'Depth 1 is the direct neighbours; the default is 2.';
    END IF;
    IF max_nodes IS NULL OR max_nodes NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'max_nodes must be between 1 and 1000, got %', coalesce(max_nodes::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'max_nodes',
                  HINT = 'The walk returns at most this many nodes, nearest first.';
    END IF;
    IF direction IS NULL OR direction NOT IN ('out', 'in', 'both') THEN
        RAISE EXCEPTION 'direction must be out, in or both, got %',
                        coalesce(quote_literal(left(direction, 20)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'direction',
                  HINT = 'out: along relationships; in: against them; both (the default).';
    END IF;
    SELECT r.kind, r.id INTO v_kind, v_id FROM cogdb.resolve_node(start, 'start') r;
    IF v_id IS NULL THEN
        RETURN;
    END IF;
    v_seen := jsonb_build_object(v_kind || ':' || v_id, jsonb_build_array(v_kind || ':' || v_id));
    v_mem := CASE WHEN v_kind = 'memory' THEN ARRAY[v_id] ELSE '{}' END;
    v_ent := CASE WHEN v_kind = 'entity' THEN ARRAY[v_id] ELSE '{}' END;

    WHILE v_level < max_depth AND v_found < max_nodes
          AND cardinality(v_mem) + cardinality(v_ent) > 0 LOOP
        v_level := v_level + 1;
        -- One level: the frontier's relationships, each new node once, strongest first.
        SELECT coalesce(array_agg(x.ref ORDER BY x.n), '{}'), array_agg(x.okind ORDER BY x.n),
               array_agg(x.oid ORDER BY x.n), array_agg(x.via ORDER BY x.n),
               array_agg(x.type ORDER BY x.n), array_agg(x.dir ORDER BY x.n),
               array_agg(x.strength ORDER BY x.n), array_agg(x.parent ORDER BY x.n),
               array_agg(x.label ORDER BY x.n)
          INTO l_ref, l_kind, l_id, l_via, l_type, l_dir, l_strength, l_parent, l_label
          FROM (
            SELECT f.*, row_number() OVER (ORDER BY f.strength DESC, f.ref COLLATE "C") AS n,
                   CASE WHEN f.okind = 'entity'
                        THEN (SELECT en.name FROM cogdb.entities en
                               WHERE en.tenant_id = v_tenant AND en.id = f.oid)
                        ELSE (SELECT left(coalesce(nullif(m.human_content, ''), m.assistant_content), 200)
                                FROM cogdb.memories m
                               WHERE m.tenant_id = v_tenant AND m.id = f.oid)
                   END AS label
              FROM (
                SELECT DISTINCT ON (e.okind COLLATE "C", e.oid COLLATE "C") e.*,
                       e.okind || ':' || e.oid AS ref
                  FROM (
                    SELECT r.id AS via, r.type, r.strength, 'out' AS dir,
                           CASE WHEN r.from_memory_id IS NOT NULL THEN 'memory:' || r.from_memory_id
                                ELSE 'entity:' || r.from_entity_id END AS parent,
                           CASE WHEN r.to_memory_id IS NOT NULL THEN 'memory' ELSE 'entity' END AS okind,
                           coalesce(r.to_memory_id, r.to_entity_id) AS oid
                      FROM cogdb.relationships r
                     WHERE direction IN ('out', 'both') AND r.tenant_id = v_tenant
                       AND (r.from_memory_id = ANY (v_mem) OR r.from_entity_id = ANY (v_ent))
                       AND (types IS NULL OR r.type = ANY (types))
                       AND cogdb.fact_holds(r.valid_from, r.valid_to, r.recorded_at,
                                            r.superseded_at, as_of, known_at)
                    UNION ALL
                    SELECT r.id, r.type, r.strength, 'in',
                           CASE WHEN r.to_memory_id IS NOT NULL THEN 'memory:' || r.to_memory_id
                                ELSE 'entity:' || r.to_entity_id END,
                           CASE WHEN r.from_memory_id IS NOT NULL THEN 'memory' ELSE 'entity' END,
                           coalesce(r.from_memory_id, r.from_entity_id)
                      FROM cogdb.relationships r
                     WHERE direction IN ('in', 'both') AND r.tenant_id = v_tenant
                       AND (r.to_memory_id = ANY (v_mem) OR r.to_entity_id = ANY (v_ent))
                       AND (types IS NULL OR r.type = ANY (types))
                       AND cogdb.fact_holds(r.valid_from, r.valid_to, r.recorded_at,
                                            r.superseded_at, as_of, known_at)) e
                 WHERE NOT v_seen ? (e.okind || ':' || e.oid)
                   AND (e.okind = 'entity' OR NOT EXISTS (
                        SELECT FROM cogdb.memories m
                         WHERE m.tenant_id = v_tenant AND m.id = e.oid
                           AND m.expires_at <= now()))
                 ORDER BY e.okind COLLATE "C", e.oid COLLATE "C", e.strength DESC,
                          e.via COLLATE "C") f
             ORDER BY f.strength DESC, f.ref COLLATE "C"
             LIMIT max_nodes - v_found) x;
        EXIT WHEN cardinality(l_ref) = 0;

        RETURN QUERY
            SELECT u.ref, u.kind, u.id, v_level, u.via, u.type, u.dir, u.strength,
                   ARRAY(SELECT jsonb_array_elements_text(v_seen -> u.parent)) || u.ref, u.label
              FROM unnest(l_ref, l_kind, l_id, l_via, l_type, l_dir, l_strength, l_parent, l_label)
                   WITH ORDINALITY AS u(ref, kind, id, via, type, dir, strength, parent, label, n)
             ORDER BY u.n;
        v_seen := v_seen || (SELECT jsonb_object_agg(u.ref, (v_seen -> u.parent) || to_jsonb(u.ref))
                               FROM unnest(l_ref, l_parent) AS u(ref, parent));
        v_found := v_found + cardinality(l_ref);
        v_mem := ARRAY(SELECT u.id FROM unnest(l_kind, l_id) AS u(kind, id) WHERE u.kind = 'memory');
        v_ent := ARRAY(SELECT u.id FROM unnest(l_kind, l_id) AS u(kind, id) WHERE u.kind = 'entity');
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION cogdb.neighbors(text, integer, text[], text, timestamptz, timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.neighbors(text, integer, text[], text, timestamptz, timestamptz, integer) TO cogdb_app;
COMMENT ON FUNCTION cogdb.neighbors(text, integer, text[], text, timestamptz, timestamptz, integer) IS
    'The nodes reachable from a start node through relationships the caller can see, breadth first, each once with its depth, edge and path; bounded.';
-- <<< sql/functions/knowledge/neighbors.sql

-- >>> sql/functions/knowledge/tenant_language.sql
-- The text search configuration of a tenant: its setting search.language (the name of a
-- configuration in pg_ts_config, set by an admin with set_tenant_setting), else english. Read when text is indexed
-- (index_text) and when a query is parsed (text_query), so both use the same one.
CREATE OR REPLACE FUNCTION cogdb.tenant_language(tenant_id uuid) RETURNS regconfig
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT c.oid::regconfig
                       FROM cogdb.tenants t
                       JOIN pg_ts_config c ON c.cfgname = t.settings #>> '{search,language}'
                      WHERE t.id = tenant_language.tenant_id
                      ORDER BY c.cfgnamespace <> 'pg_catalog'::regnamespace, c.oid
                      LIMIT 1),
                    'pg_catalog.english'::regconfig)
$$;

REVOKE ALL ON FUNCTION cogdb.tenant_language(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.tenant_language(uuid) TO cogdb_app;
COMMENT ON FUNCTION cogdb.tenant_language(uuid) IS
    'The text search configuration of a tenant (setting search.language, default english).';
-- <<< sql/functions/knowledge/tenant_language.sql

-- >>> sql/functions/knowledge/text_query.sql
-- The tsquery hybrid search runs for `query`: parsed like a web search box
-- (websearch_to_tsquery: words, "quoted phrases", -excluded, OR) in the context tenant's
-- search.language. Tokens such as order numbers or error codes become phrases
-- ('ord-2024-17' <-> 'ord' <-> '2024' <-> '17'), so they match exactly. text_candidates
-- decides how the words combine (all of them, then each one).
CREATE OR REPLACE FUNCTION cogdb.text_query(query text) RETURNS tsquery
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT websearch_to_tsquery(cogdb.tenant_language(cogdb.current_tenant_id()),
                                coalesce(query, ''))
$$;

REVOKE ALL ON FUNCTION cogdb.text_query(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.text_query(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.text_query(text) IS
    'The tsquery hybrid search runs for a text: web-search syntax in the context tenant''s search.language.';
-- <<< sql/functions/knowledge/text_query.sql

-- >>> sql/functions/knowledge/text_candidates.sql
-- The text half of hybrid search: the nodes of the context's tenant whose text matches
-- `query`, best first (then by id), at most max_rows (1-1000): kind ('memory' or 'entity'),
-- id and rank, nothing else.
--
-- Matching: a document that has every word (or phrase) of the query is a candidate, and so
-- is one that has some of them: all candidates are ranked by ts_rank against the words
-- joined by OR, so more (and repeated) words rank higher. The work is bounded per word: the
-- documents with all the words, and those with each single word, are each taken up to
-- `scan` (2 x max_rows, 100-2000) before ranking, so a word that most of a large tenant's
-- documents contain costs a bounded ranking (its own scan of the index remains, about 0.1 us
-- per document that has it); a rare word or an exact token (an order number, an error code,
-- a name) is always ranked in full. When max_rows documents have every word, the single
-- words are not scanned. A query with OR or -excluded words is matched as written.
--
-- Definer over the owner-only cogdb.text_index, whose GIN index (tenant_id, tsv) the planner
-- can use there (see sql/tables/text_index.sql for why not under RLS). It filters the tenant
-- (cogdb.current_tenant_id(): no context, no rows) and the caller's visibility itself;
-- hybrid_search joins the ids back through memories and entities under their policies, so a
-- bug here could not show another tenant's row either.
CREATE OR REPLACE FUNCTION cogdb.text_candidates(query tsquery, max_rows integer DEFAULT 100,
                                                 kinds text[] DEFAULT ARRAY['memory', 'entity'])
    RETURNS TABLE (kind text, id text, rank real)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_user uuid := cogdb.current_user_id();
    v_rows integer := least(greatest(coalesce(max_rows, 100), 1), 1000);
    v_scan integer := least(greatest(2 * least(greatest(coalesce(max_rows, 100), 1), 1000), 100), 2000);
    v_words text[] := '{}';
    v_any tsquery := query;
    v_kinds text[];
    v_ids text[];
    v_ranks real[];
BEGIN
    IF v_tenant IS NULL OR query IS NULL OR numnode(query) = 0 THEN
        RETURN;
    END IF;
    -- websearch_to_tsquery joins words and phrases with &; without OR, negation or groups,
    -- the top level splits there (<-> binds tighter), one entry per distinct word or phrase.
    IF query::text !~ '[|!()]' THEN
        v_words := ARRAY(SELECT DISTINCT w FROM unnest(string_to_array(query::text, ' & ')) w);
        v_any := array_to_string(v_words, ' | ')::tsquery;
    END IF;
    IF cardinality(v_words) < 2 THEN
        v_words := '{}';
    END IF;
    -- The documents with every word first; when there are max_rows of them, documents with
    -- only some of the words would rank below them, and the single words are not scanned.
    SELECT coalesce(array_agg(a.kind), '{}'), coalesce(array_agg(a.id), '{}'),
           coalesce(array_agg(a.rank), '{}')
      INTO v_kinds, v_ids, v_ranks
      FROM (SELECT CASE WHEN t.memory_id IS NOT NULL THEN 'memory' ELSE 'entity' END AS kind,
                   coalesce(t.memory_id, t.entity_id) AS id, ts_rank(t.tsv, v_any) AS rank
              FROM cogdb.text_index t
             WHERE t.tenant_id = v_tenant
               AND (t.visibility = 'tenant' OR t.owner_user_id = v_user)
               AND t.tsv @@ query
             LIMIT v_scan) a;
    IF cardinality(v_ids) >= v_rows THEN
        v_words := '{}';
    END IF;
    RETURN QUERY
    SELECT h.kind, h.id, max(h.rank)
      FROM (SELECT * FROM unnest(v_kinds, v_ids, v_ranks) AS a(kind, id, rank)
            UNION ALL
            SELECT w.* FROM unnest(v_words) AS b(word)
             CROSS JOIN LATERAL (
                SELECT CASE WHEN t.memory_id IS NOT NULL THEN 'memory' ELSE 'entity' END AS kind,
                       coalesce(t.memory_id, t.entity_id) AS id, ts_rank(t.tsv, v_any) AS rank
                  FROM cogdb.text_index t
                 WHERE t.tenant_id = v_tenant
                   AND (t.visibility = 'tenant' OR t.owner_user_id = v_user)
                   AND t.tsv @@ b.word::tsquery
                 LIMIT v_scan) w) h
     WHERE h.kind = ANY (kinds)
     GROUP BY h.kind, h.id
     ORDER BY 3 DESC, 2
     LIMIT v_rows;
END
$$;

REVOKE ALL ON FUNCTION cogdb.text_candidates(tsquery, integer, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.text_candidates(tsquery, integer, text[]) TO cogdb_app;
COMMENT ON FUNCTION cogdb.text_candidates(tsquery, integer, text[]) IS
    'The text half of hybrid search: ids and ranks of the context tenant''s visible nodes matching a tsquery (definer over the owner-only text index; bounded work per word).';
-- <<< sql/functions/knowledge/text_candidates.sql

-- >>> sql/functions/knowledge/reindex_text.sql
-- Indexes again every memory and entity of one tenant in its current search.language (after
-- set_tenant_setting changed it) and returns how many index rows it wrote. FORCE RLS fences
-- the owner too, so it takes the tenant's context without a user for the shared rows and each
-- user's context for that user's private rows (enter_tenant), then restores the caller's.
-- Owner-only: set_tenant_setting (definer) calls it.
CREATE OR REPLACE FUNCTION cogdb.reindex_text(tenant_id uuid) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_caller text[] := cogdb.enter_tenant(tenant_id, NULL);
    v_language regconfig := cogdb.tenant_language(tenant_id);
    v_user uuid;
    v_total bigint := 0;
    v_n bigint;
BEGIN
    FOR v_user IN SELECT NULL::uuid UNION ALL (SELECT u.id FROM cogdb.users u ORDER BY u.id) LOOP
        PERFORM cogdb.enter_tenant(tenant_id, v_user);
        UPDATE cogdb.text_index x
           SET language = v_language,
               tsv = setweight(to_tsvector(v_language, coalesce(m.summary, '')), 'A')
                     || setweight(to_tsvector(v_language, m.human_content || ' ' || m.assistant_content), 'B')
          FROM cogdb.memories m
         WHERE x.tenant_id = m.tenant_id AND x.memory_id = m.id
           AND (CASE WHEN v_user IS NULL THEN m.visibility = 'tenant'
                     ELSE m.visibility = 'private' AND m.owner_user_id = v_user END);
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_total := v_total + v_n;
        UPDATE cogdb.text_index x
           SET language = v_language,
               tsv = setweight(to_tsvector(v_language, e.name), 'A')
                     || setweight(to_tsvector(v_language, coalesce(
                            (SELECT string_agg(o.observation, E'\n' ORDER BY o.created_at, o.observation)
                               FROM cogdb.entity_observations o
                              WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id), '')), 'B')
                     || setweight(to_tsvector(v_language, e.entity_type), 'C')
          FROM cogdb.entities e
         WHERE x.tenant_id = e.tenant_id AND x.entity_id = e.id
           AND (CASE WHEN v_user IS NULL THEN e.visibility = 'tenant'
                     ELSE e.visibility = 'private' AND e.owner_user_id = v_user END);
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_total := v_total + v_n;
    END LOOP;
    PERFORM cogdb.restore_context(v_caller);
    RETURN v_total;
END
$$;

REVOKE ALL ON FUNCTION cogdb.reindex_text(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.reindex_text(uuid) IS
    'Indexes every memory and entity of a tenant again in its current search.language; owner-only (set_tenant_setting calls it).';
-- <<< sql/functions/knowledge/reindex_text.sql

-- >>> sql/functions/knowledge/hybrid_search.sql
-- Hybrid search: full-text and vector ranking fused by reciprocal rank fusion (RRF), over the
-- memories, entity names and observations the caller may see. Returns the k best, best first
-- (ties by kind, then id), with the score, each half's rank (NULL where a half did not find
-- the node), the cosine similarity and the text rank, and the node's display fields (a
-- memory's, or an entity's name and type; the other kind's are NULL).
--
--   score = text_weight / (rrf_k + text rank) + vector_weight / (rrf_k + vector rank)
--
-- query_text alone runs the text half, query_vector alone the vector half, both run both.
-- The text half: cogdb.text_query (web-search syntax, the tenant's search.language, words
-- OR-ed) against the owner-only text index through cogdb.text_candidates, joined back to
-- memories and entities under their policies and the filters. The vector half: cogdb.search
-- itself for memories (its plan, exact or the tenant's ANN index, is in `plan`) and an exact
-- scan of the entities that have an embedding of the same model. Each half contributes its
-- best `candidates` (default 50, at least k, at most 1000); with filters the text half
-- fetches four times as many before filtering.
-- Filters are search's; they narrow memories. Entities have no conversation, source, context
-- type, tags or metadata: any of those filters leaves entities out; owner and visibility
-- apply to them, created_after/before to their first_seen. include_entities => false leaves
-- them out. Reads only; no context, no rows.
CREATE OR REPLACE FUNCTION cogdb.hybrid_search(query_text text DEFAULT NULL,
                                               query_vector public.vector DEFAULT NULL,
                                               k integer DEFAULT 10,
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
                                               metadata_filter jsonb DEFAULT NULL,
                                               rrf_k integer DEFAULT 60,
                                               text_weight double precision DEFAULT 1,
                                               vector_weight double precision DEFAULT 1,
                                               candidates integer DEFAULT 50,
                                               include_entities boolean DEFAULT true)
    RETURNS TABLE (kind text, id text, score double precision, text_rank integer,
                   vector_rank integer, similarity double precision, text_score real,
                   name text, entity_type text, conversation_id text, human_content text,
                   assistant_content text, summary text, context_type text, source text,
                   created_at timestamptz, visibility text, owner_user_id uuid, tags jsonb,
                   metadata jsonb, plan text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_max_k integer := cogdb.int_setting('search.max_k');
    v_text tsquery;
    v_use_text boolean;
    v_use_vector boolean := query_vector IS NOT NULL AND vector_weight > 0;
    v_cand integer;
    v_text_fetch integer;
    v_model text;
    v_entities boolean;
    v_filtered boolean;
    v_plan text;
    v_tkind text[] := '{}';
    v_tid text[] := '{}';
    v_trank real[] := '{}';
    v_keep text[];
    v_vid text[] := '{}';
    v_vsim double precision[] := '{}';
    v_vplan text;
BEGIN
    IF cogdb.current_tenant_id() IS NULL THEN
        RETURN;  -- no context: nothing is visible
    END IF;
    IF k IS NULL OR k NOT BETWEEN 1 AND v_max_k THEN
        RAISE EXCEPTION 'k must be between 1 and %, got %', v_max_k, coalesce(k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'k',
                  HINT = 'k is how many results to return; the maximum is settings.search.max_k.';
    END IF;
    IF rrf_k IS NULL OR rrf_k < 1 THEN
        RAISE EXCEPTION 'rrf_k must be at least 1, got %', coalesce(rrf_k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'rrf_k',
                  HINT = 'The fusion constant; 60 is the usual value. Larger flattens the ranks.';
    END IF;
    IF text_weight IS NULL OR vector_weight IS NULL OR text_weight < 0 OR vector_weight < 0
       OR text_weight = 'NaN' OR vector_weight = 'NaN' THEN
        RAISE EXCEPTION 'text_weight and vector_weight must be numbers >= 0'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN text_weight IS NULL OR NOT text_weight >= 0 OR text_weight = 'NaN'
                                THEN 'text_weight' ELSE 'vector_weight' END,
                  HINT = 'Both default to 1; 0 turns a half off.';
    END IF;
    IF candidates IS NULL OR candidates NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'candidates must be between 1 and 1000, got %', coalesce(candidates::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'candidates',
                  HINT = 'How many results each half contributes to the fusion (default 50).';
    END IF;
    IF only_visibility IS NOT NULL AND NOT only_visibility = ANY (cogdb.allowed_values('visibility')) THEN
        RAISE EXCEPTION 'only_visibility must be private or tenant, got %', quote_literal(only_visibility)
            USING ERRCODE = 'CGV01', COLUMN = 'only_visibility',
                  HINT = 'Leave it out to search everything the context may see.';
    END IF;
    IF nullif(btrim(query_text), '') IS NULL AND query_vector IS NULL THEN
        RAISE EXCEPTION 'hybrid search needs query_text, query_vector or both'
            USING ERRCODE = 'CGV01', COLUMN = 'query_text',
                  HINT = 'Pass the text (full-text half) and its embedding (vector half).';
    END IF;
    IF text_weight = 0 AND vector_weight = 0 THEN
        RAISE EXCEPTION 'text_weight and vector_weight are both 0: nothing would rank'
            USING ERRCODE = 'CGV01', COLUMN = 'text_weight', HINT = 'Leave them out for 1 each.';
    END IF;
    IF nullif(btrim(query_text), '') IS NOT NULL AND text_weight > 0 THEN
        v_text := cogdb.text_query(query_text);
    END IF;
    v_use_text := v_text IS NOT NULL AND numnode(v_text) > 0;
    v_cand := greatest(candidates, k);
    v_filtered := NOT (only_conversation IS NULL AND only_source IS NULL
                       AND only_context_type IS NULL AND tags_any IS NULL
                       AND created_after IS NULL AND created_before IS NULL
                       AND only_owner IS NULL AND only_visibility IS NULL
                       AND (metadata_filter IS NULL OR metadata_filter = '{}'::jsonb));
    v_text_fetch := CASE WHEN v_filtered THEN least(1000, v_cand * 4) ELSE v_cand END;
    v_entities := coalesce(include_entities, true) AND only_conversation IS NULL
                  AND only_source IS NULL AND only_context_type IS NULL AND tags_any IS NULL
                  AND (metadata_filter IS NULL OR metadata_filter = '{}'::jsonb);
    IF v_use_vector THEN
        v_model := (cogdb.resolve_model(hybrid_search.model)).name;
    END IF;
    v_plan := concat_ws('+', CASE WHEN v_use_text THEN 'text' END,
                        CASE WHEN v_use_vector THEN 'vector' END);

    -- The text half: candidates from the text index (ids and ranks of the context's visible
    -- rows), then only the memories that pass the filters. Static statements (their plans are
    -- kept); the filters need dynamic SQL only when some are given.
    IF v_use_text THEN
        SELECT coalesce(array_agg(c.kind), '{}'), coalesce(array_agg(c.id), '{}'),
               coalesce(array_agg(c.rank), '{}')
          INTO v_tkind, v_tid, v_trank
          FROM cogdb.text_candidates(v_text, v_text_fetch) c;
        IF v_filtered THEN
            EXECUTE 'SELECT coalesce(array_agg(m.id), ''{}'') FROM cogdb.memories m'
                    ' WHERE m.id = ANY ($1)' || cogdb.memory_filters_sql(3, metadata_filter)
               INTO v_keep
              USING ARRAY(SELECT u.id FROM unnest(v_tkind, v_tid) AS u(kind, id)
                           WHERE u.kind = 'memory'),
                    NULL::integer, only_conversation, only_source, only_context_type, tags_any,
                    created_after, created_before, only_owner, only_visibility;
        END IF;
    END IF;
    -- The vector half: cogdb.search itself for memories.
    IF v_use_vector THEN
        SELECT coalesce(array_agg(s.id ORDER BY s.similarity DESC, s.id), '{}'),
               coalesce(array_agg(s.similarity ORDER BY s.similarity DESC, s.id), '{}'),
               min(s.plan)
          INTO v_vid, v_vsim, v_vplan
          FROM cogdb.search(query_vector, v_cand, v_model, only_conversation, only_source,
                            only_context_type, tags_any, created_after, created_before,
                            only_owner, only_visibility, ef_search, metadata_filter) s;
    END IF;

    RETURN QUERY
    WITH text_hits AS (
        SELECT u.kind, u.id, u.rank
          FROM unnest(v_tkind, v_tid, v_trank) AS u(kind, id, rank)
         WHERE (u.kind = 'memory'
                AND (NOT v_filtered OR u.id = ANY (v_keep))
                AND EXISTS (SELECT FROM cogdb.memories m
                             WHERE m.id = u.id AND (m.expires_at IS NULL OR m.expires_at > now())))
            OR (u.kind = 'entity' AND v_entities
                AND EXISTS (SELECT FROM cogdb.entities e
                             WHERE e.id = u.id AND e.merged_into IS NULL
                               AND (only_owner IS NULL OR e.owner_user_id = only_owner)
                               AND (only_visibility IS NULL OR e.visibility = only_visibility)
                               AND (created_after IS NULL OR e.first_seen >= created_after)
                               AND (created_before IS NULL OR e.first_seen < created_before)))
    ), text_ranked AS (
        SELECT t.kind, t.id, t.rank,
               row_number() OVER (ORDER BY t.rank DESC, t.kind, t.id) AS pos
          FROM text_hits t
         ORDER BY t.rank DESC, t.kind, t.id
         LIMIT v_cand
    ), vector_hits AS (
        SELECT 'memory' AS kind, u.id, u.similarity
          FROM unnest(v_vid, v_vsim) AS u(id, similarity)
        UNION ALL
        (SELECT 'entity', e.id, 1 - (e.embedding OPERATOR(public.<=>) query_vector)
           FROM cogdb.entities e
          WHERE v_use_vector AND v_entities AND e.model = v_model AND e.embedding IS NOT NULL
            AND e.merged_into IS NULL
            AND (only_owner IS NULL OR e.owner_user_id = only_owner)
            AND (only_visibility IS NULL OR e.visibility = only_visibility)
            AND (created_after IS NULL OR e.first_seen >= created_after)
            AND (created_before IS NULL OR e.first_seen < created_before)
          ORDER BY e.embedding OPERATOR(public.<=>) query_vector, e.id
          LIMIT v_cand)
    ), vector_ranked AS (
        SELECT v.kind, v.id, v.similarity,
               row_number() OVER (ORDER BY v.similarity DESC, v.kind, v.id) AS pos
          FROM vector_hits v
    ), fused AS (
        SELECT coalesce(t.kind, v.kind) AS kind, coalesce(t.id, v.id) AS id,
               coalesce(text_weight / (rrf_k + t.pos), 0)
               + coalesce(vector_weight / (rrf_k + v.pos), 0) AS score,
               t.pos AS tpos, v.pos AS vpos, v.similarity, t.rank
          FROM text_ranked t FULL JOIN vector_ranked v ON v.kind = t.kind AND v.id = t.id
         ORDER BY 3 DESC, 1, 2
         LIMIT k
    )
    -- Joined back through the policies of memories and entities: only visible rows return.
    SELECT f.kind, f.id, f.score, f.tpos::integer, f.vpos::integer, f.similarity, f.rank,
           e.name, e.entity_type, m.conversation_id, m.human_content, m.assistant_content,
           m.summary, m.context_type, m.source, coalesce(m.created_at, e.first_seen),
           coalesce(m.visibility, e.visibility), coalesce(m.owner_user_id, e.owner_user_id),
           m.tags, m.metadata, v_plan || coalesce(':' || v_vplan, '')
      FROM fused f
      LEFT JOIN cogdb.memories m ON f.kind = 'memory' AND m.id = f.id
      LEFT JOIN cogdb.entities e ON f.kind = 'entity' AND e.id = f.id
     WHERE m.id IS NOT NULL OR e.id IS NOT NULL
     ORDER BY f.score DESC, f.kind, f.id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean) IS
    'Full-text and vector ranking fused by reciprocal rank fusion over the memories, entity names and observations the caller may see.';
-- <<< sql/functions/knowledge/hybrid_search.sql

-- >>> sql/functions/knowledge/record_access.sql
-- Records that the memories `ids` were accessed (e.g. returned by a search the user saw) and
-- returns how many were recorded: those the caller can see, once per call. Append-only into
-- the owner-only cogdb.memory_accesses; `cogdb maintain` folds the log into
-- memories.access_count and last_accessed (fold_memory_accesses). A separate call, so search
-- stays read-only and pays nothing for tracking; the Python client makes it after a search
-- when asked (record_access=True). Definer: the app has no privilege on the log.
-- In a transaction that has written nothing before, the commit does not wait for the WAL
-- flush (synchronous_commit off for that transaction).
CREATE OR REPLACE FUNCTION cogdb.record_access(ids text[]) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_n integer;
BEGIN
    PERFORM cogdb.require_tenant('recording accesses');
    -- A read-only transaction (a search) that records its accesses would otherwise wait at
    -- COMMIT for the WAL flush, the largest cost of the call. If this transaction has written
    -- nothing yet, its commit need not wait: the log may lose the last moments before a
    -- crash, which counts of accesses can afford. (Writes after this call in the same
    -- transaction commit the same way: record accesses last.)
    IF pg_current_xact_id_if_assigned() IS NULL THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    IF cardinality(ids) > 10000 THEN
        RAISE EXCEPTION 'at most 10000 ids per call, got %', cardinality(ids)
            USING ERRCODE = 'CGV01', COLUMN = 'ids', HINT = 'Record a search''s results, not a table.';
    END IF;
    -- memories is read under its policies in the caller's context: only visible ids count.
    INSERT INTO cogdb.memory_accesses (tenant_id, memory_id, owner_user_id)
    SELECT m.tenant_id, m.id, m.owner_user_id FROM cogdb.memories m
     WHERE m.id = ANY (ids);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

REVOKE ALL ON FUNCTION cogdb.record_access(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.record_access(text[]) TO cogdb_app;
COMMENT ON FUNCTION cogdb.record_access(text[]) IS
    'Records accesses of the visible memories among ids in an append-only log that cogdb maintain folds into access_count and last_accessed.';
-- <<< sql/functions/knowledge/record_access.sql

-- >>> sql/functions/knowledge/fold_memory_accesses.sql
-- Folds the access log into memories: access_count grows by the accesses logged and
-- last_accessed becomes the latest of them (and tenant_stats counts them); returns how many
-- log rows it folded. Rows logged
-- meanwhile are not in this statement's snapshot and stay for the next run. Each memory is
-- updated in the context of its tenant and owner (enter_tenant; FORCE RLS fences the owner,
-- and only a memory's owner may change it), then the caller's context is put back. Memories
-- deleted since are skipped. Run by `cogdb maintain` as the owner.
CREATE OR REPLACE FUNCTION cogdb.fold_memory_accesses() RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller text[];
    v_groups jsonb;
    v_total bigint;
    g record;
BEGIN
    WITH removed AS (
        DELETE FROM cogdb.memory_accesses a
        RETURNING a.tenant_id, a.memory_id, a.owner_user_id, a.accessed_at
    ), per_memory AS (
        SELECT r.tenant_id, r.owner_user_id, r.memory_id, count(*) AS n,
               max(r.accessed_at) AS last_at
          FROM removed r GROUP BY 1, 2, 3
    ), counted AS (  -- for stats(): accesses folded, and when the last one was
        INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, changed_at)
        SELECT p.tenant_id, 'memories.accesses', sum(p.n), max(p.last_at)
          FROM per_memory p
         WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = p.tenant_id)
         GROUP BY 1
    )
    SELECT coalesce(sum(p.n), 0),
           jsonb_agg(jsonb_build_object('tenant_id', p.tenant_id, 'owner_user_id', p.owner_user_id,
                                        'memory_id', p.memory_id, 'n', p.n, 'last_at', p.last_at)
                     ORDER BY p.tenant_id, p.owner_user_id)
      INTO v_total, v_groups
      FROM per_memory p
     WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = p.tenant_id);
    IF v_groups IS NULL THEN
        RETURN v_total;
    END IF;
    FOR g IN SELECT x.tenant_id, x.owner_user_id, array_agg(x.memory_id) AS ids,
                    array_agg(x.n) AS counts, array_agg(x.last_at) AS lasts
               FROM jsonb_to_recordset(v_groups)
                    AS x(tenant_id uuid, owner_user_id uuid, memory_id text, n bigint,
                         last_at timestamptz)
              GROUP BY 1, 2
    LOOP
        IF v_caller IS NULL THEN
            v_caller := cogdb.enter_tenant(g.tenant_id, g.owner_user_id);
        ELSE
            PERFORM cogdb.enter_tenant(g.tenant_id, g.owner_user_id);
        END IF;
        UPDATE cogdb.memories m
           SET access_count = m.access_count + u.n,
               last_accessed = greatest(m.last_accessed, u.last_at)
          FROM unnest(g.ids, g.counts, g.lasts) AS u(id, n, last_at)
         WHERE m.id = u.id;
    END LOOP;
    PERFORM cogdb.restore_context(v_caller);
    RETURN v_total;
END
$$;

REVOKE ALL ON FUNCTION cogdb.fold_memory_accesses() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.fold_memory_accesses() IS
    'Folds the access log into memories.access_count and last_accessed (cogdb maintain, as the owner).';
-- <<< sql/functions/knowledge/fold_memory_accesses.sql

-- >>> sql/functions/knowledge/stats_document.sql
-- One tenant's statistics as a JSON document, summed from the deltas in cogdb.tenant_stats
-- (never counted from the data): memories in total and by context type, source and
-- visibility; entities, observations, relationship records and how many of them are
-- superseded; accesses folded so far; the estimated bytes of row data (memories, entities,
-- observations, relationships; indexes and page overhead not included); and the last
-- activity (the latest write, or access). Counts are tenant-wide: other users' private
-- memories are counted, never shown. Owner-only: stats() and tenant_stats() call it.
CREATE OR REPLACE FUNCTION cogdb.stats_document(tenant_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH m AS (
        SELECT s.metric, sum(s.delta) AS n, sum(s.bytes) AS bytes, max(s.changed_at) AS at
          FROM cogdb.tenant_stats s WHERE s.tenant_id = stats_document.tenant_id
         GROUP BY s.metric
    ), by_prefix AS (
        SELECT p.prefix, coalesce(jsonb_object_agg(substr(m.metric, length(p.prefix) + 1), m.n
                                                   ORDER BY m.metric)
                                  FILTER (WHERE m.metric IS NOT NULL AND m.n <> 0), '{}') AS counts
          FROM (VALUES ('memories.context_type.'), ('memories.source.'),
                       ('memories.visibility.')) AS p(prefix)
          LEFT JOIN m ON starts_with(m.metric, p.prefix)
         GROUP BY p.prefix
    )
    SELECT jsonb_build_object(
        'tenant_id', stats_document.tenant_id,
        'memories', jsonb_build_object(
            'total', coalesce((SELECT m.n FROM m WHERE m.metric = 'memories'), 0),
            'by_context_type', (SELECT b.counts FROM by_prefix b WHERE b.prefix = 'memories.context_type.'),
            'by_source', (SELECT b.counts FROM by_prefix b WHERE b.prefix = 'memories.source.'),
            'by_visibility', (SELECT b.counts FROM by_prefix b WHERE b.prefix = 'memories.visibility.'),
            'accesses', coalesce((SELECT m.n FROM m WHERE m.metric = 'memories.accesses'), 0)),
        'entities', coalesce((SELECT m.n FROM m WHERE m.metric = 'entities'), 0),
        'observations', coalesce((SELECT m.n FROM m WHERE m.metric = 'entity_observations'), 0),
        'relationships', jsonb_build_object(
            'records', coalesce((SELECT m.n FROM m WHERE m.metric = 'relationships'), 0),
            'superseded', coalesce((SELECT m.n FROM m WHERE m.metric = 'relationships.superseded'), 0)),
        'bytes', coalesce((SELECT sum(m.bytes) FROM m), 0),
        'last_activity', greatest((SELECT max(m.at) FROM m),
                                  (SELECT max(a.accessed_at) FROM cogdb.memory_accesses a
                                    WHERE a.tenant_id = stats_document.tenant_id)))
$$;

REVOKE ALL ON FUNCTION cogdb.stats_document(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.stats_document(uuid) IS
    'One tenant''s statistics as JSON, summed from the deltas in tenant_stats; owner-only (stats and tenant_stats call it).';
-- <<< sql/functions/knowledge/stats_document.sql

-- >>> sql/functions/knowledge/stats.sql
-- The context tenant's statistics (see stats_document): counts by context type, source and
-- visibility, entities, relationships, bytes and last activity, summed from the deltas the
-- write triggers keep; nothing is counted at read time. NULL without a context. Definer over
-- the owner-only tenant_stats, for the context's tenant only.
CREATE OR REPLACE FUNCTION cogdb.stats() RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN t.id IS NOT NULL THEN cogdb.stats_document(t.id) END
      FROM (SELECT cogdb.current_tenant_id() AS id) t
$$;

REVOKE ALL ON FUNCTION cogdb.stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.stats() TO cogdb_app;
COMMENT ON FUNCTION cogdb.stats() IS
    'The context tenant''s statistics (memories by context type, source and visibility, entities, relationships, bytes, last activity), from counters kept by triggers.';
-- <<< sql/functions/knowledge/stats.sql

-- >>> sql/functions/knowledge/tenant_stats.sql
-- One tenant's statistics for an admin (what `cogdb tenant show` prints): stats_document of
-- that tenant. Definer for cogdb_admin; CGN01 for an unknown tenant.
CREATE OR REPLACE FUNCTION cogdb.tenant_stats(tenant_id text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    RETURN cogdb.stats_document(v_tenant);
END
$$;

REVOKE ALL ON FUNCTION cogdb.tenant_stats(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.tenant_stats(text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.tenant_stats(text) IS
    'One tenant''s statistics for an admin (cogdb tenant show).';
-- <<< sql/functions/knowledge/tenant_stats.sql

-- >>> sql/functions/knowledge/compact_tenant_stats.sql
-- Folds the deltas in cogdb.tenant_stats into one row per (tenant, metric), keeping the
-- latest change time, and returns how many delta rows it removed. Deltas written meanwhile
-- are not in this statement's snapshot and stay. Run by `cogdb maintain` as the owner.
CREATE OR REPLACE FUNCTION cogdb.compact_tenant_stats() RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH removed AS (
        DELETE FROM cogdb.tenant_stats RETURNING tenant_id, metric, delta, bytes, changed_at
    ), folded AS (
        INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes, changed_at)
        SELECT r.tenant_id, r.metric, sum(r.delta), sum(r.bytes), max(r.changed_at)
          FROM removed r GROUP BY 1, 2
        RETURNING 1
    )
    SELECT count(*) FROM removed
$$;

REVOKE ALL ON FUNCTION cogdb.compact_tenant_stats() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.compact_tenant_stats() IS
    'Folds the deltas in tenant_stats into one row per tenant and metric (cogdb maintain, as the owner).';
-- <<< sql/functions/knowledge/compact_tenant_stats.sql

-- >>> sql/functions/provisioning/set_tenant_setting.sql
-- Changes one setting of a tenant and returns the tenant's effective settings. Only the
-- listed keys are settable, each with its JSON type; a NULL value removes the key, so the
-- mode's default applies again. default_model (a registered model's name, or NULL for the
-- deployment's default) sets the tenant's default embedding model. search.language (a text
-- search configuration such as english, german or simple) is the language of the tenant's
-- full-text index and queries; changing it indexes the tenant's text again (reindex_text).
-- Definer for cogdb_admin: the app role has no UPDATE on cogdb.tenants and so can never
-- change its own tenant's settings.
CREATE OR REPLACE FUNCTION cogdb.set_tenant_setting(tenant_id text, key text, value jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_type text := CASE key WHEN 'features.chat_import' THEN 'boolean'
                            WHEN 'default_model' THEN 'string'
                            WHEN 'search.language' THEN 'string' END;
    v_path text[] := string_to_array(key, '.');
    v_row cogdb.tenants;
BEGIN
    IF v_type IS NULL THEN
        RAISE EXCEPTION 'unknown tenant setting %; settable: features.chat_import, default_model, search.language',
                        coalesce(quote_literal(left(key, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'key',
                  HINT = 'e.g. cogdb tenant set <tenant> features.chat_import=false';
    END IF;
    IF value IS NOT NULL AND jsonb_typeof(value) IS DISTINCT FROM v_type THEN
        RAISE EXCEPTION '% must be a %, got %', key, v_type, left(value::text, 60)
            USING ERRCODE = 'CGV01', COLUMN = 'value',
                  HINT = 'Pass a JSON ' || v_type || ', or NULL for the default.';
    END IF;
    IF key = 'default_model' AND value IS NOT NULL AND NOT EXISTS (
           SELECT FROM cogdb.embedding_models m WHERE m.name = value #>> '{}') THEN
        RAISE EXCEPTION 'unknown embedding model %', quote_literal(value #>> '{}')
            USING ERRCODE = 'CGV02', COLUMN = 'value',
                  HINT = 'List models with `cogdb model list`; register one with `cogdb model register`.';
    END IF;
    IF key = 'search.language' AND value IS NOT NULL
       AND NOT EXISTS (SELECT FROM pg_ts_config c WHERE c.cfgname = value #>> '{}') THEN
        RAISE EXCEPTION 'unknown text search configuration %', quote_literal(left(value #>> '{}', 60))
            USING ERRCODE = 'CGV01', COLUMN = 'value',
                  HINT = 'List them with: SELECT cfgname FROM pg_ts_config; e.g. english, german, simple.';
    END IF;
    UPDATE cogdb.tenants t
       SET default_model = CASE WHEN key = 'default_model' THEN value #>> '{}'
                                ELSE t.default_model END,
           settings = CASE WHEN key = 'default_model' THEN t.settings
                           WHEN value IS NULL THEN t.settings #- v_path
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
    IF key = 'search.language' THEN
        PERFORM cogdb.reindex_text(v_tenant);
    END IF;
    RETURN cogdb.effective_settings(v_row.mode, v_row.settings);
END
$$;

REVOKE ALL ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) IS
    'Changes one setting of a tenant and returns the tenant''s effective settings.';
-- <<< sql/functions/provisioning/set_tenant_setting.sql

-- >>> step 30_backfill.sql
-- Memories written before this revision enter the text index and the tenant statistics.
-- FORCE RLS fences the owner too, so each tenant is read in its own context: without a user
-- for the shared memories, then as each user for that user's private ones.
DO $$
DECLARE
    v_caller text[];
    t uuid;
    u uuid;
BEGIN
    FOR t IN SELECT id FROM cogdb.tenants ORDER BY id LOOP
        -- The tenant's context first: its users are fenced too.
        IF v_caller IS NULL THEN
            v_caller := cogdb.enter_tenant(t, NULL);
        ELSE
            PERFORM cogdb.enter_tenant(t, NULL);
        END IF;
        FOR u IN SELECT NULL::uuid UNION ALL (SELECT id FROM cogdb.users WHERE tenant_id = t) LOOP
            PERFORM cogdb.enter_tenant(t, u);
            INSERT INTO cogdb.text_index (tenant_id, memory_id, owner_user_id, visibility,
                                          language, tsv)
            SELECT m.tenant_id, m.id, m.owner_user_id, m.visibility, cogdb.tenant_language(t),
                   setweight(to_tsvector(cogdb.tenant_language(t), coalesce(m.summary, '')), 'A')
                   || setweight(to_tsvector(cogdb.tenant_language(t),
                                            m.human_content || ' ' || m.assistant_content), 'B')
              FROM cogdb.memories m
             WHERE CASE WHEN u IS NULL THEN m.visibility = 'tenant'
                        ELSE m.visibility = 'private' AND m.owner_user_id = u END;
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT m.tenant_id, x.metric, count(*), sum(x.bytes)
              FROM cogdb.memories m
             CROSS JOIN LATERAL (VALUES ('memories', pg_column_size(m.*)::bigint + 28),
                                        ('memories.context_type.' || m.context_type, 0),
                                        ('memories.source.' || m.source, 0),
                                        ('memories.visibility.' || m.visibility, 0)) AS x(metric, bytes)
             WHERE CASE WHEN u IS NULL THEN m.visibility = 'tenant'
                        ELSE m.visibility = 'private' AND m.owner_user_id = u END
             GROUP BY 1, 2;
        END LOOP;
    END LOOP;
    IF v_caller IS NOT NULL THEN
        PERFORM cogdb.restore_context(v_caller);
    END IF;
END $$;
-- <<< step 30_backfill.sql

RESET ROLE;
