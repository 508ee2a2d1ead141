-- Leaves a note in the source tenant's audit chain that the context tenant read `memories` of
-- its shared memories and `entities` of its shared entities through `via` (search, get,
-- neighbors, get_entity, list_entities, hybrid_search): counts, never ids or content
-- (audit_note). Only for a source whose live grant the context holds, else nothing (so
-- the app, which search and get run as, can add notes only to the chains of tenants that
-- share with it). Definer:
-- it enters the source tenant to write its note (enter_tenant) and puts the caller's
-- context back.
CREATE OR REPLACE FUNCTION cogdb.note_shared_read(source_tenant uuid, via text, memories integer,
                                                  entities integer DEFAULT 0)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_grantee uuid := cogdb.require_tenant('a shared read');
    v_user uuid := cogdb.current_user_id();
    v_saved text[];
BEGIN
    IF memories IS NULL OR memories < 0 OR entities IS NULL OR entities < 0
       OR memories + entities < 1 OR via IS NULL
       OR via NOT IN ('search', 'get', 'neighbors', 'get_entity', 'list_entities', 'hybrid_search')
       OR NOT EXISTS (SELECT FROM cogdb.share_receipts r
                       WHERE r.tenant_id = v_grantee AND r.source_tenant_id = source_tenant
                         AND r.revoked_at IS NULL
                         AND (r.expires_at IS NULL OR r.expires_at > clock_timestamp())) THEN
        RETURN;
    END IF;
    v_saved := cogdb.enter_tenant(source_tenant);
    PERFORM cogdb.audit_note('share.read', jsonb_build_object(
        'grantee', v_grantee, 'user', v_user, 'via', via, 'memories', memories)
        || CASE WHEN entities > 0 THEN jsonb_build_object('entities', entities)
                ELSE '{}' END);
    PERFORM cogdb.restore_context(v_saved);
END
$$;

REVOKE ALL ON FUNCTION cogdb.note_shared_read(uuid, text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.note_shared_read(uuid, text, integer, integer) TO cogdb_app;
COMMENT ON FUNCTION cogdb.note_shared_read(uuid, text, integer, integer) IS
    'Notes a shared read (grantee, user, path, counts of memories and entities; never content) in the source tenant''s audit chain.';
