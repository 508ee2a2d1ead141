-- Everything cogdb holds about a user of a tenant (GDPR Art. 15 and 20), as one JSON
-- document a person can read: the users row and identities; memories they own (private or
-- tenant-visible; without the embedding, which is derived from the text); their entities
-- with the observations of those entities, and relationships they own; sessions they own
-- with all their events, and events they appended to other sessions; working-context
-- entries they own or last wrote; offloaded texts of their memories; their memory accesses;
-- legal holds on them; and the audit records about them (their context user, or their
-- users/identities rows, or notes naming them), without hashes. "manifest" counts the rows
-- per section. The export itself leaves a note in the audit trail ('gdpr.export', the
-- manifest). Reads in the user's own context (enter_tenant): every row that names the user
-- is one they can see (cogdb.user_references). Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.export_user(tenant_id text, user_id text) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_user uuid := cogdb.gdpr_user(user_id);
    v_key text := v_user::text;
    v_saved text[];
    v_sessions uuid[];
    v_data jsonb;
    v_manifest jsonb;
BEGIN
    v_saved := cogdb.enter_tenant(v_tenant, v_user);
    SELECT coalesce(array_agg(s.id), '{}') INTO v_sessions
      FROM cogdb.sessions s WHERE s.tenant_id = v_tenant AND s.owner_user_id = v_user;
    v_data := jsonb_build_object(
        'users', (SELECT coalesce(jsonb_agg(to_jsonb(u) ORDER BY u.id), '[]')
                    FROM cogdb.users u WHERE u.tenant_id = v_tenant AND u.id = v_user),
        'identities', (SELECT coalesce(jsonb_agg(to_jsonb(i) ORDER BY i.auth_provider, i.external_id), '[]')
                         FROM cogdb.identities i WHERE i.tenant_id = v_tenant AND i.user_id = v_user),
        'memories', (SELECT coalesce(jsonb_agg(to_jsonb(m) - 'embedding' ORDER BY m.created_at, m.id), '[]')
                       FROM cogdb.memories m WHERE m.tenant_id = v_tenant AND m.owner_user_id = v_user),
        'offloaded_contexts', (SELECT coalesce(jsonb_agg(to_jsonb(o) ORDER BY o.memory_id), '[]')
                                 FROM cogdb.offloaded_contexts o
                                WHERE o.tenant_id = v_tenant AND o.owner_user_id = v_user),
        'entities', (SELECT coalesce(jsonb_agg(to_jsonb(e) - 'embedding' ORDER BY e.id), '[]')
                       FROM cogdb.entities e WHERE e.tenant_id = v_tenant AND e.owner_user_id = v_user),
        'entity_observations', (SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.entity_id, x.created_at), '[]')
                                  FROM cogdb.entity_observations x
                                  JOIN cogdb.entities e ON e.tenant_id = x.tenant_id AND e.id = x.entity_id
                                 WHERE x.tenant_id = v_tenant AND e.tenant_id = v_tenant
                                   AND e.owner_user_id = v_user),
        'relationships', (SELECT coalesce(jsonb_agg(to_jsonb(r) ORDER BY r.recorded_at, r.id), '[]')
                            FROM cogdb.relationships r
                           WHERE r.tenant_id = v_tenant AND r.owner_user_id = v_user),
        'sessions', (SELECT coalesce(jsonb_agg(to_jsonb(s) ORDER BY s.started_at, s.id), '[]')
                       FROM cogdb.sessions s WHERE s.tenant_id = v_tenant AND s.id = ANY (v_sessions)),
        'events', (SELECT coalesce(jsonb_agg(to_jsonb(e) ORDER BY e.session_id, e.seq), '[]')
                     FROM cogdb.events e
                    WHERE e.tenant_id = v_tenant
                      AND (e.session_id = ANY (v_sessions) OR e.appended_by = v_user)),
        'working_context', (SELECT coalesce(jsonb_agg(to_jsonb(w) ORDER BY w.created_at, w.id), '[]')
                              FROM cogdb.working_context w
                             WHERE w.tenant_id = v_tenant
                               AND (w.owner_user_id = v_user OR w.updated_by = v_user)),
        'memory_accesses', (SELECT coalesce(jsonb_agg(to_jsonb(a) - 'tenant_id' ORDER BY a.accessed_at), '[]')
                              FROM cogdb.memory_accesses a
                             WHERE a.tenant_id = v_tenant AND a.owner_user_id = v_user),
        'retention_holds', (SELECT coalesce(jsonb_agg(to_jsonb(h) ORDER BY h.placed_at), '[]')
                              FROM cogdb.retention_holds h
                             WHERE h.tenant_id = v_tenant AND h.user_id = v_user),
        'audit_records', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                    'seq', a.seq, 'recorded_at', a.recorded_at, 'login', a.login,
                                    'context_user', a.context_user, 'operation', a.operation,
                                    'table_name', a.table_name, 'action', a.action,
                                    'row_count', a.row_count, 'row_keys', a.row_keys,
                                    'changed_columns', a.changed_columns, 'details', a.details)
                                  ORDER BY a.seq), '[]')
                            FROM cogdb.audit_records a
                           WHERE a.tenant_id = v_tenant
                             AND (a.context_user = v_user
                                  OR a.details ->> 'user_id' = v_key
                                  OR (a.table_name IN ('users', 'identities', 'retention_holds')
                                      AND EXISTS (SELECT FROM unnest(a.row_keys) k
                                                   WHERE k = v_key OR k LIKE v_key || '/%')))));
    SELECT jsonb_object_agg(k, jsonb_array_length(v_data -> k) ORDER BY k) INTO v_manifest
      FROM jsonb_object_keys(v_data) k;
    PERFORM set_config('app.user_id', '', true);
    PERFORM cogdb.audit_note('gdpr.export', jsonb_build_object('user_id', v_user,
                                                               'manifest', v_manifest));
    PERFORM cogdb.restore_context(v_saved);
    RETURN jsonb_build_object('format', 'cogdb.user_export.v1', 'tenant_id', v_tenant,
                              'user_id', v_user, 'exported_at', now(),
                              'manifest', v_manifest) || v_data;
END
$$;

REVOKE ALL ON FUNCTION cogdb.export_user(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.export_user(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.export_user(text, text) IS
    'Everything cogdb holds about a user (memories, knowledge, sessions, events, working context, identities, audit records about them) as readable JSON with a manifest of counts; audited.';
