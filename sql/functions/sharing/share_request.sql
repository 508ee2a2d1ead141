-- Asks for shared rows (`on` true) or stops asking (false): sets app.include_shared to this
-- transaction's stamp, or to '' (live_grants() is NULL unless it holds the stamp), and
-- returns the source tenants of the context's live grants (none when stopping). search and
-- get ask for the statements that read shared rows and stop before they return, so a plain
-- SELECT after them sees its own tenant only; an error reverts the flag with its transaction
-- or savepoint. The flag is a request, not an authority: what it shows is what a live grant
-- covers (docs/trust-model.md).
CREATE OR REPLACE FUNCTION cogdb.share_request("on" boolean) RETURNS uuid[]
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF "on" IS NOT TRUE THEN
        PERFORM set_config('app.include_shared', '', true);
        RETURN '{}';
    END IF;
    PERFORM set_config('app.include_shared', cogdb.context_stamp(), true);
    RETURN ARRAY(SELECT k::uuid FROM jsonb_object_keys(cogdb.live_grants()) AS k ORDER BY 1);
END
$$;

REVOKE ALL ON FUNCTION cogdb.share_request(boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.share_request(boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.share_request(boolean) IS
    'Asks for shared rows (true) or stops asking (false) for the rest of the transaction; returns the source tenants of the context''s live grants.';
