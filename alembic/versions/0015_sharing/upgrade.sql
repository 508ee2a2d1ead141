-- cogdb revision 0015 (sharing): written by `python -m tools.freeze 0015` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> sql/functions/internal/known_tenant.sql
-- The tenant an admin's definer function acts on: tenant_id parsed (CGV01 naming the field)
-- and registered, else CGN01 with where to look. One rule for retention's admin functions;
-- runs with its caller's rights (they are definer functions of the owner, who reads every
-- tenant's row of cogdb.tenants).
CREATE OR REPLACE FUNCTION cogdb.known_tenant(tenant_id text) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    RETURN v_tenant;
END
$$;

REVOKE ALL ON FUNCTION cogdb.known_tenant(text) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.known_tenant(text) IS
    'The registered tenant an admin function acts on, or CGV01/CGN01 naming tenant_id.';
-- <<< sql/functions/internal/known_tenant.sql

-- >>> sql/functions/retention/set_retention_policy.sql
-- Sets (creates or replaces) a tenant's retention policy for a context type and source ('*'
-- for any) and returns the tenant's policies and holds (list_retention). max_age (> 0) and
-- max_count (>= 1) may each be NULL (no such limit); a policy with neither keeps its
-- memories against a wider one. action: delete or anonymise (what the purge does). Takes
-- effect at once for reads (memories__retained); the purge applies it later. Definer for
-- cogdb_admin: the app may read its tenant's policies but never set them.
CREATE OR REPLACE FUNCTION cogdb.set_retention_policy(tenant_id text, context_type text DEFAULT '*',
                                                      source text DEFAULT '*',
                                                      max_age interval DEFAULT NULL,
                                                      max_count integer DEFAULT NULL,
                                                      action text DEFAULT 'delete')
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_saved text[];
BEGIN
    IF context_type IS NULL OR (context_type <> '*'
                                AND NOT context_type = ANY (cogdb.allowed_values('context_type'))) THEN
        RAISE EXCEPTION 'context_type must be * or one of %, got %',
                        array_to_string(cogdb.allowed_values('context_type'), ', '),
                        coalesce(quote_literal(left(context_type, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'context_type',
                  HINT = 'List the values with `cogdb vocabulary list context_type`; * matches any.';
    END IF;
    IF source IS NULL OR (source <> '*' AND NOT source = ANY (cogdb.allowed_values('source'))) THEN
        RAISE EXCEPTION 'source must be * or one of %, got %',
                        array_to_string(cogdb.allowed_values('source'), ', '),
                        coalesce(quote_literal(left(source, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'source',
                  HINT = 'List the values with `cogdb vocabulary list source`; * matches any.';
    END IF;
    IF max_age <= interval '0' THEN
        RAISE EXCEPTION 'max_age must be positive, got %', max_age
            USING ERRCODE = 'CGV01', COLUMN = 'max_age',
                  HINT = 'e.g. 90 days; leave it out for no age limit.';
    END IF;
    IF max_count < 1 THEN
        RAISE EXCEPTION 'max_count must be at least 1, got %', max_count
            USING ERRCODE = 'CGV01', COLUMN = 'max_count',
                  HINT = 'How many of the newest memories to keep; leave it out for no limit.';
    END IF;
    IF action IS NULL OR action NOT IN ('delete', 'anonymise') THEN
        RAISE EXCEPTION 'action must be delete or anonymise, got %',
                        coalesce(quote_literal(left(action, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'action',
                  HINT = 'anonymise keeps the row and blanks what identifies a person.';
    END IF;
    v_saved := cogdb.enter_tenant(v_tenant);
    INSERT INTO cogdb.retention_policies AS p
           (tenant_id, context_type, source, max_age, max_count, action, updated_at)
    VALUES (v_tenant, context_type, source, max_age, max_count, action, now())
    ON CONFLICT ON CONSTRAINT retention_policies_pkey DO UPDATE
       SET max_age = EXCLUDED.max_age, max_count = EXCLUDED.max_count,
           action = EXCLUDED.action, updated_at = EXCLUDED.updated_at;
    PERFORM cogdb.restore_context(v_saved);
    RETURN cogdb.list_retention(v_tenant::text);
END
$$;

REVOKE ALL ON FUNCTION cogdb.set_retention_policy(text, text, text, interval, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.set_retention_policy(text, text, text, interval, integer, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.set_retention_policy(text, text, text, interval, integer, text) IS
    'Sets a tenant''s retention policy for a context type and source (* for any): max_age, max_count, action (delete or anonymise); returns the tenant''s policies and holds.';
-- <<< sql/functions/retention/set_retention_policy.sql

-- >>> sql/functions/retention/drop_retention_policy.sql
-- Removes a tenant's retention policy for a context type and source; true if there was one.
-- Memories it hid become visible again (unless the purge removed them). Definer for
-- cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.drop_retention_policy(tenant_id text, context_type text DEFAULT '*',
                                                       source text DEFAULT '*')
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_saved text[];
    v_found boolean;
BEGIN
    v_saved := cogdb.enter_tenant(v_tenant);
    DELETE FROM cogdb.retention_policies p
     WHERE p.tenant_id = v_tenant AND p.context_type = context_type AND p.source = source;
    v_found := FOUND;
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_found;
END
$$;

REVOKE ALL ON FUNCTION cogdb.drop_retention_policy(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.drop_retention_policy(text, text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.drop_retention_policy(text, text, text) IS
    'Removes a tenant''s retention policy for a context type and source; true if there was one.';
-- <<< sql/functions/retention/drop_retention_policy.sql

-- >>> sql/functions/retention/list_retention.sql
-- A tenant's retention policies and legal holds as {"policies": [...], "holds": [...]}, most
-- specific policy first. Definer for cogdb_admin (the tables are fenced; the owner reads them
-- inside the tenant's context).
CREATE OR REPLACE FUNCTION cogdb.list_retention(tenant_id text)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_saved text[];
    v_result jsonb;
BEGIN
    v_saved := cogdb.enter_tenant(v_tenant);
    SELECT jsonb_build_object(
               'policies', coalesce((
                   SELECT jsonb_agg(jsonb_build_object(
                              'context_type', p.context_type, 'source', p.source,
                              'max_age', p.max_age::text, 'max_count', p.max_count,
                              'action', p.action, 'updated_at', p.updated_at)
                            ORDER BY p.context_type = '*', p.context_type, p.source = '*', p.source)
                     FROM cogdb.retention_policies p WHERE p.tenant_id = v_tenant), '[]'),
               'holds', coalesce((
                   SELECT jsonb_agg(jsonb_build_object(
                              'user_id', h.user_id, 'reason', h.reason,
                              'placed_at', h.placed_at, 'placed_by', h.placed_by)
                            ORDER BY h.user_id NULLS FIRST)
                     FROM cogdb.retention_holds h WHERE h.tenant_id = v_tenant), '[]'))
      INTO v_result;
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_result;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_retention(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_retention(text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.list_retention(text) IS
    'A tenant''s retention policies and legal holds as {"policies": [...], "holds": [...]}.';
-- <<< sql/functions/retention/list_retention.sql

-- >>> sql/functions/retention/place_legal_hold.sql
-- Places a legal hold on a tenant (user_id NULL) or one of its users, with the reason, and
-- returns the tenant's policies and holds. While it holds, cogdb.purge_retention removes or
-- anonymises nothing of the tenant / nothing the user owns. Placing it again updates the
-- reason. Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.place_legal_hold(tenant_id text, user_id text DEFAULT NULL,
                                                  reason text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_user uuid := cogdb.parse_uuid(user_id, 'user_id');
    v_saved text[];
BEGIN
    IF reason IS NULL OR btrim(reason) = '' OR length(reason) > 1000 THEN
        RAISE EXCEPTION 'reason must be 1 to 1000 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'reason',
                  HINT = 'Say why the data is held, e.g. the case or request reference.';
    END IF;
    v_saved := cogdb.enter_tenant(v_tenant);
    IF v_user IS NOT NULL AND NOT EXISTS (SELECT FROM cogdb.users u
                                           WHERE u.tenant_id = v_tenant AND u.id = v_user) THEN
        RAISE EXCEPTION 'no user % in tenant %', v_user, v_tenant
            USING ERRCODE = 'CGN01', COLUMN = 'user_id',
                  HINT = 'List users with `cogdb user list --tenant <tenant>`.';
    END IF;
    INSERT INTO cogdb.retention_holds AS h (tenant_id, user_id, reason)
    VALUES (v_tenant, v_user, btrim(reason))
    ON CONFLICT ON CONSTRAINT retention_holds_tenant_user_key DO UPDATE
       SET reason = EXCLUDED.reason;
    PERFORM cogdb.restore_context(v_saved);
    RETURN cogdb.list_retention(v_tenant::text);
END
$$;

REVOKE ALL ON FUNCTION cogdb.place_legal_hold(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.place_legal_hold(text, text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.place_legal_hold(text, text, text) IS
    'Places a legal hold on a tenant (user_id NULL) or one of its users: the retention purge skips what it holds.';
-- <<< sql/functions/retention/place_legal_hold.sql

-- >>> sql/functions/retention/release_legal_hold.sql
-- Releases the legal hold on a tenant (user_id NULL) or one of its users; true if there was
-- one. The next purge applies the tenant's policies to what it held. Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.release_legal_hold(tenant_id text, user_id text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_user uuid := cogdb.parse_uuid(user_id, 'user_id');
    v_saved text[];
    v_found boolean;
BEGIN
    v_saved := cogdb.enter_tenant(v_tenant);
    DELETE FROM cogdb.retention_holds h
     WHERE h.tenant_id = v_tenant AND h.user_id IS NOT DISTINCT FROM v_user;
    v_found := FOUND;
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_found;
END
$$;

REVOKE ALL ON FUNCTION cogdb.release_legal_hold(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.release_legal_hold(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.release_legal_hold(text, text) IS
    'Releases the legal hold on a tenant (user_id NULL) or one of its users; true if there was one.';
-- <<< sql/functions/retention/release_legal_hold.sql

-- >>> sql/functions/retention/purge_retention.sql
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
-- <<< sql/functions/retention/purge_retention.sql

-- >>> sql/policies/entity_observations__visible_entity.sql
-- Observations share their entity's visibility: a row is visible (and writable) when the
-- caller can see its entity, read under the entities policies. The only permissive policy
-- on entity_observations. The entities fence scopes the id to the context's tenant; this
-- table's own fence (entity_observations__tenant_fence) keeps the observation there. The
-- sub-select also names the context's tenant (an InitPlan): one partition, one shard on a
-- cluster distributed by tenant (docs/scale-out.md); not the row's own tenant_id, which
-- would make the fence redundant (and its loosening untestable).
DROP POLICY IF EXISTS entity_observations__visible_entity ON cogdb.entity_observations;
CREATE POLICY entity_observations__visible_entity ON cogdb.entity_observations
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (EXISTS (SELECT FROM cogdb.entities e
                    WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                      AND e.id = entity_observations.entity_id))
    WITH CHECK (EXISTS (SELECT FROM cogdb.entities e
                         WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                           AND e.id = entity_observations.entity_id));
-- <<< sql/policies/entity_observations__visible_entity.sql

-- >>> sql/policies/relationships__endpoints_visible.sql
-- A relationship exists for the caller only when the caller can see both of its nodes: the
-- sub-selects read memories and entities under their own policies (fence and visibility),
-- so an edge to another user's private memory or entity is neither read nor written, and a
-- traversal can never pass through such a node or reveal it. RESTRICTIVE: it narrows the
-- visibility policy, never widens it. The node tables' fences scope the ids to the context's
-- tenant; this table's own fence (relationships__tenant_fence) keeps the edge itself there.
-- Each sub-select also names the context's tenant (an InitPlan, once per query), so it reads
-- one tenant's partition here and one shard on a cluster distributed by tenant
-- (docs/scale-out.md). Not the edge's own tenant_id: that would make this table's fence
-- redundant, and a loosened fence could no longer be caught by a test.
DROP POLICY IF EXISTS relationships__endpoints_visible ON cogdb.relationships;
CREATE POLICY relationships__endpoints_visible ON cogdb.relationships
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING ((from_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                               WHERE m.tenant_id = (SELECT cogdb.current_tenant_id())
                                                 AND m.id = relationships.from_memory_id))
           AND (from_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                   WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                                                     AND e.id = relationships.from_entity_id))
           AND (to_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                 WHERE m.tenant_id = (SELECT cogdb.current_tenant_id())
                                                   AND m.id = relationships.to_memory_id))
           AND (to_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                 WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                                                   AND e.id = relationships.to_entity_id)))
    WITH CHECK ((from_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                    WHERE m.tenant_id = (SELECT cogdb.current_tenant_id())
                                                      AND m.id = relationships.from_memory_id))
                AND (from_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                        WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                                                          AND e.id = relationships.from_entity_id))
                AND (to_memory_id IS NULL OR EXISTS (SELECT FROM cogdb.memories m
                                                      WHERE m.tenant_id = (SELECT cogdb.current_tenant_id())
                                                        AND m.id = relationships.to_memory_id))
                AND (to_entity_id IS NULL OR EXISTS (SELECT FROM cogdb.entities e
                                                      WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                                                        AND e.id = relationships.to_entity_id)));
-- <<< sql/policies/relationships__endpoints_visible.sql

-- >>> sql/tables/share_grants.sql
-- Sharing, the granting side: tenant_id (a tenant at isolation level shared or federated) lets
-- grantee_id (another such tenant) read the subset of its tenant-visible memories that every
-- given criterion covers: context_types, tags (any of them), memory_ids; until expires_at
-- (NULL: until revoked). Written only by cogdb_admin's definer functions (grant_share,
-- revoke_share), which write the grantee's copy (cogdb.share_receipts) in the same
-- transaction; the memories fence reads the copy, never this table. A revoked grant keeps
-- its row (revoked_at, revoked_by): the trail of who shared what, and when it stopped.
CREATE TABLE cogdb.share_grants (
    tenant_id     uuid NOT NULL DEFAULT cogdb.current_tenant_id()
                  REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    grantee_id    uuid NOT NULL REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    -- NULL: not narrowed by this criterion; at least one criterion is given.
    context_types text[] CHECK (cardinality(context_types) BETWEEN 1 AND 64),
    tags          text[] CHECK (cardinality(tags) BETWEEN 1 AND 256),
    memory_ids    text[] CHECK (cardinality(memory_ids) BETWEEN 1 AND 10000),
    expires_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    granted_by    text NOT NULL DEFAULT session_user,
    revoked_at    timestamptz,
    revoked_by    text,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT share_grants_not_self CHECK (grantee_id <> tenant_id),
    CONSTRAINT share_grants_has_scope
        CHECK (context_types IS NOT NULL OR tags IS NOT NULL OR memory_ids IS NOT NULL),
    CONSTRAINT share_grants_expiry CHECK (expires_at > created_at),
    CONSTRAINT share_grants_revoked CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);
-- The tenant's live grants to one grantee (grant_share's re-assertion, the report).
CREATE INDEX share_grants_grantee_idx ON cogdb.share_grants (tenant_id, grantee_id)
    WHERE revoked_at IS NULL;
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER share_grants_audit_inserts AFTER INSERT ON cogdb.share_grants
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER share_grants_audit_updates AFTER UPDATE ON cogdb.share_grants
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER share_grants_audit_deletes AFTER DELETE ON cogdb.share_grants
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
ALTER TABLE cogdb.share_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.share_grants FORCE ROW LEVEL SECURITY;
-- The app reads what its tenant shares; it never writes grants (cogdb_admin's definers do).
GRANT SELECT ON cogdb.share_grants TO cogdb_app;
COMMENT ON TABLE cogdb.share_grants IS
    'Read grants a tenant gives another (context types, tags, memory ids; optional expiry; revocation). Fenced by the granting tenant (RLS); written by grant_share/revoke_share only.';
-- <<< sql/tables/share_grants.sql

-- >>> sql/policies/share_grants__inside_fence.sql
-- Lets rows through the fence: RLS shows nothing without at least one permissive policy.
-- All filtering is the fence's (share_grants__tenant_fence); only cogdb_admin's definer
-- functions write the table (the app has SELECT only).
DROP POLICY IF EXISTS share_grants__inside_fence ON cogdb.share_grants;
CREATE POLICY share_grants__inside_fence ON cogdb.share_grants
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/share_grants__inside_fence.sql

-- >>> sql/policies/share_grants__tenant_fence.sql
-- The tenant fence on share_grants: a row is readable and writable only inside its own tenant's
-- context. RESTRICTIVE, so no permissive policy added later can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS share_grants__tenant_fence ON cogdb.share_grants;
CREATE POLICY share_grants__tenant_fence ON cogdb.share_grants
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/share_grants__tenant_fence.sql

-- >>> sql/tables/share_receipts.sql
-- Sharing, the receiving side: the grantee's copy of each grant made to it (tenant_id = the
-- grantee, source_tenant_id = the granting tenant; the same id, criteria, expiry and
-- revocation as cogdb.share_grants, written in the same transaction by grant_share and
-- revoke_share). Fenced like every tenant table, so a grantee learns which grants it holds
-- without reading the granting tenant's rows; cogdb.live_grants() reads it once per query
-- for the memories fence. The app may read it and never write it: a recipient cannot extend,
-- widen or re-share a grant.
CREATE TABLE cogdb.share_receipts (
    tenant_id        uuid NOT NULL DEFAULT cogdb.current_tenant_id()
                     REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL,
    source_tenant_id uuid NOT NULL REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    context_types    text[],
    tags             text[],
    memory_ids       text[],
    expires_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT share_receipts_not_self CHECK (source_tenant_id <> tenant_id),
    CONSTRAINT share_receipts_has_scope
        CHECK (context_types IS NOT NULL OR tags IS NOT NULL OR memory_ids IS NOT NULL)
);
-- live_grants(): the grantee's unrevoked receipts.
CREATE INDEX share_receipts_live_idx ON cogdb.share_receipts (tenant_id, source_tenant_id)
    WHERE revoked_at IS NULL;
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER share_receipts_audit_inserts AFTER INSERT ON cogdb.share_receipts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER share_receipts_audit_updates AFTER UPDATE ON cogdb.share_receipts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER share_receipts_audit_deletes AFTER DELETE ON cogdb.share_receipts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
ALTER TABLE cogdb.share_receipts ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.share_receipts FORCE ROW LEVEL SECURITY;
-- Read by live_grants() as the app; written by cogdb_admin's definers only.
GRANT SELECT ON cogdb.share_receipts TO cogdb_app;
COMMENT ON TABLE cogdb.share_receipts IS
    'The grantee''s copy of each read grant made to it (source tenant, criteria, expiry, revocation). Fenced by the receiving tenant (RLS); read by live_grants() for the memories fence; written by grant_share/revoke_share only.';
-- <<< sql/tables/share_receipts.sql

-- >>> sql/policies/share_receipts__inside_fence.sql
-- Lets rows through the fence: RLS shows nothing without at least one permissive policy.
-- All filtering is the fence's (share_receipts__tenant_fence); only cogdb_admin's definer
-- functions write the table (the app has SELECT only).
DROP POLICY IF EXISTS share_receipts__inside_fence ON cogdb.share_receipts;
CREATE POLICY share_receipts__inside_fence ON cogdb.share_receipts
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/share_receipts__inside_fence.sql

-- >>> sql/policies/share_receipts__tenant_fence.sql
-- The tenant fence on share_receipts: a row is readable and writable only inside its own tenant's
-- context. RESTRICTIVE, so no permissive policy added later can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS share_receipts__tenant_fence ON cogdb.share_receipts;
CREATE POLICY share_receipts__tenant_fence ON cogdb.share_receipts
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/share_receipts__tenant_fence.sql

-- >>> sql/functions/sharing/live_grants.sql
-- The grants the context tenant holds and may read through now, for the memories fence, by
-- source tenant: {"<source uuid>": {"g": [{"c": [context types], "g": [tags], "i": [memory
-- ids]}, …], "h": <epoch seconds>}} (a grant leaves out a criterion it does not narrow by;
-- "h" is the source's retention_horizon(), the youngest of its age cutoffs, -1e15 without
-- one). NULL unless the transaction asked for shared rows (app.include_shared holds this
-- transaction's stamp: set by search and get for their own statements, see share_request)
-- or when no live grant exists. Live: not revoked, not expired (read at each statement, so a
-- revocation or an expiry applies to the next one). "h" goes with the grants so that
-- grant_covers hides what the source's retention hides (memories__retained computes the
-- context tenant's cutoffs only): conservatively, every shared memory older than the
-- source's shortest max_age (unless anonymised), even where a more specific policy of the
-- source keeps it longer. Definer: FORCE RLS fences the owner too, so it reads the
-- grantee's copies in the caller's context and each source's policies inside the source
-- (enter_tenant), then puts the context back. Called once per query (an InitPlan in
-- memories__tenant_fence), and only for a row of another tenant.
CREATE OR REPLACE FUNCTION cogdb.live_grants() RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_out jsonb := '{}';
    v_saved text[];
    r record;
BEGIN
    IF v_tenant IS NULL
       OR current_setting('app.include_shared', true) IS DISTINCT FROM cogdb.context_stamp() THEN
        RETURN NULL;
    END IF;
    FOR r IN
        SELECT s.source_tenant_id AS source,
               jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                   'c', to_jsonb(s.context_types), 'g', to_jsonb(s.tags),
                   'i', to_jsonb(s.memory_ids)))) AS grants
          FROM cogdb.share_receipts s
         WHERE s.tenant_id = v_tenant AND s.revoked_at IS NULL
           AND (s.expires_at IS NULL OR s.expires_at > now())
         GROUP BY s.source_tenant_id
    LOOP
        v_saved := cogdb.enter_tenant(r.source);
        v_out := v_out || jsonb_build_object(r.source::text, jsonb_build_object(
            'g', r.grants,
            'h', greatest(extract(epoch FROM cogdb.retention_horizon()), -1e15)));
        PERFORM cogdb.restore_context(v_saved);
    END LOOP;
    RETURN nullif(v_out, '{}');
END
$$;

REVOKE ALL ON FUNCTION cogdb.live_grants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.live_grants() TO cogdb_app;
COMMENT ON FUNCTION cogdb.live_grants() IS
    'The context tenant''s live read grants by source tenant, with each source''s retention horizon, when the transaction asked for shared rows (else NULL); read once per query by memories__tenant_fence.';
-- <<< sql/functions/sharing/live_grants.sql

-- >>> sql/functions/sharing/grant_covers.sql
-- Whether a source tenant's entry of live_grants() (NULL: no grant from it) covers a memory:
-- tenant-visible (a private memory is never shared); kept by the source's retention
-- (created after the source's horizon "h", or anonymised); and inside every criterion one of
-- its grants names (context type; any of its tags, a list's strings or an object's keys; its
-- id). The per-row half of memories__tenant_fence's sharing branch: no table is read, only
-- the value the InitPlan computed once, and rows of the context's own tenant never reach
-- it. One expression, each argument that may hold a sub-select used once, so the planner
-- inlines it (LANGUAGE sql, no SET clause; docs/conventions.md rule 2): one jsonpath test
-- per row, no function call of its own, no sub-plan.
CREATE OR REPLACE FUNCTION cogdb.grant_covers(entry jsonb, visibility text, id text,
                                              context_type text, tags jsonb,
                                              created_at timestamptz, anonymised_at timestamptz)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT visibility = 'tenant'
       AND pg_catalog.jsonb_path_exists(
               entry,
               '$ ? (@.h < $at || $anonymised == true) .g[*] ? ((!(exists(@.c)) || @.c[*] == $ct) && (!(exists(@.i)) || @.i[*] == $id) && (!(exists(@.g)) || @.g[*] == $tags[*]))',
               pg_catalog.jsonb_build_object(
                   -- clamped: JSON has no infinity
                   'at', least(greatest(EXTRACT(epoch FROM created_at), -1e15), 1e15),
                   'anonymised', anonymised_at IS NOT NULL,
                   'ct', context_type, 'id', id,
                   'tags', CASE WHEN pg_catalog.jsonb_typeof(tags) = 'object'
                                THEN pg_catalog.jsonb_path_query_array(tags, '$.keyvalue().key')
                                ELSE tags END))
$$;

REVOKE ALL ON FUNCTION cogdb.grant_covers(jsonb, text, text, text, jsonb, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.grant_covers(jsonb, text, text, text, jsonb, timestamptz, timestamptz) TO cogdb_app;
COMMENT ON FUNCTION cogdb.grant_covers(jsonb, text, text, text, jsonb, timestamptz, timestamptz) IS
    'Whether a source tenant''s live grants cover a memory (tenant-visible, kept by the source''s retention horizon, inside each criterion a grant names); the per-row test of memories__tenant_fence.';
-- <<< sql/functions/sharing/grant_covers.sql

-- >>> sql/functions/sharing/readable_tenants.sql
-- The tenants whose rows the context may read in this statement: its own, then the source
-- tenants of its live grants when the transaction asked for shared rows (live_grants' keys;
-- none otherwise). memories__tenant_fence compares tenant_id with it first, as an InitPlan:
-- `tenant_id = ANY (…)` is an index condition and a partition-pruning key, so a query that
-- names another tenant reads none of its rows, and EXPLAIN ANALYZE has nothing to count
-- ("Rows Removed by Filter"); the per-row grant test (grant_covers) only ever sees rows of
-- this list. Inlinable (LANGUAGE sql, no SET clause, every name qualified).
CREATE OR REPLACE FUNCTION cogdb.readable_tenants() RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT pg_catalog.array_prepend(
               cogdb.current_tenant_id(),
               ARRAY(SELECT k::uuid FROM pg_catalog.jsonb_object_keys(cogdb.live_grants()) AS k))
$$;

REVOKE ALL ON FUNCTION cogdb.readable_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.readable_tenants() TO cogdb_app;
COMMENT ON FUNCTION cogdb.readable_tenants() IS
    'The context tenant and, when the transaction asked for shared rows, the sources of its live grants: the tenants memories__tenant_fence lets a statement read.';
-- <<< sql/functions/sharing/readable_tenants.sql

-- >>> sql/functions/sharing/share_request.sql
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
-- <<< sql/functions/sharing/share_request.sql

-- >>> sql/functions/sharing/note_shared_read.sql
-- Leaves a note in the source tenant's audit chain that the context tenant read `memories` of
-- its shared memories through `via` (search, get): counts, never ids or content
-- (audit_note). Only for a source whose live grant the context holds, else nothing (so
-- the app, which search and get run as, can add notes only to the chains of tenants that
-- share with it). Definer:
-- it enters the source tenant to write its note (enter_tenant) and puts the caller's
-- context back.
CREATE OR REPLACE FUNCTION cogdb.note_shared_read(source_tenant uuid, via text, memories integer)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_grantee uuid := cogdb.require_tenant('a shared read');
    v_user uuid := cogdb.current_user_id();
    v_saved text[];
BEGIN
    IF memories IS NULL OR memories < 1 OR via IS NULL OR via NOT IN ('search', 'get')
       OR NOT EXISTS (SELECT FROM cogdb.share_receipts r
                       WHERE r.tenant_id = v_grantee AND r.source_tenant_id = source_tenant
                         AND r.revoked_at IS NULL
                         AND (r.expires_at IS NULL OR r.expires_at > now())) THEN
        RETURN;
    END IF;
    v_saved := cogdb.enter_tenant(source_tenant);
    PERFORM cogdb.audit_note('share.read', jsonb_build_object(
        'grantee', v_grantee, 'user', v_user, 'via', via, 'memories', memories));
    PERFORM cogdb.restore_context(v_saved);
END
$$;

REVOKE ALL ON FUNCTION cogdb.note_shared_read(uuid, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.note_shared_read(uuid, text, integer) TO cogdb_app;
COMMENT ON FUNCTION cogdb.note_shared_read(uuid, text, integer) IS
    'Notes a shared read (grantee, user, path, count; never content) in the source tenant''s audit chain.';
-- <<< sql/functions/sharing/note_shared_read.sql

-- >>> sql/functions/sharing/grant_share.sql
-- The granting tenant's admin lets grantee_id read the subset of tenant_id's tenant-visible
-- memories that every given criterion covers (context_types; tags: any of them; memory_ids),
-- until expires_at (NULL: until revoked). Both tenants must be at isolation level shared or
-- federated (a strict one is refused, CGF01 naming the field). At least one criterion; a
-- private memory is never shared whatever the criteria. Writes the grant (tenant_id's
-- share_grants) and the grantee's copy (share_receipts), both audited, and returns the grant's
-- id. Re-asserting a live grant of the same scope returns it and keeps the earlier expiry:
-- a re-assertion never removes or extends an expiry (revoke it and grant anew to extend).
-- Definer for cogdb_admin, like the retention functions (known_tenant); the app can neither
-- call it nor write either table, so a recipient cannot extend, widen or re-share a grant.
CREATE OR REPLACE FUNCTION cogdb.grant_share(tenant_id text, grantee_id text,
                                             context_types text[] DEFAULT NULL,
                                             tags text[] DEFAULT NULL,
                                             memory_ids text[] DEFAULT NULL,
                                             expires_at timestamptz DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_grantee uuid := cogdb.parse_uuid(grantee_id, 'grantee_id');
    v_types text[];
    v_tags text[];
    v_ids text[];
    v_level text;
    v_id uuid;
    v_old timestamptz;
    v_saved text[];
BEGIN
    IF v_grantee IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_grantee) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_grantee::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'grantee_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    IF v_grantee = v_tenant THEN
        RAISE EXCEPTION 'grantee_id must be another tenant than tenant_id'
            USING ERRCODE = 'CGV01', COLUMN = 'grantee_id',
                  HINT = 'A tenant reads its own memories without a grant.';
    END IF;
    SELECT t.isolation_level INTO v_level FROM cogdb.tenants t WHERE t.id = v_tenant;
    IF v_level = 'strict' THEN
        RAISE EXCEPTION 'tenant % is at isolation level strict: it cannot share', v_tenant
            USING ERRCODE = 'CGF01', COLUMN = 'tenant_id',
                  HINT = 'Only tenants at isolation level shared or federated grant or receive.';
    END IF;
    SELECT t.isolation_level INTO v_level FROM cogdb.tenants t WHERE t.id = v_grantee;
    IF v_level = 'strict' THEN
        RAISE EXCEPTION 'tenant % is at isolation level strict: it cannot receive', v_grantee
            USING ERRCODE = 'CGF01', COLUMN = 'grantee_id',
                  HINT = 'Only tenants at isolation level shared or federated grant or receive.';
    END IF;
    v_types := ARRAY(SELECT DISTINCT x FROM unnest(context_types) x ORDER BY 1);
    v_tags := ARRAY(SELECT DISTINCT x FROM unnest(tags) x ORDER BY 1);
    v_ids := ARRAY(SELECT DISTINCT x FROM unnest(memory_ids) x ORDER BY 1);
    IF cardinality(v_types) = 0 THEN v_types := NULL; END IF;
    IF cardinality(v_tags) = 0 THEN v_tags := NULL; END IF;
    IF cardinality(v_ids) = 0 THEN v_ids := NULL; END IF;
    IF v_types IS NULL AND v_tags IS NULL AND v_ids IS NULL THEN
        RAISE EXCEPTION 'a grant needs at least one of context_types, tags, memory_ids'
            USING ERRCODE = 'CGV01', COLUMN = 'context_types',
                  HINT = 'Name what is shared: context types, tags (any of them) or memory ids.';
    END IF;
    IF EXISTS (SELECT FROM unnest(v_types) x
                WHERE x IS NULL OR NOT x = ANY (cogdb.allowed_values('context_type')))
       OR cardinality(v_types) > 64 THEN
        RAISE EXCEPTION 'context_types must be at most 64 of %',
                        array_to_string(cogdb.allowed_values('context_type'), ', ')
            USING ERRCODE = 'CGV01', COLUMN = 'context_types',
                  HINT = 'List the values with `cogdb vocabulary list context_type`.';
    END IF;
    IF EXISTS (SELECT FROM unnest(v_tags) x WHERE coalesce(length(x), 0) NOT BETWEEN 1 AND 255)
       OR cardinality(v_tags) > 256 THEN
        RAISE EXCEPTION 'tags must be at most 256 tags of 1-255 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'tags',
                  HINT = 'A memory is covered when it carries any of these tags.';
    END IF;
    IF EXISTS (SELECT FROM unnest(v_ids) x
                WHERE x IS NULL OR length(x) > 128 OR x !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]*$')
       OR cardinality(v_ids) > 10000 THEN
        RAISE EXCEPTION 'memory_ids must be at most 10000 memory ids'
            USING ERRCODE = 'CGV01', COLUMN = 'memory_ids',
                  HINT = 'Ids as remember() returned them (letters, digits, _ . : -).';
    END IF;
    IF expires_at <= now() THEN
        RAISE EXCEPTION 'expires_at must be in the future, got %', expires_at
            USING ERRCODE = 'CGV01', COLUMN = 'expires_at',
                  HINT = 'Leave it out for a grant that lasts until it is revoked.';
    END IF;

    v_saved := cogdb.enter_tenant(v_tenant);
    SELECT g.id, g.expires_at INTO v_id, v_old
      FROM cogdb.share_grants g
     WHERE g.tenant_id = v_tenant AND g.grantee_id = v_grantee AND g.revoked_at IS NULL
       AND (g.expires_at IS NULL OR g.expires_at > now())
       AND g.context_types IS NOT DISTINCT FROM v_types AND g.tags IS NOT DISTINCT FROM v_tags
       AND g.memory_ids IS NOT DISTINCT FROM v_ids
     ORDER BY g.created_at LIMIT 1
       FOR UPDATE;
    IF v_id IS NOT NULL THEN
        -- A re-assertion: the earlier of the two expiries, NULL (none) only if both are.
        IF v_old IS NULL AND expires_at IS NOT NULL OR v_old > expires_at THEN
            UPDATE cogdb.share_grants g SET expires_at = grant_share.expires_at
             WHERE g.tenant_id = v_tenant AND g.id = v_id;
            PERFORM cogdb.restore_context(v_saved);
            v_saved := cogdb.enter_tenant(v_grantee);
            UPDATE cogdb.share_receipts r SET expires_at = grant_share.expires_at
             WHERE r.tenant_id = v_grantee AND r.id = v_id;
        END IF;
        PERFORM cogdb.restore_context(v_saved);
        RETURN v_id;
    END IF;
    INSERT INTO cogdb.share_grants AS g
           (tenant_id, grantee_id, context_types, tags, memory_ids, expires_at)
    VALUES (v_tenant, v_grantee, v_types, v_tags, v_ids, expires_at)
    RETURNING g.id INTO v_id;
    PERFORM cogdb.restore_context(v_saved);
    v_saved := cogdb.enter_tenant(v_grantee);
    INSERT INTO cogdb.share_receipts AS r
           (tenant_id, id, source_tenant_id, context_types, tags, memory_ids, expires_at)
    VALUES (v_grantee, v_id, v_tenant, v_types, v_tags, v_ids, expires_at);
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.grant_share(text, text, text[], text[], text[], timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.grant_share(text, text, text[], text[], text[], timestamptz) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.grant_share(text, text, text[], text[], text[], timestamptz) IS
    'Lets grantee_id read tenant_id''s tenant-visible memories that every given criterion covers (context types, tags, memory ids), until expires_at; both at isolation level shared or federated. Returns the grant id.';
-- <<< sql/functions/sharing/grant_share.sql

-- >>> sql/functions/sharing/revoke_share.sql
-- The granting tenant's admin revokes a grant: the grant and the grantee's copy get
-- revoked_at (kept, audited), and the grantee's next statement no longer sees what it
-- covered (live_grants reads the copy at each statement). True if the grant was live-or-
-- expired and unrevoked; false if already revoked; CGN01 for an id tenant_id never granted.
-- Definer for cogdb_admin, like grant_share.
CREATE OR REPLACE FUNCTION cogdb.revoke_share(tenant_id text, grant_id text)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_id uuid := cogdb.parse_uuid(grant_id, 'grant_id');
    v_grantee uuid;
    v_revoked timestamptz;
    v_saved text[];
BEGIN
    v_saved := cogdb.enter_tenant(v_tenant);
    SELECT g.grantee_id, g.revoked_at INTO v_grantee, v_revoked
      FROM cogdb.share_grants g WHERE g.tenant_id = v_tenant AND g.id = v_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'tenant % has no grant %', v_tenant, coalesce(v_id::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'grant_id',
                  HINT = 'List the tenant''s grants with cogdb.list_shares(tenant_id).';
    END IF;
    IF v_revoked IS NOT NULL THEN
        PERFORM cogdb.restore_context(v_saved);
        RETURN false;
    END IF;
    UPDATE cogdb.share_grants g SET revoked_at = now(), revoked_by = session_user
     WHERE g.tenant_id = v_tenant AND g.id = v_id;
    PERFORM cogdb.restore_context(v_saved);
    v_saved := cogdb.enter_tenant(v_grantee);
    UPDATE cogdb.share_receipts r SET revoked_at = now()
     WHERE r.tenant_id = v_grantee AND r.id = v_id;
    PERFORM cogdb.restore_context(v_saved);
    RETURN true;
END
$$;

REVOKE ALL ON FUNCTION cogdb.revoke_share(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.revoke_share(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.revoke_share(text, text) IS
    'Revokes a tenant''s read grant (kept, with revoked_at); the grantee''s next statement no longer sees what it covered. False if already revoked.';
-- <<< sql/functions/sharing/revoke_share.sql

-- >>> sql/functions/sharing/list_shares.sql
-- A tenant's grants, given (direction 'given': it is source_tenant_id) and received
-- ('received': it is grantee_id), newest first, revoked and expired ones included (`live` says which still
-- apply). Definer for cogdb_admin: it reads each side inside its own tenant (enter_tenant).
CREATE OR REPLACE FUNCTION cogdb.list_shares(tenant_id text)
    RETURNS TABLE (direction text, id uuid, source_tenant_id uuid, grantee_id uuid,
                   context_types text[], tags text[], memory_ids text[],
                   expires_at timestamptz, created_at timestamptz, revoked_at timestamptz,
                   live boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := cogdb.known_tenant(list_shares.tenant_id);
    v_saved text[] := cogdb.enter_tenant(v_tenant);
BEGIN
    RETURN QUERY
    SELECT x.* FROM (
        SELECT 'given'::text, g.id, g.tenant_id, g.grantee_id, g.context_types, g.tags,
               g.memory_ids, g.expires_at, g.created_at, g.revoked_at,
               g.revoked_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > now())
          FROM cogdb.share_grants g WHERE g.tenant_id = v_tenant
        UNION ALL
        SELECT 'received'::text, r.id, r.source_tenant_id, r.tenant_id, r.context_types, r.tags,
               r.memory_ids, r.expires_at, r.created_at, r.revoked_at,
               r.revoked_at IS NULL AND (r.expires_at IS NULL OR r.expires_at > now())
          FROM cogdb.share_receipts r WHERE r.tenant_id = v_tenant) x
     ORDER BY x.created_at DESC, x.id;
    PERFORM cogdb.restore_context(v_saved);
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_shares(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_shares(text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.list_shares(text) IS
    'A tenant''s read grants, given and received, with whether each is still live.';
-- <<< sql/functions/sharing/list_shares.sql

-- >>> sql/functions/sharing/share_report.sql
-- The DBA's list of every live grant in the deployment (not revoked, not expired): who
-- shares with whom, what, since when, until when, granted by which login. Not findings:
-- policy_report stays about the deployment's safety, this lists the sharing it allows on
-- purpose. Definer for cogdb_admin and cogdb_auditor: FORCE RLS fences the owner too, so it
-- reads each sharing tenant's grants inside that tenant (enter_tenant), strict ones skipped.
CREATE OR REPLACE FUNCTION cogdb.share_report()
    RETURNS TABLE (id uuid, tenant_id uuid, tenant_name text, grantee_id uuid,
                   grantee_name text, context_types text[], tags text[], memory_ids text[],
                   expires_at timestamptz, created_at timestamptz, granted_by text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    t record;
    v_saved text[];
BEGIN
    FOR t IN SELECT x.id, x.name FROM cogdb.tenants x
              WHERE x.isolation_level <> 'strict' ORDER BY x.name, x.id LOOP
        v_saved := cogdb.enter_tenant(t.id);
        RETURN QUERY
        SELECT g.id, g.tenant_id, t.name, g.grantee_id,
               (SELECT e.name FROM cogdb.tenants e WHERE e.id = g.grantee_id),
               g.context_types, g.tags, g.memory_ids, g.expires_at, g.created_at, g.granted_by
          FROM cogdb.share_grants g
         WHERE g.tenant_id = t.id AND g.revoked_at IS NULL
           AND (g.expires_at IS NULL OR g.expires_at > now())
         ORDER BY g.created_at, g.id;
        PERFORM cogdb.restore_context(v_saved);
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION cogdb.share_report() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.share_report() TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.share_report() IS
    'Every live read grant between tenants (who, to whom, what, until when, granted by): the DBA''s list of what sharing the deployment allows.';
-- <<< sql/functions/sharing/share_report.sql

-- >>> sql/policies/memories__tenant_fence.sql
-- The tenant fence: a row is readable only inside its own tenant's context, or where a live
-- grant of its tenant covers it and the caller asked for shared rows; writable only inside
-- its own tenant's context (WITH CHECK; memories__owner_updates and memories__owner_deletes
-- keep UPDATE and DELETE to the own tenant too, so a shared row is read-only).
-- RESTRICTIVE, so no permissive policy added later can widen it. Two conjuncts:
-- - `tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])`: the context tenant, plus
--   the sources of its live grants only when it asked. An InitPlan, once per query, and an
--   index condition: a query that names another tenant (WHERE tenant_id = '<other>') reads
--   none of its rows, so neither EXPLAIN ANALYZE's "Rows Removed by Filter" nor the time
--   taken tells that tenant's size. (A fence that was only the OR below became a filter
--   after the caller's own index condition and counted the other tenant's rows.)
-- - the own tenant, or cogdb.grant_covers on the value live_grants() computed once
--   (tenant-visible, inside the grant's criteria, kept by the source's retention): no
--   per-row table lookup; rows of the own tenant never reach it.
DROP POLICY IF EXISTS memories__tenant_fence ON cogdb.memories;
CREATE POLICY memories__tenant_fence ON cogdb.memories
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])
           AND (tenant_id = (SELECT cogdb.current_tenant_id())
                OR cogdb.grant_covers((SELECT cogdb.live_grants()) -> tenant_id::text, visibility,
                                      id, context_type, tags, created_at, anonymised_at)))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/memories__tenant_fence.sql

-- >>> sql/policies/memories__owner_updates.sql
-- Only a memory's owner may change it; ownerless (tenant-wide) memories stay editable by the
-- tenant. Only the own tenant's: a row shared by another tenant's grant (visible through
-- memories__tenant_fence) is never updated. RESTRICTIVE: it narrows the visibility policy for
-- UPDATE, it never widens it.
-- (SELECT …) makes the helpers InitPlans: evaluated once per query, not once per row.
DROP POLICY IF EXISTS memories__owner_updates ON cogdb.memories;
CREATE POLICY memories__owner_updates ON cogdb.memories
    AS RESTRICTIVE FOR UPDATE TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id())
           AND (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id())))
    WITH CHECK (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id()));
-- <<< sql/policies/memories__owner_updates.sql

-- >>> sql/policies/memories__owner_deletes.sql
-- Only a memory's owner may delete (forget) it; ownerless memories stay deletable by the
-- tenant. Only the own tenant's: a row shared by another tenant's grant (visible through
-- memories__tenant_fence) is never deleted. RESTRICTIVE, like memories__owner_updates.
-- (SELECT …) makes the helpers InitPlans: evaluated once per query, not once per row.
DROP POLICY IF EXISTS memories__owner_deletes ON cogdb.memories;
CREATE POLICY memories__owner_deletes ON cogdb.memories
    AS RESTRICTIVE FOR DELETE TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id())
           AND (owner_user_id IS NULL OR owner_user_id = (SELECT cogdb.current_user_id())));
-- <<< sql/policies/memories__owner_deletes.sql

-- >>> sql/functions/search/search_tenant.sql
-- The k memories of `tenant` nearest to `query` that the caller may see, nearest first: the
-- context's own tenant, or (inside search(…, include_shared => true), which merges them) a
-- tenant whose live grant the context holds; the fence decides what is visible, this
-- function only names the tenant, so each tenant is searched on its own partition and index.
-- similarity is cosine similarity, 1 - cosine distance (1 = same direction, 0 = orthogonal);
-- ties are broken by id. Expired memories are never returned. Reads only: no access tracking.
-- No context: no rows.
--
-- The plan is chosen per call and reported in the `plan` column:
--   exact            every candidate the caller may see is ranked (a tenant/model without an
--                    ANN index, or one whose visible candidates, after the filters, number at
--                    most search.exact_max_rows — e.g. a user who sees few of a large
--                    tenant's memories because most are private to others);
--   ann:<index>      the HNSW index on the tenant's own partition (see ann_index_name and
--                    partition_name; `cogdb maintain` promotes the tenant and builds it), with
--                    iterative scans so filters keep their recall.
-- Every statement on memories names the tenant as a constant: planned for this call
-- (plan_cache_mode = force_custom_plan), the planner reads the tenant's partition only, and
-- unset filters fold away. The exact path and the count are static SQL (parsed once per
-- session); the ANN query, whose cast carries the model's dimensions, and a metadata filter,
-- whose keys are literals, are built per call. ef_search tunes the ANN path (default:
-- settings.search.ef_search; 1-1000, the range of pgvector's hnsw.ef_search).
SELECT '[1]'::public.vector;  -- loads pgvector, so the hnsw.* settings below are known
CREATE OR REPLACE FUNCTION cogdb.search_tenant(tenant uuid, query public.vector, k integer DEFAULT 10,
                                        model text DEFAULT NULL,
                                               only_conversation text DEFAULT NULL,
                                        only_source text DEFAULT NULL,
                                        only_context_type text DEFAULT NULL,
                                        tags_any text[] DEFAULT NULL,
                                        created_after timestamptz DEFAULT NULL,
                                        created_before timestamptz DEFAULT NULL,
                                        only_owner uuid DEFAULT NULL,
                                        only_visibility text DEFAULT NULL,
                                        ef_search integer DEFAULT NULL,
                                        metadata_filter jsonb DEFAULT NULL)
    RETURNS TABLE (id text, similarity double precision, conversation_id text,
                   sequence_index integer, human_content text, assistant_content text,
                   summary text, context_type text, source text, created_at timestamptz,
                   expires_at timestamptz, visibility text, owner_user_id uuid, tags jsonb,
                   metadata jsonb,
                   intent_type text, complexity text, technical_depth smallint,
                   emotional_valence text, urgency text, conversation_mode text,
                   action_required boolean, has_code boolean, has_error boolean,
                   cluster_id integer, cluster_label text, cluster_confidence real, plan text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    -- The SET clauses scope the set_config() calls below to this call; the values used
    -- come from cogdb.settings (search.ef_search, search.max_scan_tuples). The lookups
    -- before the memories statements keep their cached plans (auto).
    SET plan_cache_mode = auto
    SET enable_sort = on
    SET hnsw.ef_search = 100
    SET hnsw.iterative_scan = 'relaxed_order'
    SET hnsw.max_scan_tuples = 50000
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := search_tenant.tenant;
    v_model text;
    v_dims integer;
    v_settings jsonb;
    v_max_k integer;
    v_exact_max integer;
    v_index text;
    v_indexed boolean;
    v_visible bigint;
    v_columns constant text :=
        's.id, 1 - s.distance, s.conversation_id, s.sequence_index, s.human_content,'
        ' s.assistant_content, s.summary, s.context_type, s.source, s.created_at,'
        ' s.expires_at, s.visibility, s.owner_user_id, s.tags, s.metadata, s.intent_type,'
        ' s.complexity,'
        ' s.technical_depth, s.emotional_valence, s.urgency, s.conversation_mode,'
        ' s.action_required, s.has_code, s.has_error, s.cluster_id, s.cluster_label,'
        ' s.cluster_confidence';
    v_fields constant text :=
        'm.id, m.conversation_id, m.sequence_index, m.human_content, m.assistant_content,'
        ' m.summary, m.context_type, m.source, m.created_at, m.expires_at, m.visibility,'
        ' m.owner_user_id, m.tags, m.metadata, m.intent_type, m.complexity,'
        ' m.technical_depth, m.emotional_valence, m.urgency, m.conversation_mode,'
        ' m.action_required, m.has_code, m.has_error, m.cluster_id, m.cluster_label,'
        ' m.cluster_confidence';
BEGIN
    IF v_tenant IS NULL OR cogdb.current_tenant_id() IS NULL THEN
        RETURN;  -- no context: nothing is visible
    END IF;
    SELECT jsonb_object_agg(s.key, s.value) INTO v_settings
      FROM cogdb.settings s WHERE s.key LIKE 'search.%';
    v_max_k := v_settings ->> 'search.max_k';
    v_exact_max := v_settings ->> 'search.exact_max_rows';
    IF k IS NULL OR k NOT BETWEEN 1 AND v_max_k THEN
        RAISE EXCEPTION 'k must be between 1 and %, got %', v_max_k, coalesce(k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'k',
                  HINT = 'k is how many memories to return; the maximum is settings.search.max_k.';
    END IF;
    IF ef_search NOT BETWEEN 1 AND 1000 THEN  -- the range pgvector accepts
        RAISE EXCEPTION 'ef_search must be between 1 and 1000, got %', ef_search
            USING ERRCODE = 'CGV01', COLUMN = 'ef_search',
                  HINT = 'Leave it out for the default (settings.search.ef_search); higher '
                         'trades speed for recall.';
    END IF;
    IF only_visibility IS NOT NULL AND NOT only_visibility = ANY (cogdb.allowed_values('visibility')) THEN
        RAISE EXCEPTION 'only_visibility must be private or tenant, got %', quote_literal(only_visibility)
            USING ERRCODE = 'CGV01', COLUMN = 'only_visibility',
                  HINT = 'Leave it out to search everything the context may see.';
    END IF;
    SELECT r.name, r.dimensions INTO v_model, v_dims FROM cogdb.resolve_model(search_tenant.model) r;
    IF query IS NULL OR public.vector_dims(query) <> v_dims THEN
        RAISE EXCEPTION 'query has % dimensions; model % needs %',
                        coalesce(public.vector_dims(query)::text, 'no'), quote_literal(v_model), v_dims
            USING ERRCODE = 'CGV01', COLUMN = 'query',
                  HINT = 'Embed the query with the model the memories were stored with.';
    END IF;
    PERFORM cogdb.check_vector(query, 'query');

    v_index := cogdb.ann_index_name(v_tenant, v_model);
    IF to_regclass('cogdb.' || v_index) IS NOT NULL THEN  -- a cache lookup, no query
        SELECT i.indisvalid INTO v_indexed  -- (NULL if maintain dropped it meanwhile)
          FROM pg_index i WHERE i.indexrelid = to_regclass('cogdb.' || v_index);
    END IF;
    -- From here on, every statement is planned for this call, with the tenant as a constant.
    PERFORM set_config('plan_cache_mode', 'force_custom_plan', true);
    IF v_indexed THEN
        -- Count the candidates the caller may see, stopping just past the exact threshold.
        IF metadata_filter IS NULL THEN
            SELECT count(*) INTO v_visible FROM (
                SELECT FROM cogdb.memories m
                 WHERE m.tenant_id = v_tenant AND m.model = v_model
                   AND (m.expires_at IS NULL OR m.expires_at > now())
                   AND (only_conversation IS NULL OR m.conversation_id = only_conversation)
                   AND (only_source IS NULL OR m.source = only_source)
                   AND (only_context_type IS NULL OR m.context_type = only_context_type)
                   AND (tags_any IS NULL OR m.tags ?| tags_any)
                   AND (created_after IS NULL OR m.created_at >= created_after)
                   AND (created_before IS NULL OR m.created_at < created_before)
                   AND (only_owner IS NULL OR m.owner_user_id = only_owner)
                   AND (only_visibility IS NULL OR m.visibility = only_visibility)
                 LIMIT v_exact_max + 1) c;
        ELSE
            EXECUTE format('SELECT count(*) FROM (SELECT FROM cogdb.memories m'
                           ' WHERE m.tenant_id = %L AND m.model = %L%s LIMIT %s) c',
                           v_tenant, v_model, cogdb.memory_filters_sql(3, metadata_filter),
                           v_exact_max + 1)
               INTO v_visible
              USING query, k, only_conversation, only_source, only_context_type, tags_any,
                    created_after, created_before, only_owner, only_visibility;
        END IF;
        IF v_visible > v_exact_max THEN
            -- Scoped to this call by the SET clauses above.
            PERFORM set_config('hnsw.ef_search',
                               coalesce(ef_search::text, v_settings ->> 'search.ef_search'), true);
            PERFORM set_config('hnsw.max_scan_tuples',
                               v_settings ->> 'search.max_scan_tuples', true);
            -- The index, not a sort of the partition: on a small partition the planner would
            -- rather sort, and `plan` would then name an index the search did not read.
            PERFORM set_config('enable_sort', 'off', true);
            RETURN QUERY EXECUTE format(
                'SELECT %s, %L::text FROM ('
                ' SELECT %s, (m.embedding::public.vector(%s)) OPERATOR(public.<=>) $1 AS distance'
                '   FROM cogdb.memories m WHERE m.tenant_id = %L AND m.model = %L%s'
                '  ORDER BY (m.embedding::public.vector(%s)) OPERATOR(public.<=>) $1 LIMIT $2) s'
                ' ORDER BY s.distance, s.id',
                v_columns, 'ann:' || v_index, v_fields, v_dims, v_tenant, v_model,
                cogdb.memory_filters_sql(3, metadata_filter), v_dims)
              USING query, k, only_conversation, only_source, only_context_type, tags_any,
                    created_after, created_before, only_owner, only_visibility;
            RETURN;
        END IF;
    END IF;

    IF metadata_filter IS NULL THEN
        RETURN QUERY
        SELECT s.id, 1 - s.distance, s.conversation_id, s.sequence_index, s.human_content,
               s.assistant_content, s.summary, s.context_type, s.source, s.created_at,
               s.expires_at, s.visibility, s.owner_user_id, s.tags, s.metadata, s.intent_type,
               s.complexity, s.technical_depth, s.emotional_valence, s.urgency,
               s.conversation_mode, s.action_required, s.has_code, s.has_error, s.cluster_id,
               s.cluster_label, s.cluster_confidence, 'exact'::text
          FROM (SELECT m.id, m.conversation_id, m.sequence_index, m.human_content,
                       m.assistant_content, m.summary, m.context_type, m.source, m.created_at,
                       m.expires_at, m.visibility, m.owner_user_id, m.tags, m.metadata,
                       m.intent_type, m.complexity, m.technical_depth, m.emotional_valence,
                       m.urgency, m.conversation_mode, m.action_required, m.has_code,
                       m.has_error, m.cluster_id, m.cluster_label, m.cluster_confidence,
                       m.embedding OPERATOR(public.<=>) query AS distance
                  FROM cogdb.memories m
                 WHERE m.tenant_id = v_tenant AND m.model = v_model
                   AND (m.expires_at IS NULL OR m.expires_at > now())
                   AND (only_conversation IS NULL OR m.conversation_id = only_conversation)
                   AND (only_source IS NULL OR m.source = only_source)
                   AND (only_context_type IS NULL OR m.context_type = only_context_type)
                   AND (tags_any IS NULL OR m.tags ?| tags_any)
                   AND (created_after IS NULL OR m.created_at >= created_after)
                   AND (created_before IS NULL OR m.created_at < created_before)
                   AND (only_owner IS NULL OR m.owner_user_id = only_owner)
                   AND (only_visibility IS NULL OR m.visibility = only_visibility)) s
         ORDER BY s.distance, s.id
         LIMIT k;
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format(
        'SELECT %s, ''exact''::text FROM ('
        ' SELECT %s, m.embedding OPERATOR(public.<=>) $1 AS distance'
        '   FROM cogdb.memories m WHERE m.tenant_id = %L AND m.model = %L%s) s'
        ' ORDER BY s.distance, s.id LIMIT $2',
        v_columns, v_fields, v_tenant, v_model, cogdb.memory_filters_sql(3, metadata_filter))
      USING query, k, only_conversation, only_source, only_context_type, tags_any,
            created_after, created_before, only_owner, only_visibility;
END
$$;

REVOKE ALL ON FUNCTION cogdb.search_tenant(uuid, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.search_tenant(uuid, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb) TO cogdb_app;
COMMENT ON FUNCTION cogdb.search_tenant(uuid, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb) IS
    'The k memories of one tenant nearest to `query` that the caller may see (its own, or another''s a live grant shares), nearest first; search() calls it per tenant.';
-- <<< sql/functions/search/search_tenant.sql

-- the signature or result changed since revision 0011
DROP FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb);
-- >>> sql/functions/search/search.sql
-- The k memories nearest to `query` that the caller may see, nearest first, each labelled
-- with its tenant (tenant_id). similarity is cosine similarity, 1 - cosine distance (1 = same
-- direction, 0 = orthogonal); ties are broken by id. Expired memories are never returned.
-- Reads only: no access tracking. No context: no rows. The search itself, its filters and
-- its plan (`plan`: exact or ann:<index>) are search_tenant's.
--
-- include_shared => true adds what the live grants the context holds share with it (the
-- fence, memories__tenant_fence, decides which rows): the context's own tenant and each
-- source tenant are searched on their own (search_tenant: each on its own partition and ANN
-- index, so each keeps its recall) and the k nearest of all are returned. The request lasts
-- for this call only (share_request(true), then share_request(false); an error reverts the
-- flag with its transaction or savepoint), and each
-- source tenant whose memories are returned gets a note in its audit chain (note_shared_read:
-- how many, never which). Volatile for that note.
CREATE OR REPLACE FUNCTION cogdb.search(query public.vector, k integer DEFAULT 10,
                                        model text DEFAULT NULL,
                                        only_conversation text DEFAULT NULL,
                                        only_source text DEFAULT NULL,
                                        only_context_type text DEFAULT NULL,
                                        tags_any text[] DEFAULT NULL,
                                        created_after timestamptz DEFAULT NULL,
                                        created_before timestamptz DEFAULT NULL,
                                        only_owner uuid DEFAULT NULL,
                                        only_visibility text DEFAULT NULL,
                                        ef_search integer DEFAULT NULL,
                                        metadata_filter jsonb DEFAULT NULL,
                                        include_shared boolean DEFAULT false)
    RETURNS TABLE (id text, similarity double precision, conversation_id text,
                   sequence_index integer, human_content text, assistant_content text,
                   summary text, context_type text, source text, created_at timestamptz,
                   expires_at timestamptz, visibility text, owner_user_id uuid, tags jsonb,
                   metadata jsonb,
                   intent_type text, complexity text, technical_depth smallint,
                   emotional_valence text, urgency text, conversation_mode text,
                   action_required boolean, has_code boolean, has_error boolean,
                   cluster_id integer, cluster_label text, cluster_confidence real, plan text,
                   tenant_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_sources uuid[];
BEGIN
    IF v_tenant IS NULL THEN
        RETURN;  -- no context: nothing is visible
    END IF;
    IF include_shared IS NOT TRUE THEN
        RETURN QUERY SELECT s.*, v_tenant
                       FROM cogdb.search_tenant(v_tenant, query, k, model, only_conversation, only_source, only_context_type, tags_any, created_after, created_before, only_owner, only_visibility, ef_search, metadata_filter) s;
        RETURN;
    END IF;
    v_sources := cogdb.share_request(true);
    RETURN QUERY
    WITH hits AS MATERIALIZED (
        SELECT s.*, t.tenant
          FROM unnest(v_tenant || v_sources) AS t(tenant),
               LATERAL cogdb.search_tenant(t.tenant, query, k, model, only_conversation, only_source, only_context_type, tags_any, created_after, created_before, only_owner, only_visibility, ef_search, metadata_filter) s
         ORDER BY s.similarity DESC, s.id, t.tenant
         LIMIT k
    ), noted AS (
        SELECT cogdb.note_shared_read(h.tenant, 'search', count(*)::integer)
          FROM hits h WHERE h.tenant <> v_tenant GROUP BY h.tenant
    )
    SELECT h.* FROM hits h
     WHERE (SELECT count(*) FROM noted) >= 0
     ORDER BY h.similarity DESC, h.id, h.tenant;
    PERFORM cogdb.share_request(false);
END
$$;

REVOKE ALL ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, boolean) IS
    'The k memories nearest to `query` that the caller may see, nearest first, labelled with their tenant; include_shared adds what live grants share with the caller.';
-- <<< sql/functions/search/search.sql

-- the signature or result changed since revision 0009
DROP FUNCTION cogdb.get(text);
-- >>> sql/functions/memories/get.sql
-- The memory with this id, if the caller may see it and it has not expired; else no row.
-- An id of another tenant or another user's private memory looks exactly like a missing id.
-- include_shared => true: when the context's own tenant has no such memory, the memories of
-- that id that live grants share with the context, one per source tenant (tenant_id says
-- which), each noted in its source's audit chain (note_shared_read: a count, never the id);
-- the request lasts for this call only (share_request(true), then share_request(false)).
-- Every statement names its tenants as constants (planned per call): the planner reads their
-- partitions only.
CREATE OR REPLACE FUNCTION cogdb.get(id text, include_shared boolean DEFAULT false)
    RETURNS SETOF cogdb.memories
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_sources uuid[];
    v_found uuid[];
    v_source uuid;
BEGIN
    IF v_tenant IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT m.* FROM cogdb.memories m
     WHERE m.tenant_id = v_tenant AND m.id = get.id
       AND (m.expires_at IS NULL OR m.expires_at > now());
    IF FOUND OR include_shared IS NOT TRUE THEN
        RETURN;
    END IF;
    v_sources := cogdb.share_request(true);
    v_found := ARRAY(SELECT m.tenant_id FROM cogdb.memories m
                      WHERE m.tenant_id = ANY (v_sources) AND m.id = get.id
                        AND (m.expires_at IS NULL OR m.expires_at > now()));
    IF cardinality(v_found) = 0 THEN
        PERFORM cogdb.share_request(false);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT m.* FROM cogdb.memories m
     WHERE m.tenant_id = ANY (v_found) AND m.id = get.id
       AND (m.expires_at IS NULL OR m.expires_at > now())
     ORDER BY m.tenant_id;
    FOREACH v_source IN ARRAY v_found LOOP
        PERFORM cogdb.note_shared_read(v_source, 'get', 1);
    END LOOP;
    PERFORM cogdb.share_request(false);
END
$$;

REVOKE ALL ON FUNCTION cogdb.get(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get(text, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get(text, boolean) IS
    'The memory with this id, if the caller may see it and it has not expired; include_shared adds the memories of that id that live grants share with the caller.';
-- <<< sql/functions/memories/get.sql

-- >>> sql/functions/knowledge/record_access.sql
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
-- <<< sql/functions/knowledge/record_access.sql

-- >>> sql/functions/governance/policy_report.sql
-- The DBA report: one row per finding, none when the deployment is as docs/trust-model.md
-- describes it. `cogdb audit policies` prints it and exits non-zero on any row. Checks:
--   rls_not_forced       a table of schema cogdb without row security enabled and forced
--                        (partitions of cogdb.memories are fenced by their parent's policies;
--                        global registries are on policy_report_allowlist());
--   no_tenant_fence      a table without the RESTRICTIVE policy for all commands and roles
--                        `tenant_id = (SELECT cogdb.current_tenant_id())` (allowlist: exempt;
--                        memories: tenant_id among cogdb.readable_tenants() AND (that
--                        comparison OR its live read grants, cogdb.grant_covers),
--                        for reads only — WITH CHECK stays the comparison; the grants
--                        themselves are listed by cogdb.share_report(), not findings);
--   definer_search_path  a SECURITY DEFINER function of schema cogdb without a pinned
--                        search_path ending in pg_temp (docs/conventions.md rule 2);
--   definer_public_execute  a SECURITY DEFINER function that PUBLIC may execute;
--   app_login_privileged a login that is a member of cogdb_app (directly or through other
--                        roles) and is superuser, BYPASSRLS or a member of cogdb_owner: RLS
--                        would not apply to it;
--   app_login_timeouts   a login member of cogdb_app without lock_timeout or
--                        idle_in_transaction_session_timeout (ALTER ROLE … SET, for this
--                        database or all; 0 counts as unset): it could stall every tenant
--                        behind a lock (docs/trust-model.md, Known limits);
--   public_database_access  CONNECT or TEMPORARY on the current database granted to PUBLIC
--                        (PostgreSQL's default on a new database);
--   policy_per_row_helper a policy of schema cogdb that calls a context helper
--                        (current_tenant_id, current_user_id, context_stamp,
--                        retention_horizon, retention_cutoffs) or reads app.* settings per row, not once per
--                        query inside a sub-select (an InitPlan; docs/conventions.md rule 3).
-- Invoker: it reads only catalogs that every login may read, so the auditor runs it as itself.
CREATE OR REPLACE FUNCTION cogdb.policy_report()
    RETURNS TABLE (finding text, object text, detail text, hint text)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE
    allow AS (SELECT * FROM cogdb.policy_report_allowlist()),
    tabs AS (
        SELECT c.oid, c.relname::text AS relname, c.relrowsecurity, c.relforcerowsecurity
          FROM pg_class c
         WHERE c.relnamespace = 'cogdb'::regnamespace AND c.relkind IN ('r', 'p')
           AND NOT EXISTS (SELECT FROM pg_inherits i
                            WHERE i.inhrelid = c.oid
                              AND i.inhparent = 'cogdb.memories'::regclass)),
    -- every (member, role) pair of pg_auth_members, transitively
    membership(member, roleid) AS (
        SELECT a.member, a.roleid FROM pg_auth_members a
        UNION
        SELECT a.member, m.roleid FROM pg_auth_members a JOIN membership m ON m.member = a.roleid),
    app_logins AS (
        SELECT r.oid, r.rolname::text AS rolname, r.rolsuper, r.rolbypassrls,
               EXISTS (SELECT FROM membership m WHERE m.member = r.oid
                          AND m.roleid = 'cogdb_owner'::regrole) AS owner_member
          FROM pg_roles r
         WHERE r.rolcanlogin
           AND EXISTS (SELECT FROM membership m WHERE m.member = r.oid
                          AND m.roleid = 'cogdb_app'::regrole)),
    login_settings AS (
        SELECT l.oid, split_part(cfg, '=', 1) AS name, substr(cfg, strpos(cfg, '=') + 1) AS value
          FROM app_logins l
          JOIN pg_db_role_setting s
            ON s.setrole IN (l.oid, 0)
           AND s.setdatabase IN (0, (SELECT d.oid FROM pg_database d
                                      WHERE d.datname = current_database()))
          CROSS JOIN LATERAL unnest(s.setconfig) cfg),
    definers AS (
        SELECT p.oid, p.oid::regprocedure::text AS signature, p.proacl,
               (SELECT substr(cfg, 13) FROM unnest(p.proconfig) cfg
                 WHERE cfg LIKE 'search_path=%') AS search_path
          FROM pg_proc p
         WHERE p.pronamespace = 'cogdb'::regnamespace AND p.prosecdef),
    helpers(pattern) AS (
        VALUES ('(current_tenant_id|current_user_id|context_stamp|retention_cutoffs|retention_horizon)\(|current_setting\(''app\.')),
    policies AS (
        SELECT p.tablename::text || '.' || p.policyname::text AS name,
               -- the helpers read once per query: ( SELECT cogdb.h() AS h), removed
               regexp_replace(coalesce(p.qual, '') || ' ' || coalesce(p.with_check, ''),
                              '\( SELECT cogdb\.(current_tenant_id|current_user_id|context_stamp|retention_cutoffs|retention_horizon)\(\) AS \1\)',
                              '', 'g') AS rest
          FROM pg_policies p WHERE p.schemaname = 'cogdb')
    SELECT 'rls_not_forced', 'cogdb.' || t.relname,
           CASE WHEN NOT t.relrowsecurity THEN 'row level security is not enabled'
                ELSE 'row level security is enabled but not forced (the owner bypasses it)' END,
           format('ALTER TABLE cogdb.%I ENABLE ROW LEVEL SECURITY; ALTER TABLE cogdb.%I FORCE ROW LEVEL SECURITY;',
                  t.relname, t.relname)
      FROM tabs t
     WHERE NOT (t.relrowsecurity AND t.relforcerowsecurity)
       AND NOT EXISTS (SELECT FROM allow a WHERE a.table_name = t.relname AND a.exempt = 'rls')
    UNION ALL
    SELECT 'no_tenant_fence', 'cogdb.' || t.relname,
           'no RESTRICTIVE policy FOR ALL TO PUBLIC USING (tenant_id = (SELECT cogdb.current_tenant_id()))',
           format('CREATE POLICY %I ON cogdb.%I AS RESTRICTIVE FOR ALL TO PUBLIC USING (tenant_id = (SELECT cogdb.current_tenant_id())) WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id())); or list it in cogdb.policy_report_allowlist() with the reason',
                  t.relname || '__tenant_fence', t.relname)
      FROM tabs t
     WHERE NOT EXISTS (SELECT FROM allow a WHERE a.table_name = t.relname)
       AND NOT EXISTS (
           SELECT FROM pg_policies p
            WHERE p.schemaname = 'cogdb' AND p.tablename = t.relname
              AND p.permissive = 'RESTRICTIVE' AND p.cmd = 'ALL' AND p.roles = '{public}'
              AND (p.qual = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   AND (p.with_check IS NULL OR p.with_check = p.qual)
                   -- memories: the fence widened by live read grants (sharing), never for
                   -- writes; every live grant is listed by cogdb.share_report()
                   OR t.relname = 'memories'
                   AND p.qual = '((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR cogdb.grant_covers((( SELECT cogdb.live_grants() AS live_grants) -> (tenant_id)::text), visibility, id, context_type, tags, created_at, anonymised_at)))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'))
    UNION ALL
    SELECT 'definer_search_path', d.signature,
           coalesce('search_path is ' || d.search_path, 'search_path is not set'),
           format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp;', d.signature)
      FROM definers d
     WHERE d.search_path IS NULL
        OR btrim((string_to_array(d.search_path, ','))[cardinality(string_to_array(d.search_path, ','))], ' "') <> 'pg_temp'
    UNION ALL
    SELECT 'definer_public_execute', d.signature,
           'PUBLIC may execute this SECURITY DEFINER function',
           format('REVOKE ALL ON FUNCTION %s FROM PUBLIC; then GRANT EXECUTE to the roles that need it', d.signature)
      FROM definers d
     WHERE d.proacl IS NULL
        OR EXISTS (SELECT FROM aclexplode(d.proacl) x
                    WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE')
    UNION ALL
    SELECT 'app_login_privileged', l.rolname,
           'member of cogdb_app and ' || concat_ws(', ',
               CASE WHEN l.rolsuper THEN 'superuser' END,
               CASE WHEN l.rolbypassrls THEN 'BYPASSRLS' END,
               CASE WHEN l.owner_member THEN 'a member of cogdb_owner' END)
               || ': row level security does not apply to it',
           format('Use a separate login for the app: ALTER ROLE %I NOSUPERUSER NOBYPASSRLS; REVOKE cogdb_owner FROM %I;',
                  l.rolname, l.rolname)
      FROM app_logins l
     WHERE l.rolsuper OR l.rolbypassrls OR l.owner_member
    UNION ALL
    SELECT 'app_login_timeouts', l.rolname,
           'member of cogdb_app without ' || concat_ws(' and ',
               CASE WHEN NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                                        AND s.name = 'lock_timeout' AND s.value NOT IN ('0', ''))
                    THEN 'lock_timeout' END,
               CASE WHEN NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                                        AND s.name = 'idle_in_transaction_session_timeout'
                                        AND s.value NOT IN ('0', ''))
                    THEN 'idle_in_transaction_session_timeout' END),
           format('ALTER ROLE %I SET lock_timeout = ''5s''; ALTER ROLE %I SET idle_in_transaction_session_timeout = ''60s'';',
                  l.rolname, l.rolname)
      FROM app_logins l
     WHERE NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                          AND s.name = 'lock_timeout' AND s.value NOT IN ('0', ''))
        OR NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                          AND s.name = 'idle_in_transaction_session_timeout'
                          AND s.value NOT IN ('0', ''))
    UNION ALL
    SELECT 'public_database_access', 'database ' || d.datname::text,
           'PUBLIC has ' || string_agg(x.privilege_type, ' and ' ORDER BY x.privilege_type)
               || ' on the database',
           format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC; GRANT CONNECT ON DATABASE %I TO cogdb_app, cogdb_admin, cogdb_auditor; GRANT TEMPORARY ON DATABASE %I TO cogdb_app, cogdb_owner;',
                  d.datname, d.datname, d.datname)
      FROM pg_database d
      CROSS JOIN LATERAL aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) x
     WHERE d.datname = current_database() AND x.grantee = 0
       AND x.privilege_type IN ('CONNECT', 'TEMPORARY')
     GROUP BY d.datname
    UNION ALL
    SELECT 'policy_per_row_helper', 'policy ' || p.name,
           'calls a context helper (or reads app.* settings) per row, outside a sub-select',
           'Wrap the helper in a sub-select, (SELECT cogdb.current_tenant_id()), so it is an InitPlan read once per query'
      FROM policies p
     WHERE p.rest ~ (SELECT h.pattern FROM helpers h)
    ORDER BY 1, 2
$$;

REVOKE ALL ON FUNCTION cogdb.policy_report() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.policy_report() TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.policy_report() IS
    'The DBA report: one row per finding (tables without forced RLS or a tenant fence, definer functions without a pinned search_path or executable by PUBLIC, privileged or timeout-less app logins, PUBLIC access to the database, policies that read the context per row); none when all is well.';
-- <<< sql/functions/governance/policy_report.sql

RESET ROLE;
