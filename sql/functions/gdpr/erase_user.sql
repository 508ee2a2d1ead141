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
