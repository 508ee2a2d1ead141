-- Indexes again every memory and entity of one tenant in its current search.language (after
-- set_tenant_setting changed it) and returns how many index rows it wrote. FORCE RLS fences
-- the owner too, so it takes the tenant's context without a user for the shared rows and each
-- user's context for that user's private rows (enter_tenant), then restores the caller's.
-- Owner-only: set_tenant_setting (definer) calls it.
CREATE OR REPLACE FUNCTION cogdb.reindex_text(tenant_id uuid) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_caller text[] := cogdb.enter_tenant(tenant_id, NULL);
    v_language regconfig := cogdb.tenant_language(tenant_id);
    v_user uuid;
    v_total bigint := 0;
    v_n bigint;
BEGIN
    FOR v_user IN SELECT NULL::uuid UNION ALL (SELECT u.id FROM cogdb.users u ORDER BY u.id) LOOP
        PERFORM cogdb.enter_tenant(tenant_id, v_user);
        UPDATE cogdb.text_index x
           SET language = v_language,
               tsv = setweight(to_tsvector(v_language, coalesce(m.summary, '')), 'A')
                     || setweight(to_tsvector(v_language, m.human_content || ' ' || m.assistant_content), 'B')
          FROM cogdb.memories m
         WHERE x.tenant_id = reindex_text.tenant_id AND m.tenant_id = reindex_text.tenant_id
           AND x.memory_id = m.id
           AND (CASE WHEN v_user IS NULL THEN m.visibility = 'tenant'
                     ELSE m.visibility = 'private' AND m.owner_user_id = v_user END);
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_total := v_total + v_n;
        UPDATE cogdb.text_index x
           SET language = v_language,
               tsv = setweight(to_tsvector(v_language, e.name), 'A')
                     || setweight(to_tsvector(v_language, coalesce(
                            (SELECT string_agg(o.observation, E'\n' ORDER BY o.created_at, o.observation)
                               FROM cogdb.entity_observations o
                              WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id), '')), 'B')
                     || setweight(to_tsvector(v_language, e.entity_type), 'C')
          FROM cogdb.entities e
         WHERE x.tenant_id = reindex_text.tenant_id AND e.tenant_id = reindex_text.tenant_id
           AND x.entity_id = e.id
           AND (CASE WHEN v_user IS NULL THEN e.visibility = 'tenant'
                     ELSE e.visibility = 'private' AND e.owner_user_id = v_user END);
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_total := v_total + v_n;
    END LOOP;
    PERFORM cogdb.restore_context(v_caller);
    RETURN v_total;
END
$$;

REVOKE ALL ON FUNCTION cogdb.reindex_text(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.reindex_text(uuid) IS
    'Indexes every memory and entity of a tenant again in its current search.language; owner-only (set_tenant_setting calls it).';
