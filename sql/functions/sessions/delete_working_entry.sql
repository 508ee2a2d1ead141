-- Deletes a working-context entry by compare-and-set: expected_version is the version the
-- caller read; true once deleted. A stale version, or an entry that is gone or expired, is
-- refused with CGC02 and the current version (0: none). Definer, like set_working_entry.
CREATE OR REPLACE FUNCTION cogdb.delete_working_entry(key text, expected_version bigint,
                                                      session_id uuid DEFAULT NULL,
                                                      agent text DEFAULT NULL,
                                                      tier text DEFAULT 'shared')
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.require_tenant('deleting working context');
    v_owner uuid;
BEGIN
    IF expected_version IS NULL OR expected_version < 1 THEN
        RAISE EXCEPTION 'expected_version must be the version the caller read, got %',
                        coalesce(expected_version::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'expected_version',
                  HINT = 'Read the entry, then name its version.';
    END IF;
    v_owner := cogdb.working_entry_owner(delete_working_entry.tier, delete_working_entry.session_id);
    DELETE FROM cogdb.working_context w
     WHERE w.tenant_id = v_tenant AND w.key = delete_working_entry.key
       AND w.session_id IS NOT DISTINCT FROM delete_working_entry.session_id
       AND w.agent IS NOT DISTINCT FROM delete_working_entry.agent
       AND w.tier = delete_working_entry.tier AND w.owner_user_id IS NOT DISTINCT FROM v_owner
       AND w.version = expected_version AND (w.expires_at IS NULL OR w.expires_at > now());
    IF NOT FOUND THEN
        PERFORM cogdb.raise_stale_version(delete_working_entry.key, delete_working_entry.session_id,
                                          delete_working_entry.agent, delete_working_entry.tier,
                                          v_owner, expected_version);
    END IF;
    RETURN true;
END
$$;

REVOKE ALL ON FUNCTION cogdb.delete_working_entry(text, bigint, uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.delete_working_entry(text, bigint, uuid, text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.delete_working_entry(text, bigint, uuid, text, text) IS
    'Deletes a working-context entry by compare-and-set (expected_version: the version read); CGC02 with the current version when stale.';
