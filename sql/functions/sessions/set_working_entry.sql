-- Writes a working-context entry by compare-and-set and returns its new version.
-- expected_version is the version the writer read: 0 creates the entry (refused if a live
-- one exists), n > 0 replaces version n (refused if the entry is at another version, or
-- gone). A refusal is CGC02 with the current version (raise_stale_version). Of several
-- writers naming the same version, exactly one wins: the update re-checks the version after
-- waiting for the row's lock (READ COMMITTED; under REPEATABLE READ the loser gets a
-- serialization failure instead). An expired entry counts as gone: a create replaces it and
-- continues its version numbers, so a writer still holding an old version never matches.
-- The entry lives in its namespace: session_id and/or agent (either may be NULL), tier
-- (private or shared), key. expires_at, if given, must be in the future. Definer: the app
-- only reads working_context; the owner is fenced by the same policies (FORCE RLS).
CREATE OR REPLACE FUNCTION cogdb.set_working_entry(key text, value jsonb, expected_version bigint,
                                                   session_id uuid DEFAULT NULL,
                                                   agent text DEFAULT NULL,
                                                   tier text DEFAULT 'shared',
                                                   expires_at timestamptz DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.require_tenant('writing working context');
    v_owner uuid;
    v_version bigint;
BEGIN
    IF coalesce(length(set_working_entry.key), 0) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'key must be 1-255 characters' USING ERRCODE = 'CGV01', COLUMN = 'key',
              HINT = 'e.g. plan, user.preferences, step:3';
    END IF;
    IF set_working_entry.value IS NULL OR pg_column_size(set_working_entry.value) > 262144 THEN
        RAISE EXCEPTION 'value must be JSON of at most 256 kB' USING ERRCODE = 'CGV01',
              COLUMN = 'value', HINT = 'Offload large contexts (cogdb.offload_context).';
    END IF;
    IF expected_version IS NULL OR expected_version < 0 THEN
        RAISE EXCEPTION 'expected_version must be the version the write read (0 for a new entry), got %',
                        coalesce(expected_version::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'expected_version',
                  HINT = 'Every write is a compare-and-set: read the entry, then name its version.';
    END IF;
    IF length(set_working_entry.agent) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'agent must be 1-255 characters' USING ERRCODE = 'CGV01',
              COLUMN = 'agent', HINT = 'Name the agent, or leave it out.';
    END IF;
    IF set_working_entry.expires_at <= now() THEN
        RAISE EXCEPTION 'expires_at must be in the future, got %', set_working_entry.expires_at
            USING ERRCODE = 'CGV01', COLUMN = 'expires_at',
                  HINT = 'Leave it out for an entry that never expires.';
    END IF;
    v_owner := cogdb.working_entry_owner(set_working_entry.tier, set_working_entry.session_id);

    IF expected_version = 0 THEN
        INSERT INTO cogdb.working_context AS w (tenant_id, key, session_id, agent, tier,
                                                owner_user_id, value, expires_at, updated_by)
        VALUES (v_tenant, set_working_entry.key, set_working_entry.session_id,
                set_working_entry.agent, set_working_entry.tier, v_owner,
                set_working_entry.value, set_working_entry.expires_at, cogdb.current_user_id())
        ON CONFLICT ON CONSTRAINT working_context_entry_key DO UPDATE
           SET value = excluded.value, version = w.version + 1, expires_at = excluded.expires_at,
               created_at = now(), updated_at = now(), updated_by = excluded.updated_by
         WHERE w.expires_at IS NOT NULL AND w.expires_at <= now()
        RETURNING w.version INTO v_version;
    ELSE
        UPDATE cogdb.working_context w
           SET value = set_working_entry.value, version = w.version + 1,
               expires_at = set_working_entry.expires_at, updated_at = now(),
               updated_by = cogdb.current_user_id()
         WHERE w.tenant_id = v_tenant AND w.key = set_working_entry.key
           AND w.session_id IS NOT DISTINCT FROM set_working_entry.session_id
           AND w.agent IS NOT DISTINCT FROM set_working_entry.agent
           AND w.tier = set_working_entry.tier AND w.owner_user_id IS NOT DISTINCT FROM v_owner
           AND w.version = expected_version
           AND (w.expires_at IS NULL OR w.expires_at > now())
        RETURNING w.version INTO v_version;
    END IF;
    IF v_version IS NULL THEN
        PERFORM cogdb.raise_stale_version(set_working_entry.key, set_working_entry.session_id,
                                          set_working_entry.agent, set_working_entry.tier,
                                          v_owner, expected_version);
    END IF;
    RETURN v_version;
END
$$;

REVOKE ALL ON FUNCTION cogdb.set_working_entry(text, jsonb, bigint, uuid, text, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.set_working_entry(text, jsonb, bigint, uuid, text, text, timestamptz) TO cogdb_app;
COMMENT ON FUNCTION cogdb.set_working_entry(text, jsonb, bigint, uuid, text, text, timestamptz) IS
    'Writes a working-context entry by compare-and-set (expected_version: the version read, 0 to create) and returns its new version; CGC02 with the current version when stale.';
