-- cogdb revision 0025 (text_queue): downgrade, written by `python -m tools.freeze 0025` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

REVOKE ALL ON FUNCTION cogdb.policy_report_allowlist() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.policy_report_allowlist() IS NULL;
-- sql/functions/governance/policy_report_allowlist.sql as frozen in revision 0019
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

REVOKE ALL ON FUNCTION cogdb.erase_user(text, text) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.erase_user(text, text) IS NULL;
-- sql/functions/gdpr/erase_user.sql as frozen in revision 0017
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

-- sql/functions/knowledge/index_pending_text.sql: new in this revision
DROP FUNCTION cogdb.index_pending_text(integer);

-- sql/functions/knowledge/index_queued_text.sql: new in this revision
DROP FUNCTION cogdb.index_queued_text(uuid, integer);

REVOKE ALL ON FUNCTION cogdb.index_text() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.index_text() IS NULL;
-- sql/functions/knowledge/index_text.sql as frozen in revision 0008
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

-- sql/policies/text_queue__registry_owner.sql: new in this revision
DROP POLICY text_queue__registry_owner ON cogdb.text_queue;

-- sql/tables/text_queue.sql: new in this revision
DROP TABLE cogdb.text_queue;

-- >>> step 10_settings.down.sql
DELETE FROM cogdb.settings WHERE key = 'text.defer_min_rows';
-- <<< step 10_settings.down.sql

RESET ROLE;
