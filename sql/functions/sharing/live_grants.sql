-- The grants the context tenant holds and may read through now, for the memories and
-- entities fences, by source tenant: {"<source uuid>": {"g": [{"c": [context types], "g":
-- [tags], "i": [memory ids]}, …], "e": [{"t": [entity types], "i": [entity ids]}, …], "h":
-- <epoch seconds>}} ("g": the grants that name memory criteria, "e": those that name entity
-- criteria, each always an array, possibly empty, so that a grant naming entities only never
-- matches a memory and the other way round; a grant leaves out a criterion it does not
-- narrow by; "h" is the source's retention_horizon(), the youngest of its age cutoffs, -1e15
-- without one). NULL unless the transaction asked for shared rows (app.include_shared holds
-- this transaction's stamp: set by search, get, get_entity, list_entities and hybrid_search
-- for their own statements, see share_request) or when no live grant exists. Live: not
-- revoked, not expired (read at each statement, so a revocation or an expiry applies to the
-- next one; expiry against clock_timestamp(), not now(), which is the transaction's start and
-- would keep an expired grant live for as long as a transaction begun before it stays open;
-- a revocation is seen by a READ COMMITTED statement, see docs/trust-model.md). "h" goes with the grants so that grant_covers hides what the source's retention
-- hides (memories__retained computes the context tenant's cutoffs only): conservatively,
-- every shared memory older than the source's shortest max_age (unless anonymised), even
-- where a more specific policy of the source keeps it longer. Definer: FORCE RLS fences the
-- owner too, so it reads the grantee's copies in the caller's context and each source's
-- policies inside the source (enter_tenant), then puts the context back. Called once per
-- query (an InitPlan in memories__tenant_fence and entities__tenant_fence), and only for a
-- row of another tenant.
CREATE OR REPLACE FUNCTION cogdb.live_grants() RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_out jsonb := '{}';
    v_saved text[];
    r record;
BEGIN
    IF v_tenant IS NULL
       OR current_setting('app.include_shared', true) IS DISTINCT FROM cogdb.context_stamp() THEN
        RETURN NULL;
    END IF;
    FOR r IN
        SELECT s.source_tenant_id AS source,
               coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                   'c', to_jsonb(s.context_types), 'g', to_jsonb(s.tags),
                   'i', to_jsonb(s.memory_ids))))
                   FILTER (WHERE s.context_types IS NOT NULL OR s.tags IS NOT NULL
                              OR s.memory_ids IS NOT NULL), '[]') AS grants,
               coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                   't', to_jsonb(s.entity_types), 'i', to_jsonb(s.entity_ids))))
                   FILTER (WHERE s.entity_types IS NOT NULL OR s.entity_ids IS NOT NULL),
                   '[]') AS entity_grants
          FROM cogdb.share_receipts s
         WHERE s.tenant_id = v_tenant AND s.revoked_at IS NULL
           AND (s.expires_at IS NULL OR s.expires_at > clock_timestamp())
         GROUP BY s.source_tenant_id
    LOOP
        v_saved := cogdb.enter_tenant(r.source);
        v_out := v_out || jsonb_build_object(r.source::text, jsonb_build_object(
            'g', r.grants, 'e', r.entity_grants,
            'h', greatest(extract(epoch FROM cogdb.retention_horizon()), -1e15)));
        PERFORM cogdb.restore_context(v_saved);
    END LOOP;
    RETURN nullif(v_out, '{}');
END
$$;

REVOKE ALL ON FUNCTION cogdb.live_grants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.live_grants() TO cogdb_app;
COMMENT ON FUNCTION cogdb.live_grants() IS
    'The context tenant''s live read grants by source tenant (memory and entity criteria apart), with each source''s retention horizon, when the transaction asked for shared rows (else NULL); read once per query by the memories and entities fences.';
