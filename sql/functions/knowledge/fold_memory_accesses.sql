-- Folds the access log into memories: access_count grows by the accesses logged and
-- last_accessed becomes the latest of them (and tenant_stats counts them); returns how many
-- log rows it folded. Rows logged
-- meanwhile are not in this statement's snapshot and stay for the next run. Each memory is
-- updated in the context of its tenant and owner (enter_tenant; FORCE RLS fences the owner,
-- and only a memory's owner may change it), then the caller's context is put back. Memories
-- deleted since are skipped. Run by `cogdb maintain` as the owner.
CREATE OR REPLACE FUNCTION cogdb.fold_memory_accesses() RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller text[];
    v_groups jsonb;
    v_total bigint;
    g record;
BEGIN
    WITH removed AS (
        DELETE FROM cogdb.memory_accesses a
        RETURNING a.tenant_id, a.memory_id, a.owner_user_id, a.accessed_at
    ), per_memory AS (
        SELECT r.tenant_id, r.owner_user_id, r.memory_id, count(*) AS n,
               max(r.accessed_at) AS last_at
          FROM removed r GROUP BY 1, 2, 3
    ), counted AS (  -- for stats(): accesses folded, and when the last one was
        INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, changed_at)
        SELECT p.tenant_id, 'memories.accesses', sum(p.n), max(p.last_at)
          FROM per_memory p
         WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = p.tenant_id)
         GROUP BY 1
    )
    SELECT coalesce(sum(p.n), 0),
           jsonb_agg(jsonb_build_object('tenant_id', p.tenant_id, 'owner_user_id', p.owner_user_id,
                                        'memory_id', p.memory_id, 'n', p.n, 'last_at', p.last_at)
                     ORDER BY p.tenant_id, p.owner_user_id)
      INTO v_total, v_groups
      FROM per_memory p
     WHERE EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = p.tenant_id);
    IF v_groups IS NULL THEN
        RETURN v_total;
    END IF;
    FOR g IN SELECT x.tenant_id, x.owner_user_id, array_agg(x.memory_id) AS ids,
                    array_agg(x.n) AS counts, array_agg(x.last_at) AS lasts
               FROM jsonb_to_recordset(v_groups)
                    AS x(tenant_id uuid, owner_user_id uuid, memory_id text, n bigint,
                         last_at timestamptz)
              GROUP BY 1, 2
    LOOP
        IF v_caller IS NULL THEN
            v_caller := cogdb.enter_tenant(g.tenant_id, g.owner_user_id);
        ELSE
            PERFORM cogdb.enter_tenant(g.tenant_id, g.owner_user_id);
        END IF;
        UPDATE cogdb.memories m
           SET access_count = m.access_count + u.n,
               last_accessed = greatest(m.last_accessed, u.last_at)
          FROM unnest(g.ids, g.counts, g.lasts) AS u(id, n, last_at)
         WHERE m.id = u.id;
    END LOOP;
    PERFORM cogdb.restore_context(v_caller);
    RETURN v_total;
END
$$;

REVOKE ALL ON FUNCTION cogdb.fold_memory_accesses() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.fold_memory_accesses() IS
    'Folds the access log into memories.access_count and last_accessed (cogdb maintain, as the owner).';
