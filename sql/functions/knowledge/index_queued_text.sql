-- Indexes the text of queued memories (cogdb.text_queue; docs/architecture.md "Deferred text
-- indexing") and removes them from the queue: of one tenant, or of every tenant (NULL, as
-- `cogdb maintain` calls it), the oldest first, at most max_rows entries (NULL: all). Each
-- group of entries is read in its tenant's context as the memory's owner (private memories
-- are visible to their owner only, and the policies bind this definer as they bind the app),
-- so the index gets exactly what the writer's own statement would have written; an entry
-- whose memory is gone (deleted, purged, or its tenant removed) is dropped. Entries another
-- call is indexing right now are skipped (SKIP LOCKED), so concurrent calls share the work.
--
-- Against concurrent writers:
-- - A memory that already has its index row keeps it (ON CONFLICT DO NOTHING): that row was
--   written by an UPDATE of the memory (index_text indexes updates in their statement), which
--   is as new as what this call read, or newer. Overwriting it could put back text that an
--   update or an anonymisation replaced while this call waited for it.
-- - Each group is its own subtransaction, waiting at most 2 s for a lock: a
--   memory whose deletion is in flight (the index row's foreign key waits for it) leaves its
--   group in the queue for the next call instead of failing or stalling every tenant's. So
--   does a deadlock (revision 0041): a writer that deletes a queued memory and stores it
--   again in bulk waits for this call's lock on its queue entry while this call waits for
--   the deletion; the detector aborts this call's wait, and the writer goes on.
-- Each queued id is one probe of the memories' primary key (a LATERAL with ORDER BY its
-- columns + LIMIT 1 keeps the planner on it): as `m.id = ANY (ids)`, with no statistics on
-- tenant_id, the planner read the whole tenant for a group of ~1,000 ids or more and
-- filtered them, so a large import's indexing read the tenant once per 10,000 memories.
-- Every statement here reads by a key (the queue in its order, each memory by its primary
-- key, the picked entries by their row addresses), so the function plans with sequential
-- scans and sorts disabled (the groups' own ORDER BY still sorts: nothing else gives it).
-- The queue fills between two ANALYZEs (an import queues 1M entries in minutes): with the
-- statistics of an empty queue the planner sorted the tenant's whole queue for the oldest
-- entries (0.5 s a call at 1M, spilling 78 MB), and on a small queue it would rightly scan
-- it whole, but a call per 10,000 entries that scans a queue of 1M does so 100 times while
-- draining it (with random_page_cost 4 the planner prefers that scan even then).
-- Returns how many memories were indexed. Owner-only: the app empties its own tenant's queue
-- through index_pending_text.
CREATE OR REPLACE FUNCTION cogdb.index_queued_text(tenant_id uuid DEFAULT NULL,
                                                   max_rows integer DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET enable_seqscan = off
    SET enable_sort = off
AS $$
#variable_conflict use_column
DECLARE
    v_caller text[];
    v_lock_timeout text := current_setting('lock_timeout');
    v_total bigint := 0;
    v_n bigint;
    g record;
BEGIN
    IF max_rows IS NOT NULL AND max_rows < 1 THEN
        RAISE EXCEPTION 'max_rows must be at least 1, got %', max_rows
            USING ERRCODE = 'CGV01', COLUMN = 'max_rows',
                  HINT = 'Leave it out to index everything queued.';
    END IF;
    -- The oldest entries, read in the order of text_queue_tenant_queued_idx (one tenant) or
    -- text_queue_queued_idx (all): planned for this call's tenant, so the tenant's condition
    -- is the index's, not a filter of the whole queue.
    FOR g IN EXECUTE format($q$
        WITH picked AS (
            SELECT q.tenant_id, q.memory_id, q.owner_user_id, q.ctid
              FROM cogdb.text_queue q
             %s
             ORDER BY q.queued_at
             LIMIT $2
               FOR UPDATE SKIP LOCKED)
        SELECT p.tenant_id, p.owner_user_id, array_agg(p.memory_id) AS ids,
               array_agg(p.ctid) AS entries,
               EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = p.tenant_id) AS known
          FROM picked p
         GROUP BY p.tenant_id, p.owner_user_id
         ORDER BY p.tenant_id, p.owner_user_id
        $q$, CASE WHEN index_queued_text.tenant_id IS NULL THEN ''
                  ELSE 'WHERE q.tenant_id = $1' END)
        USING index_queued_text.tenant_id, max_rows
    LOOP
        IF g.known THEN
            IF v_caller IS NULL THEN
                v_caller := cogdb.enter_tenant(g.tenant_id, g.owner_user_id);
            ELSE
                PERFORM cogdb.enter_tenant(g.tenant_id, g.owner_user_id);
            END IF;
            BEGIN
                PERFORM set_config('lock_timeout', '2s', true);
                INSERT INTO cogdb.text_index AS x (tenant_id, memory_id, owner_user_id,
                                                   visibility, language, tsv)
                SELECT m.tenant_id, m.id, m.owner_user_id, m.visibility, l.language,
                       setweight(to_tsvector(l.language, coalesce(m.summary, '')), 'A')
                       || setweight(to_tsvector(l.language, m.human_content || ' ' || m.assistant_content), 'B')
                  FROM unnest(g.ids) q (id)
                 CROSS JOIN (SELECT cogdb.tenant_language(g.tenant_id) AS language) l
                 CROSS JOIN LATERAL (
                       SELECT m.* FROM cogdb.memories m
                        WHERE m.tenant_id = g.tenant_id AND m.id = q.id
                        ORDER BY m.tenant_id, m.id LIMIT 1) m
                ON CONFLICT (tenant_id, memory_id) WHERE memory_id IS NOT NULL DO NOTHING;
                GET DIAGNOSTICS v_n = ROW_COUNT;
                PERFORM set_config('lock_timeout', v_lock_timeout, true);
            EXCEPTION WHEN foreign_key_violation OR lock_not_available OR deadlock_detected THEN
                PERFORM set_config('lock_timeout', v_lock_timeout, true);
                CONTINUE;  -- the group stays queued; its deleted memories drop out next time
            END;
            v_total := v_total + v_n;
        END IF;
        -- The group's entries by their row addresses: this transaction holds their locks, so
        -- they are the rows it picked (a key condition with ~10,000 ids was planned as a scan
        -- of the whole queue: no statistics on memory_id). text_queue is one table: were it
        -- partitioned, an address would name a row in each partition (add the tenant then).
        DELETE FROM cogdb.text_queue q WHERE q.ctid = ANY (g.entries);
    END LOOP;
    IF v_caller IS NOT NULL THEN
        PERFORM cogdb.restore_context(v_caller);
    END IF;
    RETURN v_total;
END
$$;

REVOKE ALL ON FUNCTION cogdb.index_queued_text(uuid, integer) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.index_queued_text(uuid, integer) IS
    'Indexes the full text of memories queued by bulk inserts (cogdb.text_queue), of one tenant or all, and empties the queue; owner-only (cogdb maintain).';
