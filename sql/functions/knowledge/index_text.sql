-- Statement trigger that keeps cogdb.text_index in step with its sources, once per
-- statement over the transition tables:
--   memories             INSERT, or an UPDATE of the text, summary, owner or visibility:
--                        summary (weight A), question and answer (B). An INSERT of at least
--                        text.defer_min_rows memories (0: never) only queues their ids in
--                        cogdb.text_queue, for index_queued_text / index_pending_text: the
--                        text vectors are most of what indexing costs a bulk write
--                        (docs/architecture.md "Deferred text indexing");
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
    v_defer integer;
BEGIN
    -- Which rows changed what the index holds (the transition tables a trigger has depend on
    -- the event, so each event reads its own).
    IF TG_TABLE_NAME = 'memories' AND TG_OP = 'INSERT' THEN
        SELECT array_agg(n.id) INTO v_memories FROM new_rows n;
        v_defer := cogdb.int_setting('text.defer_min_rows');
        IF v_defer > 0 AND cardinality(v_memories) >= v_defer THEN
            INSERT INTO cogdb.text_queue (tenant_id, memory_id, owner_user_id)
            SELECT n.tenant_id, n.id, n.owner_user_id FROM new_rows n
            ON CONFLICT (tenant_id, memory_id) DO UPDATE
               SET owner_user_id = excluded.owner_user_id, queued_at = excluded.queued_at;
            RETURN NULL;
        END IF;
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
