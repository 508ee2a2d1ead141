-- One bounded batch of a tenant's retention purge, in the caller's transaction: removes or
-- anonymises at most `batch` memories that are due, and returns how many it deleted and
-- anonymised, whether a hold kept anything back (held), and whether it filled the batch
-- (more: call again, in a new transaction, until it is false). Due: expired (expires_at, always
-- deleted), older than the max_age of its most specific policy, or beyond that policy's
-- max_count newest (ranked among the tenant-visible memories, and among each user's private
-- ones), and not anonymised already; the policy's action says delete or anonymise.
-- Anonymise keeps the row (cogdb.anonymise_memories says what it removes). Each batch that
-- changed something leaves a receipt in the audit trail (cogdb.audit_note
-- 'retention.purge': the counts).
-- A legal hold on the tenant stops the purge; one on a user keeps every memory they own.
-- FORCE RLS fences the owner too, and only a memory's owner may change or delete it
-- (memories__owner_updates/_deletes): the batch visits the ownerless memories, then each
-- user's, in their context (enter_tenant). Rows are picked by primary key and changed by id,
-- so a batch holds row locks only, for one short transaction. Names the tenant in every
-- statement (docs/conventions.md rule 3). Definer for cogdb_admin and `cogdb maintain`.
CREATE OR REPLACE FUNCTION cogdb.purge_retention(tenant_id text, batch integer DEFAULT 1000)
    RETURNS TABLE (deleted integer, anonymised integer, held boolean, more boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_saved text[];
    v_held uuid[];
    v_owner uuid;
    v_left integer := batch;
    v_delete text[];
    v_anonymise text[];
    v_n integer;
BEGIN
    IF batch IS NULL OR batch NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'batch must be between 1 and 100000, got %', coalesce(batch::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'batch',
                  HINT = 'How many memories one transaction may change; 1000 is a good start.';
    END IF;
    deleted := 0;
    anonymised := 0;
    more := false;
    v_saved := cogdb.enter_tenant(v_tenant);
    IF EXISTS (SELECT FROM cogdb.retention_holds h
                WHERE h.tenant_id = v_tenant AND h.user_id IS NULL) THEN
        held := true;
        PERFORM cogdb.restore_context(v_saved);
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT coalesce(array_agg(h.user_id), '{}') INTO v_held
      FROM cogdb.retention_holds h WHERE h.tenant_id = v_tenant AND h.user_id IS NOT NULL;
    held := cardinality(v_held) > 0;
    FOR v_owner IN
        SELECT NULL::uuid
        UNION ALL
        (SELECT u.id FROM cogdb.users u
          WHERE u.tenant_id = v_tenant AND u.id <> ALL (v_held) ORDER BY u.id)
    LOOP
        EXIT WHEN v_left <= 0;
        PERFORM set_config('app.user_id', coalesce(v_owner::text, ''), true);
        WITH governed AS (
            SELECT m.id, m.owner_user_id, m.created_at, m.expires_at, m.anonymised_at,
                   p.max_age, p.max_count, p.action,
                   row_number() OVER (PARTITION BY p.context_type, p.source, m.visibility
                                      ORDER BY m.created_at DESC, m.id DESC) AS newest
              FROM cogdb.memories m
              LEFT JOIN LATERAL (
                  SELECT q.context_type, q.source, q.max_age, q.max_count, q.action
                    FROM cogdb.retention_policies q
                   WHERE q.tenant_id = v_tenant
                     AND q.context_type IN (m.context_type, '*') AND q.source IN (m.source, '*')
                   ORDER BY q.context_type = '*', q.source = '*'
                   LIMIT 1) p ON true
             WHERE m.tenant_id = v_tenant
        ), due AS (
            SELECT g.id, coalesce(g.expires_at <= now() OR g.action = 'delete', false) AS remove
              FROM governed g
             WHERE g.owner_user_id IS NOT DISTINCT FROM v_owner
               AND (g.expires_at <= now()
                    OR (g.anonymised_at IS NULL
                        AND (g.created_at <= now() - g.max_age OR g.newest > g.max_count)))
             ORDER BY g.id
             LIMIT v_left
        )
        SELECT array_agg(d.id) FILTER (WHERE d.remove),
               array_agg(d.id) FILTER (WHERE NOT d.remove)
          INTO v_delete, v_anonymise
          FROM due d;
        IF v_delete IS NOT NULL THEN
            DELETE FROM cogdb.memories m WHERE m.tenant_id = v_tenant AND m.id = ANY (v_delete);
            GET DIAGNOSTICS v_n = ROW_COUNT;
            deleted := deleted + v_n;
            v_left := v_left - cardinality(v_delete);
        END IF;
        IF v_anonymise IS NOT NULL THEN
            v_n := cogdb.anonymise_memories(v_tenant, v_anonymise);
            anonymised := anonymised + v_n;
            v_left := v_left - cardinality(v_anonymise);
        END IF;
    END LOOP;
    more := v_left <= 0;
    -- The batch's receipt in the audit trail (counts, no content; the row records name the
    -- memories): only for a batch that changed something, so a scheduled purge with nothing
    -- due leaves no trace.
    IF deleted + anonymised > 0 THEN
        PERFORM set_config('app.user_id', '', true);
        PERFORM cogdb.audit_note('retention.purge', jsonb_build_object(
            'deleted', deleted, 'anonymised', anonymised, 'held', held, 'more', more,
            'batch', batch));
    END IF;
    PERFORM cogdb.restore_context(v_saved);
    RETURN NEXT;
END
$$;

REVOKE ALL ON FUNCTION cogdb.purge_retention(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.purge_retention(text, integer) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.purge_retention(text, integer) IS
    'One bounded batch of a tenant''s retention purge: deletes or anonymises at most batch due memories (expired, over-age, over-count), skipping what legal holds keep; more = call again.';
