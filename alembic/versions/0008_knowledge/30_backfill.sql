-- Memories written before this revision enter the text index and the tenant statistics.
-- FORCE RLS fences the owner too, so each tenant is read in its own context: without a user
-- for the shared memories, then as each user for that user's private ones.
DO $$
DECLARE
    v_caller text[];
    t uuid;
    u uuid;
BEGIN
    FOR t IN SELECT id FROM cogdb.tenants ORDER BY id LOOP
        -- The tenant's context first: its users are fenced too.
        IF v_caller IS NULL THEN
            v_caller := cogdb.enter_tenant(t, NULL);
        ELSE
            PERFORM cogdb.enter_tenant(t, NULL);
        END IF;
        FOR u IN SELECT NULL::uuid UNION ALL (SELECT id FROM cogdb.users WHERE tenant_id = t) LOOP
            PERFORM cogdb.enter_tenant(t, u);
            INSERT INTO cogdb.text_index (tenant_id, memory_id, owner_user_id, visibility,
                                          language, tsv)
            SELECT m.tenant_id, m.id, m.owner_user_id, m.visibility, cogdb.tenant_language(t),
                   setweight(to_tsvector(cogdb.tenant_language(t), coalesce(m.summary, '')), 'A')
                   || setweight(to_tsvector(cogdb.tenant_language(t),
                                            m.human_content || ' ' || m.assistant_content), 'B')
              FROM cogdb.memories m
             WHERE CASE WHEN u IS NULL THEN m.visibility = 'tenant'
                        ELSE m.visibility = 'private' AND m.owner_user_id = u END;
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT m.tenant_id, x.metric, count(*), sum(x.bytes)
              FROM cogdb.memories m
             CROSS JOIN LATERAL (VALUES ('memories', pg_column_size(m.*)::bigint + 28),
                                        ('memories.context_type.' || m.context_type, 0),
                                        ('memories.source.' || m.source, 0),
                                        ('memories.visibility.' || m.visibility, 0)) AS x(metric, bytes)
             WHERE CASE WHEN u IS NULL THEN m.visibility = 'tenant'
                        ELSE m.visibility = 'private' AND m.owner_user_id = u END
             GROUP BY 1, 2;
        END LOOP;
    END LOOP;
    IF v_caller IS NOT NULL THEN
        PERFORM cogdb.restore_context(v_caller);
    END IF;
END $$;
