-- The grants the context tenant holds and may read through now, for the memories fence:
-- {"<source tenant uuid>": [{"c": [context types], "g": [tags], "i": [memory ids]}, …]}
-- (a key is left out where the grant does not narrow by it); NULL unless the transaction
-- asked for shared rows (app.include_shared holds this transaction's stamp: set by search,
-- get and neighbors for their own statements only, see share_request), or when no live
-- grant exists. Live: not revoked, not expired (read at each statement, so a revocation or
-- an expiry applies to the next one). Reads the grantee's copies (share_receipts) under its
-- own fence, as the caller. Called once per query (an InitPlan in memories__tenant_fence),
-- and only for a row of another tenant; LANGUAGE sql without a SET clause, like the other
-- policy helpers (docs/conventions.md rule 2).
CREATE OR REPLACE FUNCTION cogdb.live_grants() RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT pg_catalog.jsonb_object_agg(g.source, g.grants)
      FROM (SELECT r.source_tenant_id::text AS source,
                   pg_catalog.jsonb_agg(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                       'c', pg_catalog.to_jsonb(r.context_types), 'g', pg_catalog.to_jsonb(r.tags),
                       'i', pg_catalog.to_jsonb(r.memory_ids)))) AS grants
              FROM cogdb.share_receipts r
             WHERE pg_catalog.current_setting('app.include_shared', true) = cogdb.context_stamp()
               AND r.tenant_id = cogdb.current_tenant_id() AND r.revoked_at IS NULL
               AND (r.expires_at IS NULL OR r.expires_at > pg_catalog.now())
             GROUP BY r.source_tenant_id) g
$$;

REVOKE ALL ON FUNCTION cogdb.live_grants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.live_grants() TO cogdb_app;
COMMENT ON FUNCTION cogdb.live_grants() IS
    'The context tenant''s live read grants by source tenant, when the transaction asked for shared rows (else NULL); read once per query by memories__tenant_fence.';
