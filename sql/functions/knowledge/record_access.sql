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
    -- memories is read under its policies in the caller's context: only visible ids count,
    -- of the context's own tenant (a shared row is another tenant's: a grantee never writes
    -- into its source's log) and not expired (memories__retained binds the app, not this
    -- definer).
    INSERT INTO cogdb.memory_accesses (tenant_id, memory_id, owner_user_id)
    SELECT m.tenant_id, m.id, m.owner_user_id FROM cogdb.memories m
     WHERE m.tenant_id = cogdb.current_tenant_id() AND m.id = ANY (ids)
       AND (m.expires_at IS NULL OR m.expires_at > now());
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

REVOKE ALL ON FUNCTION cogdb.record_access(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.record_access(text[]) TO cogdb_app;
COMMENT ON FUNCTION cogdb.record_access(text[]) IS
    'Records accesses of the visible memories among ids in an append-only log that cogdb maintain folds into access_count and last_accessed.';
