-- Raises CGC02 for a compare-and-set of a working-context entry that named a stale version,
-- with the entry's current version (0: it does not exist or has expired) in the message,
-- the HINT and the DETAIL (JSON {"current_version": n}, which the Python client reads).
-- Reads the entry afresh (a new statement: a concurrent winner's commit is visible).
CREATE OR REPLACE FUNCTION cogdb.raise_stale_version(key text, session_id uuid, agent text,
                                                     tier text, owner_user_id uuid,
                                                     expected_version bigint)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_current bigint;
BEGIN
    SELECT w.version INTO v_current FROM cogdb.working_context w
     WHERE w.tenant_id = cogdb.current_tenant_id() AND w.key = key
       AND w.session_id IS NOT DISTINCT FROM session_id AND w.agent IS NOT DISTINCT FROM agent
       AND w.tier = tier AND w.owner_user_id IS NOT DISTINCT FROM owner_user_id
       AND (w.expires_at IS NULL OR w.expires_at > now());
    v_current := coalesce(v_current, 0);
    RAISE EXCEPTION 'stale version: working context entry % is at version %, the write named %',
                    quote_literal(key), v_current, expected_version
        USING ERRCODE = 'CGC02', COLUMN = 'expected_version',
              DETAIL = jsonb_build_object('current_version', v_current)::text,
              HINT = format('Read it again and retry with expected_version => %s (0 creates an '
                            'entry that does not exist).', v_current);
END
$$;

REVOKE ALL ON FUNCTION cogdb.raise_stale_version(text, uuid, text, text, uuid, bigint) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.raise_stale_version(text, uuid, text, text, uuid, bigint) IS
    'Raises CGC02 for a stale compare-and-set of a working-context entry, with its current version (0: none).';
