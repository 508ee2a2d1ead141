-- cogdb revision 0025 (text_queue): written by `python -m tools.freeze 0025` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> step 10_settings.sql
-- Deferred text indexing's threshold (docs/architecture.md "Deferred text indexing").
INSERT INTO cogdb.settings (key, value, description) VALUES
    ('text.defer_min_rows', '100',
     'An INSERT of at least this many memories queues their full-text indexing for cogdb maintain or cogdb.index_pending_text instead of doing it in the statement; 0 indexes every insert at once');
-- <<< step 10_settings.sql

-- >>> sql/tables/text_queue.sql
-- Memories waiting for the full-text index (docs/knowledge.md "Deferred text indexing"). A
-- statement that inserts at least text.defer_min_rows memories (remember_many of a batch, an
-- import) queues their ids here instead of computing their text vectors in the writer's
-- transaction; cogdb.index_queued_text (run by `cogdb maintain`) and
-- cogdb.index_pending_text (the app, for its own tenant) index them and empty the queue.
-- Until then hybrid search finds them through its vector half only. Ids and owners only,
-- never content: the indexer reads the text from memories, in the memory owner's context.
-- No foreign keys: a queued memory that is deleted, or a tenant that is, leaves an entry the
-- indexer drops (a per-row foreign-key check is most of what the queue saves). Owner-only
-- (policy text_queue__registry_owner, no grants).
CREATE TABLE cogdb.text_queue (
    tenant_id     uuid NOT NULL,
    memory_id     text NOT NULL,
    owner_user_id uuid,
    queued_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, memory_id)
);
ALTER TABLE cogdb.text_queue ALTER COLUMN memory_id SET STATISTICS 0;
ALTER TABLE cogdb.text_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.text_queue FORCE ROW LEVEL SECURITY;
COMMENT ON TABLE cogdb.text_queue IS
    'Memories inserted in bulk whose full-text indexing is deferred to cogdb.index_queued_text (cogdb maintain) or cogdb.index_pending_text; owner-only.';
COMMENT ON COLUMN cogdb.text_queue.owner_user_id IS
    'The memory''s owner when queued: the indexer reads a private memory in its owner''s context.';
-- <<< sql/tables/text_queue.sql

-- >>> sql/policies/text_queue__registry_owner.sql
-- The text queue is written by the index_text trigger and emptied by index_queued_text and
-- index_pending_text, all owner code; no other role has any privilege on the table.
DROP POLICY IF EXISTS text_queue__registry_owner ON cogdb.text_queue;
CREATE POLICY text_queue__registry_owner ON cogdb.text_queue
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/text_queue__registry_owner.sql

-- >>> sql/functions/knowledge/index_text.sql
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
-- <<< sql/functions/knowledge/index_text.sql

-- >>> sql/functions/knowledge/index_queued_text.sql
-- Indexes the text of queued memories (cogdb.text_queue; docs/architecture.md "Deferred text
-- indexing") and removes them from the queue: of one tenant, or of every tenant (NULL, as
-- `cogdb maintain` calls it), the oldest first, at most max_rows entries (NULL: all). Each
-- group of entries is read in its tenant's context as the memory's owner (private memories
-- are visible to their owner only, and the policies bind this definer as they bind the app),
-- so the index gets exactly what the writer's own statement would have written; an entry
-- whose memory is gone (deleted, purged, or its tenant removed) is dropped. Entries another
-- call is indexing right now are skipped (SKIP LOCKED), so concurrent calls share the work.
--
-- Against concurrent writers:
-- - A memory that already has its index row keeps it (ON CONFLICT DO NOTHING): that row was
--   written by an UPDATE of the memory (index_text indexes updates in their statement), which
--   is as new as what this call read, or newer. Overwriting it could put back text that an
--   update or an anonymisation replaced while this call waited for it.
-- - Each group is its own subtransaction, waiting at most 2 s for a lock: a
--   memory whose deletion is in flight (the index row's foreign key waits for it) leaves its
--   group in the queue for the next call instead of failing or stalling every tenant's.
-- Returns how many memories were indexed. Owner-only: the app empties its own tenant's queue
-- through index_pending_text.
CREATE OR REPLACE FUNCTION cogdb.index_queued_text(tenant_id uuid DEFAULT NULL,
                                                   max_rows integer DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_caller text[];
    v_lock_timeout text := current_setting('lock_timeout');
    v_total bigint := 0;
    v_n bigint;
    g record;
BEGIN
    IF max_rows IS NOT NULL AND max_rows < 1 THEN
        RAISE EXCEPTION 'max_rows must be at least 1, got %', max_rows
            USING ERRCODE = 'CGV01', COLUMN = 'max_rows',
                  HINT = 'Leave it out to index everything queued.';
    END IF;
    FOR g IN
        WITH picked AS (
            SELECT q.tenant_id, q.memory_id, q.owner_user_id
              FROM cogdb.text_queue q
             WHERE index_queued_text.tenant_id IS NULL OR q.tenant_id = index_queued_text.tenant_id
             ORDER BY q.queued_at
             LIMIT max_rows
               FOR UPDATE SKIP LOCKED)
        SELECT p.tenant_id, p.owner_user_id, array_agg(p.memory_id) AS ids,
               EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = p.tenant_id) AS known
          FROM picked p
         GROUP BY p.tenant_id, p.owner_user_id
         ORDER BY p.tenant_id, p.owner_user_id
    LOOP
        IF g.known THEN
            IF v_caller IS NULL THEN
                v_caller := cogdb.enter_tenant(g.tenant_id, g.owner_user_id);
            ELSE
                PERFORM cogdb.enter_tenant(g.tenant_id, g.owner_user_id);
            END IF;
            BEGIN
                PERFORM set_config('lock_timeout', '2s', true);
                INSERT INTO cogdb.text_index AS x (tenant_id, memory_id, owner_user_id,
                                                   visibility, language, tsv)
                SELECT m.tenant_id, m.id, m.owner_user_id, m.visibility, l.language,
                       setweight(to_tsvector(l.language, coalesce(m.summary, '')), 'A')
                       || setweight(to_tsvector(l.language, m.human_content || ' ' || m.assistant_content), 'B')
                  FROM cogdb.memories m
                 CROSS JOIN (SELECT cogdb.tenant_language(g.tenant_id) AS language) l
                 WHERE m.tenant_id = g.tenant_id AND m.id = ANY (g.ids)
                ON CONFLICT (tenant_id, memory_id) WHERE memory_id IS NOT NULL DO NOTHING;
                GET DIAGNOSTICS v_n = ROW_COUNT;
                PERFORM set_config('lock_timeout', v_lock_timeout, true);
            EXCEPTION WHEN foreign_key_violation OR lock_not_available THEN
                PERFORM set_config('lock_timeout', v_lock_timeout, true);
                CONTINUE;  -- the group stays queued; its deleted memories drop out next time
            END;
            v_total := v_total + v_n;
        END IF;
        DELETE FROM cogdb.text_queue q WHERE q.tenant_id = g.tenant_id AND q.memory_id = ANY (g.ids);
    END LOOP;
    IF v_caller IS NOT NULL THEN
        PERFORM cogdb.restore_context(v_caller);
    END IF;
    RETURN v_total;
END
$$;

REVOKE ALL ON FUNCTION cogdb.index_queued_text(uuid, integer) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.index_queued_text(uuid, integer) IS
    'Indexes the full text of memories queued by bulk inserts (cogdb.text_queue), of one tenant or all, and empties the queue; owner-only (cogdb maintain).';
-- <<< sql/functions/knowledge/index_queued_text.sql

-- >>> sql/functions/knowledge/index_pending_text.sql
-- The context tenant's queued memories indexed for hybrid search now, instead of at the next
-- `cogdb maintain` (docs/architecture.md "Deferred text indexing"): what an app or an import
-- calls after a bulk write whose text must be searchable at once. At most max_rows entries
-- (NULL: all). Returns how many memories were indexed, of every user of the tenant (private
-- ones in their owner's context); no row, id or content comes back. A definer so that the
-- app needs no privilege on the queue or the index.
CREATE OR REPLACE FUNCTION cogdb.index_pending_text(max_rows integer DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN cogdb.index_queued_text(cogdb.require_tenant('indexing queued text'),
                                   index_pending_text.max_rows);
END
$$;

REVOKE ALL ON FUNCTION cogdb.index_pending_text(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.index_pending_text(integer) TO cogdb_app;
COMMENT ON FUNCTION cogdb.index_pending_text(integer) IS
    'Indexes the full text of the context tenant''s memories queued by bulk inserts now (else cogdb maintain does); returns how many.';
-- <<< sql/functions/knowledge/index_pending_text.sql

-- >>> sql/functions/gdpr/erase_user.sql
-- Erases a user of a tenant (GDPR Art. 17) in one transaction and returns the receipt it
-- also leaves in the audit trail (cogdb.audit_note 'gdpr.erase': the user's uuid, the
-- tenant policy applied and counts per table, never content). What happens per table is in
-- docs/governance.md; in short:
--   sessions the user owns go whole, with their events (the event stream is append-only
--   and gapless per session, so it loses whole sessions, never single events); what points
--   into them from elsewhere (memories.session_id, child sessions, events' parent_event_id)
--   is cleared, and events the user appended to other sessions keep their payload but lose
--   appended_by (refuse_event_change lets exactly these changes through while this function
--   runs: setting cogdb.erase_user);
--   private memories, entities, relationships, working-context entries: deleted;
--   tenant-visible memories, entities and relationships the user authored: the tenant's
--   setting gdpr.erase_shared decides: 'anonymise' (the default) anonymises the memories
--   (cogdb.anonymise_memories) and keeps all three without an owner; 'delete' deletes them;
--   offloaded texts, the text index and the access log lose the user; identities and the
--   users row are deleted; working-context entries the user last wrote lose updated_by.
-- Afterwards cogdb.user_references counts no row outside the audit trail, or the whole
-- erasure is rolled back (XX000). A legal hold on the tenant or the user refuses it (CGF02,
-- cogdb.refuse_held_user). Erasing a user that is gone already finds nothing and is harmless
-- (found: false). Statements that visit other users' rows run in each user's context
-- (FORCE RLS fences the owner too; enter_tenant), and name the tenant as a constant
-- (docs/conventions.md rule 3). Definer for cogdb_admin; audited like every write.
CREATE OR REPLACE FUNCTION cogdb.erase_user(tenant_id text, user_id text) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_user uuid := cogdb.gdpr_user(user_id);
    v_saved text[];
    v_shared text;
    v_found boolean;
    v_sessions uuid[];
    v_shared_sessions boolean;
    v_other uuid;
    v_ids text[];
    v_n integer;
    v_left bigint;
    v_counts jsonb := '{}';
    v_receipt jsonb;
BEGIN
    v_saved := cogdb.enter_tenant(v_tenant, v_user);
    PERFORM cogdb.refuse_held_user(v_tenant, v_user, 'erase');
    SELECT coalesce(t.settings #>> '{gdpr,erase_shared}', 'anonymise') INTO v_shared
      FROM cogdb.tenants t WHERE t.id = v_tenant;
    -- the users row's lock serialises concurrent erasures of one user
    PERFORM FROM cogdb.users u WHERE u.tenant_id = v_tenant AND u.id = v_user FOR UPDATE;
    v_found := FOUND;
    -- The user's entries in the text queue lose their owner first: their rows locked before
    -- anything below writes the text index, a concurrent index_queued_text skips them
    -- instead of waiting on that index while holding them (a deadlock with this function).
    UPDATE cogdb.text_queue q SET owner_user_id = NULL
     WHERE q.tenant_id = v_tenant AND q.owner_user_id = v_user;

    -- Sessions: whole, with their events; first clear what points into them from outside.
    -- A private session is seen by the user alone, so only the user's own rows can point
    -- into it; into a tenant-visible one, any user's (private ones included, which only
    -- their owner's context sees): then every user's context is visited, and the ownerless.
    SELECT coalesce(array_agg(s.id), '{}'), coalesce(bool_or(s.visibility = 'tenant'), false)
      INTO v_sessions, v_shared_sessions
      FROM cogdb.sessions s WHERE s.tenant_id = v_tenant AND s.owner_user_id = v_user;
    PERFORM set_config('cogdb.erase_user', v_tenant::text || '/' || v_user::text, true);
    FOR v_other IN
        SELECT v_user
        UNION ALL
        SELECT NULL::uuid WHERE v_shared_sessions
        UNION ALL
        (SELECT u.id FROM cogdb.users u
          WHERE v_shared_sessions AND u.tenant_id = v_tenant AND u.id <> v_user ORDER BY u.id)
    LOOP
        EXIT WHEN cardinality(v_sessions) = 0;
        PERFORM set_config('app.user_id', coalesce(v_other::text, ''), true);
        UPDATE cogdb.memories m SET session_id = NULL
         WHERE m.tenant_id = v_tenant AND m.session_id = ANY (v_sessions)
           AND m.owner_user_id IS NOT DISTINCT FROM v_other;
        UPDATE cogdb.sessions s SET parent_session_id = NULL
         WHERE s.tenant_id = v_tenant AND s.parent_session_id = ANY (v_sessions)
           AND s.id <> ALL (v_sessions);
        UPDATE cogdb.events e SET parent_event_id = NULL
         WHERE e.tenant_id = v_tenant AND e.session_id <> ALL (v_sessions)
           AND e.parent_event_id IN (SELECT p.id FROM cogdb.events p
                                      WHERE p.tenant_id = v_tenant
                                        AND p.session_id = ANY (v_sessions));
    END LOOP;
    -- The user's name on rows that stay: every such row is one the user sees (they wrote
    -- it), so the user's own context reaches them all.
    PERFORM set_config('app.user_id', v_user::text, true);
    UPDATE cogdb.events e SET appended_by = NULL
     WHERE e.tenant_id = v_tenant AND e.appended_by = v_user
       AND e.session_id <> ALL (v_sessions);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('events.disowned', v_n);
    UPDATE cogdb.working_context w SET updated_by = NULL
     WHERE w.tenant_id = v_tenant AND w.updated_by = v_user
       AND w.owner_user_id IS DISTINCT FROM v_user;
    DELETE FROM cogdb.events e WHERE e.tenant_id = v_tenant AND e.session_id = ANY (v_sessions);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('events.deleted', v_n);
    DELETE FROM cogdb.sessions s WHERE s.tenant_id = v_tenant AND s.id = ANY (v_sessions);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('sessions.deleted', v_n);
    PERFORM set_config('cogdb.erase_user', '', true);

    -- Working context: the user's own entries (private, or shared on their sessions).
    DELETE FROM cogdb.working_context w WHERE w.tenant_id = v_tenant AND w.owner_user_id = v_user;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('working_context.deleted', v_n);

    -- Private content: deleted (relationships first: they may point at the entities).
    DELETE FROM cogdb.relationships r
     WHERE r.tenant_id = v_tenant AND r.owner_user_id = v_user
       AND (r.visibility = 'private' OR v_shared = 'delete');
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('relationships.deleted', v_n);
    DELETE FROM cogdb.entities e
     WHERE e.tenant_id = v_tenant AND e.owner_user_id = v_user
       AND (e.visibility = 'private' OR v_shared = 'delete');
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('entities.deleted', v_n);
    DELETE FROM cogdb.memories m
     WHERE m.tenant_id = v_tenant AND m.owner_user_id = v_user
       AND (m.visibility = 'private' OR v_shared = 'delete');
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('memories.deleted', v_n);

    -- Tenant-visible content under 'anonymise': the memories anonymised; all three lose
    -- their owner with the users row (foreign keys, ON DELETE SET NULL).
    SELECT array_agg(m.id) INTO v_ids
      FROM cogdb.memories m
     WHERE m.tenant_id = v_tenant AND m.owner_user_id = v_user AND m.anonymised_at IS NULL;
    v_counts := v_counts || jsonb_build_object(
        'memories.anonymised', coalesce(cogdb.anonymise_memories(v_tenant, v_ids), 0),
        'memories.disowned', (SELECT count(*) FROM cogdb.memories m
                               WHERE m.tenant_id = v_tenant AND m.owner_user_id = v_user),
        'entities.disowned', (SELECT count(*) FROM cogdb.entities e
                               WHERE e.tenant_id = v_tenant AND e.owner_user_id = v_user),
        'relationships.disowned', (SELECT count(*) FROM cogdb.relationships r
                                    WHERE r.tenant_id = v_tenant AND r.owner_user_id = v_user));
    UPDATE cogdb.offloaded_contexts o SET owner_user_id = NULL
     WHERE o.tenant_id = v_tenant AND o.owner_user_id = v_user;
    UPDATE cogdb.text_index x SET owner_user_id = NULL
     WHERE x.tenant_id = v_tenant AND x.owner_user_id = v_user;
    DELETE FROM cogdb.memory_accesses a WHERE a.tenant_id = v_tenant AND a.owner_user_id = v_user;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('memory_accesses.deleted', v_n);

    -- Who the user is: identities, then the users row.
    DELETE FROM cogdb.identities i WHERE i.tenant_id = v_tenant AND i.user_id = v_user;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('identities.deleted', v_n);
    DELETE FROM cogdb.users u WHERE u.tenant_id = v_tenant AND u.id = v_user;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('users.deleted', v_n);

    SELECT coalesce(sum(r.refs), 0) INTO v_left
      FROM cogdb.user_references(v_tenant::text, v_user::text) r WHERE NOT r.kept;
    IF v_left <> 0 THEN
        RAISE EXCEPTION 'erase of user % left % rows that name the user; nothing was erased',
                        v_user, v_left
            USING ERRCODE = 'XX000',
                  HINT = 'SELECT * FROM cogdb.user_references(tenant, user) lists them; report this.';
    END IF;
    v_receipt := jsonb_build_object('user_id', v_user, 'found', v_found,
                                    'shared_content', v_shared, 'counts', v_counts);
    PERFORM set_config('app.user_id', '', true);
    PERFORM cogdb.audit_note('gdpr.erase', v_receipt);
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_receipt || jsonb_build_object('references_left', 0);
END
$$;

REVOKE ALL ON FUNCTION cogdb.erase_user(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.erase_user(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.erase_user(text, text) IS
    'Erases a user (GDPR): their sessions, private data, identities and users row; their tenant-visible content anonymised or deleted (setting gdpr.erase_shared); returns and audits a receipt of counts.';
-- <<< sql/functions/gdpr/erase_user.sql

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
      ('text_queue', 'fence', 'owner-only: ids of memories whose full-text indexing a bulk insert deferred, emptied across tenants by index_queued_text (cogdb maintain)'),
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
