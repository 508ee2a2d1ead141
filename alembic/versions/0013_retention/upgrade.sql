-- cogdb revision 0013 (retention): written by `python -m tools.freeze 0013` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> step 10_memories.sql
-- When the retention purge anonymised a memory (NULL: never). A new nullable column without
-- a default: no rewrite of the table or its partitions.
ALTER TABLE cogdb.memories ADD COLUMN anonymised_at timestamptz;
-- memories__retained reads created_at, anonymised_at, context_type and source besides
-- expires_at: the index that lets search count visible candidates without the heap includes
-- them. Rebuilt on every partition, in the migration's transaction (writes to memories wait
-- for it: on a large deployment, migrate at a quiet time).
DROP INDEX cogdb.memories_tenant_model_visibility_idx;
CREATE INDEX memories_tenant_model_visibility_idx
    ON ONLY cogdb.memories (tenant_id, model, visibility, owner_user_id)
    INCLUDE (expires_at, created_at, anonymised_at, context_type, source);
-- Each partition's index under the name move_to_partition gives it (<partition>_<suffix>),
-- attached: the names survive a downgrade through revision 0009.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT h.inhrelid::regclass AS part, c.relname FROM pg_inherits h
               JOIN pg_class c ON c.oid = h.inhrelid
              WHERE h.inhparent = 'cogdb.memories'::regclass
    LOOP
        EXECUTE format('CREATE INDEX %I ON %s (tenant_id, model, visibility, owner_user_id)'
                       ' INCLUDE (expires_at, created_at, anonymised_at, context_type, source)',
                       r.relname || '_tenant_model_visibility_idx', r.part);
        EXECUTE format('ALTER INDEX cogdb.memories_tenant_model_visibility_idx ATTACH PARTITION cogdb.%I',
                       r.relname || '_tenant_model_visibility_idx');
    END LOOP;
END
$$;
-- <<< step 10_memories.sql

-- >>> sql/tables/retention_policies.sql
-- A tenant's retention policies: how long memories of a context type and source live
-- (max_age, counted from created_at) and how many of the newest are kept (max_count), and
-- what the purge does to the rest (delete, or anonymise: keep the row, blank what identifies
-- a person; see cogdb.purge_retention). '*' matches any context type or source; a memory is
-- governed by its most specific policy: (type, source), then (type, '*'), then ('*', source),
-- then ('*', '*'). A policy with neither limit keeps its memories (an exception to a wider
-- policy). Over-age memories are invisible to the app at once (policy memories__retained,
-- which reads this table once per query through cogdb.retention_cutoffs); over-count ones
-- stay visible until the purge. Written by cogdb_admin's definer functions only.
CREATE TABLE cogdb.retention_policies (
    tenant_id    uuid NOT NULL DEFAULT cogdb.current_tenant_id()
                 REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    context_type text NOT NULL DEFAULT '*' CHECK (length(context_type) BETWEEN 1 AND 64),
    source       text NOT NULL DEFAULT '*' CHECK (length(source) BETWEEN 1 AND 64),
    max_age      interval CHECK (max_age > interval '0'),
    max_count    integer CHECK (max_count >= 1),
    action       text NOT NULL DEFAULT 'delete' CHECK (action IN ('delete', 'anonymise')),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, context_type, source)
);
ALTER TABLE cogdb.retention_policies ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.retention_policies FORCE ROW LEVEL SECURITY;
-- The app reads its own tenant's policies (memories__retained does, as the app); it never
-- writes them.
GRANT SELECT ON cogdb.retention_policies TO cogdb_app;
COMMENT ON TABLE cogdb.retention_policies IS
    'Per-tenant retention policies by context type and source: maximum age, maximum count, and the purge''s action (delete or anonymise). Fenced by tenant (RLS).';
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.context_type || '/' || r.source.
CREATE TRIGGER retention_policies_audit_inserts AFTER INSERT ON cogdb.retention_policies
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.context_type || ''/'' || r.source');
CREATE TRIGGER retention_policies_audit_updates AFTER UPDATE ON cogdb.retention_policies
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.context_type || ''/'' || r.source');
CREATE TRIGGER retention_policies_audit_deletes AFTER DELETE ON cogdb.retention_policies
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.context_type || ''/'' || r.source');
-- <<< sql/tables/retention_policies.sql

-- >>> sql/tables/retention_holds.sql
-- Legal holds: while a tenant (user_id NULL) or one of its users is held, the purge
-- (cogdb.purge_retention) touches none of the tenant's memories, or none that the user
-- owns. A hold does not change what the app sees: over-age memories stay invisible, and
-- kept. Deleting a held user is refused (the foreign key) until the hold is released.
CREATE TABLE cogdb.retention_holds (
    tenant_id  uuid NOT NULL DEFAULT cogdb.current_tenant_id()
               REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    user_id    uuid,
    reason     text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
    placed_at  timestamptz NOT NULL DEFAULT now(),
    placed_by  text NOT NULL DEFAULT session_user,
    CONSTRAINT retention_holds_tenant_user_key UNIQUE NULLS NOT DISTINCT (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES cogdb.users (tenant_id, id)
);
ALTER TABLE cogdb.retention_holds ALTER COLUMN reason SET STATISTICS 0;
ALTER TABLE cogdb.retention_holds ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.retention_holds FORCE ROW LEVEL SECURITY;
-- The app may see that its tenant is held; it never places or releases a hold.
GRANT SELECT ON cogdb.retention_holds TO cogdb_app;
COMMENT ON TABLE cogdb.retention_holds IS
    'Legal holds on a tenant (user_id NULL) or a user: the retention purge skips what they hold. Fenced by tenant (RLS).';
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is coalesce(r.user_id::text, '*').
CREATE TRIGGER retention_holds_audit_inserts AFTER INSERT ON cogdb.retention_holds
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('coalesce(r.user_id::text, ''*'')');
CREATE TRIGGER retention_holds_audit_updates AFTER UPDATE ON cogdb.retention_holds
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('coalesce(r.user_id::text, ''*'')');
CREATE TRIGGER retention_holds_audit_deletes AFTER DELETE ON cogdb.retention_holds
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('coalesce(r.user_id::text, ''*'')');
-- <<< sql/tables/retention_holds.sql

-- >>> sql/policies/retention_policies__tenant_fence.sql
-- The tenant fence on retention_policies: a row is readable and writable only inside its own tenant's
-- context. RESTRICTIVE, so no permissive policy added later can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS retention_policies__tenant_fence ON cogdb.retention_policies;
CREATE POLICY retention_policies__tenant_fence ON cogdb.retention_policies
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/retention_policies__tenant_fence.sql

-- >>> sql/policies/retention_policies__inside_fence.sql
-- Lets rows through the fence: RLS shows nothing without at least one permissive policy.
-- All filtering is the fence's (retention_policies__tenant_fence): a tenant's rows are its
-- administrators' to set and every user's to read.
DROP POLICY IF EXISTS retention_policies__inside_fence ON cogdb.retention_policies;
CREATE POLICY retention_policies__inside_fence ON cogdb.retention_policies
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/retention_policies__inside_fence.sql

-- >>> sql/policies/retention_holds__tenant_fence.sql
-- The tenant fence on retention_holds: a row is readable and writable only inside its own tenant's
-- context. RESTRICTIVE, so no permissive policy added later can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS retention_holds__tenant_fence ON cogdb.retention_holds;
CREATE POLICY retention_holds__tenant_fence ON cogdb.retention_holds
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/retention_holds__tenant_fence.sql

-- >>> sql/policies/retention_holds__inside_fence.sql
-- Lets rows through the fence: RLS shows nothing without at least one permissive policy.
-- All filtering is the fence's (retention_holds__tenant_fence): a tenant's rows are its
-- administrators' to set and every user's to read.
DROP POLICY IF EXISTS retention_holds__inside_fence ON cogdb.retention_holds;
CREATE POLICY retention_holds__inside_fence ON cogdb.retention_holds
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/retention_holds__inside_fence.sql

-- >>> sql/functions/retention/retention_horizon.sql
-- The youngest age cutoff of the context tenant's policies: now() minus the shortest max_age;
-- a memory created after it is kept by every policy, so memories__retained looks no further
-- for it. '-infinity' when no policy of the tenant has a max_age (or there is no context):
-- every memory passes with one comparison. Read once per query (an InitPlan in the policy).
CREATE OR REPLACE FUNCTION cogdb.retention_horizon() RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT coalesce(pg_catalog.now() - min(p.max_age), '-infinity'::timestamptz)
      FROM cogdb.retention_policies p
     WHERE p.tenant_id = cogdb.current_tenant_id()
$$;

REVOKE ALL ON FUNCTION cogdb.retention_horizon() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.retention_horizon() TO cogdb_app;
COMMENT ON FUNCTION cogdb.retention_horizon() IS
    'The youngest retention age cutoff of the context tenant (now() minus the shortest max_age), -infinity without an age limit; read once per query by memories__retained.';
-- <<< sql/functions/retention/retention_horizon.sql

-- >>> sql/functions/retention/retention_cutoffs.sql
-- The context tenant's age cutoffs, for memories__retained: {context_type: {source: cutoff}}
-- with '*' for any, cutoff = now() - max_age ('-infinity' for a policy without max_age,
-- which keeps its memories against a wider policy); NULL when no policy of the tenant has a
-- max_age (or there is no context). Read once per query (an InitPlan in the policy), and
-- only when a memory is older than retention_horizon(); as the caller: the app may read its
-- own tenant's policies. Names the tenant (docs/conventions.md rule 3).
CREATE OR REPLACE FUNCTION cogdb.retention_cutoffs() RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT jsonb_object_agg(g.context_type, g.cutoffs)
      FROM (SELECT p.context_type, bool_or(p.max_age IS NOT NULL) AS limited,
                   jsonb_object_agg(p.source, coalesce(pg_catalog.now() - p.max_age,
                                                       '-infinity'::timestamptz)) AS cutoffs
              FROM cogdb.retention_policies p
             WHERE p.tenant_id = cogdb.current_tenant_id()
             GROUP BY p.context_type) g
    HAVING bool_or(g.limited)
$$;

REVOKE ALL ON FUNCTION cogdb.retention_cutoffs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.retention_cutoffs() TO cogdb_app;
COMMENT ON FUNCTION cogdb.retention_cutoffs() IS
    'The context tenant''s retention age cutoffs as {context_type: {source: timestamptz}}, NULL without an age limit; read once per query by memories__retained.';
-- <<< sql/functions/retention/retention_cutoffs.sql

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
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_saved text[];
    v_result jsonb;
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
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
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_saved text[];
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
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
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_saved text[];
    v_found boolean;
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
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
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_user uuid := cogdb.parse_uuid(user_id, 'user_id');
    v_saved text[];
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
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
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_user uuid := cogdb.parse_uuid(user_id, 'user_id');
    v_saved text[];
    v_found boolean;
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
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
-- Anonymise keeps the row (id, owner, visibility, type, source, times, session, counts) and
-- sets human_content '', assistant_content '[anonymised]', summary, conversation_id and
-- cluster_label NULL, tags [], metadata {}, the embedding a fixed unit vector (the text could
-- be approximated from it) and anonymised_at now().
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
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_saved text[];
    v_held uuid[];
    v_owner uuid;
    v_left integer := batch;
    v_delete text[];
    v_anonymise text[];
    v_n integer;
BEGIN
    IF v_tenant IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_tenant) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
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
            UPDATE cogdb.memories m
               SET human_content = '', assistant_content = '[anonymised]', summary = NULL,
                   conversation_id = NULL, cluster_label = NULL, tags = '[]', metadata = '{}',
                   embedding = ('[1' || repeat(',0', public.vector_dims(m.embedding) - 1)
                                || ']')::public.vector,
                   anonymised_at = now()
             WHERE m.tenant_id = v_tenant AND m.id = ANY (v_anonymise);
            GET DIAGNOSTICS v_n = ROW_COUNT;
            anonymised := anonymised + v_n;
            v_left := v_left - cardinality(v_anonymise);
        END IF;
    END LOOP;
    more := v_left <= 0;
    PERFORM cogdb.restore_context(v_saved);
    RETURN NEXT;
END
$$;

REVOKE ALL ON FUNCTION cogdb.purge_retention(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.purge_retention(text, integer) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.purge_retention(text, integer) IS
    'One bounded batch of a tenant''s retention purge: deletes or anonymises at most batch due memories (expired, over-age, over-count), skipping what legal holds keep; more = call again.';
-- <<< sql/functions/retention/purge_retention.sql

-- >>> sql/functions/memories/remember_many.sql
-- Stores a batch of memories in one statement and returns (ordinality, id) in input order.
-- `memories` is a JSON array of objects keyed by memory column names; `embeddings` holds one
-- vector per object, same order. All-or-nothing: one bad row refuses the whole batch.
-- Tenant and owner come from the context, never from the input (such keys are refused).
-- The model is resolved once for the batch (check_memory_batch checks each embedding's
-- dimensions against it, once per statement).
CREATE OR REPLACE FUNCTION cogdb.remember_many(memories jsonb, embeddings public.vector[],
                                               model text DEFAULT NULL)
    RETURNS TABLE (ordinality bigint, id text)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_model text;
    v_unknown text;
    v_bad_ord bigint;
    v_bad_key text;
    v_bad_type text;
BEGIN
    PERFORM cogdb.require_tenant('writing memories');
    SELECT r.name INTO v_model FROM cogdb.resolve_model(remember_many.model) r;
    IF jsonb_typeof(memories) IS DISTINCT FROM 'array'
       OR EXISTS (SELECT FROM jsonb_array_elements(memories) e WHERE jsonb_typeof(e) <> 'object')
    THEN
        RAISE EXCEPTION 'memories must be a JSON array of objects'
            USING ERRCODE = 'CGV01', COLUMN = 'memories',
                  HINT = 'e.g. ''[{"human_content": "…", "assistant_content": "…"}]''';
    END IF;
    IF jsonb_array_length(memories) <> coalesce(cardinality(embeddings), 0) THEN
        RAISE EXCEPTION '% memories but % embeddings; they must pair up one to one',
                        jsonb_array_length(memories), coalesce(cardinality(embeddings), 0)
            USING ERRCODE = 'CGV01', COLUMN = 'embeddings',
                  HINT = 'Pass one vector per memory, in the same order.';
    END IF;
    SELECT string_agg(DISTINCT k, ', ' ORDER BY k) INTO v_unknown
      FROM jsonb_array_elements(memories) e, jsonb_object_keys(e) k
     WHERE k <> ALL (ARRAY['id', 'conversation_id', 'sequence_index', 'human_content',
                           'assistant_content', 'summary', 'context_type', 'source',
                           'created_at', 'expires_at', 'visibility', 'intent_type',
                           'complexity', 'technical_depth', 'emotional_valence', 'urgency',
                           'conversation_mode', 'action_required', 'has_code', 'has_error',
                           'tags', 'metadata', 'cluster_id', 'cluster_label',
                           'cluster_confidence', 'access_count', 'last_accessed', 'session_id']);
    IF v_unknown IS NOT NULL THEN
        RAISE EXCEPTION 'unknown memory field(s): %', v_unknown
            USING ERRCODE = 'CGV01', COLUMN = split_part(v_unknown, ',', 1),
                  HINT = 'tenant_id and owner_user_id come from the context; other names are '
                         'the columns of cogdb.memories.';
    END IF;

    BEGIN
    RETURN QUERY
    WITH input AS (
        SELECT r.ord, coalesce(r.id, cogdb.new_memory_id()) AS id, r.conversation_id,
               coalesce(r.sequence_index, 0) AS sequence_index,
               coalesce(r.human_content, '') AS human_content,
               coalesce(r.assistant_content, '') AS assistant_content, r.summary,
               coalesce(r.context_type, 'conversation') AS context_type,
               coalesce(r.source, 'api') AS source, coalesce(r.created_at, now()) AS created_at,
               r.expires_at, coalesce(r.visibility, 'tenant') AS visibility, r.intent_type,
               r.complexity, r.technical_depth, r.emotional_valence, r.urgency,
               r.conversation_mode, coalesce(r.action_required, false) AS action_required,
               coalesce(r.has_code, false) AS has_code, coalesce(r.has_error, false) AS has_error,
               coalesce(r.tags, '[]') AS tags, coalesce(r.metadata, '{}') AS metadata,
               coalesce(r.cluster_id, -1) AS cluster_id,
               r.cluster_label, r.cluster_confidence,
               coalesce(r.access_count, 0) AS access_count, r.last_accessed,
               r.session_id, embeddings[r.ord] AS embedding
          FROM ROWS FROM (jsonb_to_recordset(memories) AS (
                   id text, conversation_id text, sequence_index integer, human_content text,
                   assistant_content text, summary text, context_type text, source text,
                   created_at timestamptz, expires_at timestamptz, visibility text,
                   intent_type text, complexity text, technical_depth smallint,
                   emotional_valence text, urgency text, conversation_mode text,
                   action_required boolean, has_code boolean, has_error boolean, tags jsonb,
                   metadata jsonb, cluster_id integer, cluster_label text, cluster_confidence real,
                   access_count integer, last_accessed timestamptz, session_id uuid))
               WITH ORDINALITY AS r(id, conversation_id, sequence_index, human_content,
                   assistant_content, summary, context_type, source, created_at, expires_at,
                   visibility, intent_type, complexity, technical_depth, emotional_valence,
                   urgency, conversation_mode, action_required, has_code, has_error, tags,
                   metadata, cluster_id, cluster_label, cluster_confidence, access_count,
                   last_accessed, session_id, ord)
    ), inserted AS (  -- a data-modifying WITH runs whether or not it is read
        INSERT INTO cogdb.memories AS m (
            id, conversation_id, sequence_index, human_content, assistant_content, summary,
            context_type, source, created_at, expires_at, visibility, intent_type, complexity,
            technical_depth, emotional_valence, urgency, conversation_mode, action_required,
            has_code, has_error, tags, metadata, cluster_id, cluster_label, cluster_confidence,
            access_count, last_accessed, session_id, model, embedding)
        SELECT i.id, i.conversation_id, i.sequence_index, i.human_content, i.assistant_content,
               i.summary, i.context_type, i.source, i.created_at, i.expires_at, i.visibility,
               i.intent_type, i.complexity, i.technical_depth, i.emotional_valence, i.urgency,
               i.conversation_mode, i.action_required, i.has_code, i.has_error, i.tags,
               i.metadata, i.cluster_id, i.cluster_label, i.cluster_confidence, i.access_count,
               i.last_accessed, i.session_id, v_model, i.embedding
          FROM input i ORDER BY i.ord
    )
    -- Every row is inserted or the statement fails, so the ids are the input's. No RETURNING:
    -- it would hold each new row to the SELECT policies, and a memory that arrives already
    -- over its retention age (memories__retained) is stored, invisible, until the purge.
    SELECT i.ord, i.id FROM input i ORDER BY i.ord;
    EXCEPTION WHEN data_exception THEN
        -- A JSON value that does not convert to its column's type. Only this error path
        -- pays for finding which memory and field it was.
        SELECT e.ord, t.key, t.typ INTO v_bad_ord, v_bad_key, v_bad_type
          FROM jsonb_array_elements(memories) WITH ORDINALITY AS e(obj, ord),
               (VALUES ('sequence_index', 'integer'), ('technical_depth', 'smallint'),
                       ('cluster_id', 'integer'), ('access_count', 'integer'),
                       ('cluster_confidence', 'real'), ('created_at', 'timestamptz'),
                       ('expires_at', 'timestamptz'), ('last_accessed', 'timestamptz'),
                       ('action_required', 'boolean'), ('has_code', 'boolean'),
                       ('has_error', 'boolean'), ('session_id', 'uuid')) AS t(key, typ)
         WHERE jsonb_typeof(e.obj -> t.key) NOT IN ('null')
           AND (jsonb_typeof(e.obj -> t.key) IN ('array', 'object')
                OR NOT pg_input_is_valid(e.obj ->> t.key, t.typ))
         ORDER BY e.ord
         LIMIT 1;
        IF v_bad_key IS NULL THEN
            RAISE;
        END IF;
        RAISE EXCEPTION '% of memory #% must be of type %, got %', v_bad_key, v_bad_ord,
                        v_bad_type, left((memories -> (v_bad_ord::integer - 1) -> v_bad_key)::text, 60)
            USING ERRCODE = 'CGV01', COLUMN = v_bad_key,
                  HINT = 'Numbers as JSON numbers, timestamps as ISO 8601 strings, session_id as a UUID string.';
    END;
END
$$;

REVOKE ALL ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.remember_many(jsonb, public.vector[], text) IS
    'Stores a batch of memories in one statement and returns (ordinality, id) in input order.';
-- <<< sql/functions/memories/remember_many.sql

-- >>> sql/policies/memories__retained.sql
-- What the app reads of memories is what retention keeps: not expired (expires_at), and not
-- older than the tenant's retention policy for its context type and source allows
-- (retention_policies.max_age; the most specific policy decides), unless the purge has
-- anonymised it already. Applies from the moment a memory expires, before any purge, to
-- every read as the app: search, get, list, traversal, plain SELECT (and the rows an UPDATE or
-- DELETE reads). RESTRICTIVE, FOR SELECT, TO cogdb_app: the owner's purge still sees what it
-- removes. Once per query, never per row: the helpers are InitPlans, evaluated when first
-- needed. retention_horizon() is the youngest cutoff ('-infinity' without an age limit): a
-- memory created after it is kept whatever its type, for one comparison; only older ones
-- look up their most specific cutoff in retention_cutoffs() ({context_type: {source:
-- timestamptz}}, NULL without an age limit).
DROP POLICY IF EXISTS memories__retained ON cogdb.memories;
CREATE POLICY memories__retained ON cogdb.memories
    AS RESTRICTIVE FOR SELECT TO cogdb_app
    USING ((expires_at IS NULL OR expires_at > now())
           AND (created_at > (SELECT cogdb.retention_horizon())
                OR anonymised_at IS NOT NULL
                OR (SELECT cogdb.retention_cutoffs()) IS NULL
                OR created_at > coalesce((SELECT cogdb.retention_cutoffs()) -> context_type ->> source,
                                         (SELECT cogdb.retention_cutoffs()) -> context_type ->> '*',
                                         (SELECT cogdb.retention_cutoffs()) -> '*' ->> source,
                                         (SELECT cogdb.retention_cutoffs()) -> '*' ->> '*',
                                         '-infinity')::timestamptz));
-- <<< sql/policies/memories__retained.sql

-- >>> sql/functions/governance/policy_report_allowlist.sql
-- The tables of schema cogdb that the DBA report (policy_report) exempts, with the reason.
-- exempt = 'rls': a global registry without tenant data and without row-level security;
-- exempt = 'fence': row security enabled and forced, but no tenant fence (the table is not
-- per-tenant, or it is owner-only: RLS forced, one policy for cogdb_owner, no grants, read
-- only through definer functions that filter the tenant themselves; see docs/trust-model.md).
-- A table added later is on neither list, so the report flags it until it is fenced.
CREATE OR REPLACE FUNCTION cogdb.policy_report_allowlist()
    RETURNS TABLE (table_name text, exempt text, reason text)
    LANGUAGE sql IMMUTABLE SECURITY INVOKER
AS $$
    VALUES
      ('settings', 'rls', 'deployment-wide settings (search.max_k, default_model); no tenant data'),
      ('embedding_models', 'rls', 'admin-managed registry of embedding models, shared by all tenants'),
      ('vocabularies', 'rls', 'admin-managed allowed values of enumerated memory fields, shared by all tenants'),
      ('alembic_version', 'rls', 'Alembic''s bookkeeping (one revision id)'),
      ('tenants', 'fence', 'the tenant registry: each row is a tenant, the app reads its own row only (tenants__own_row); provisioning is definer'),
      ('identities', 'fence', 'owner-only: the global directory of logins (auth_provider, external_id), resolved before any context exists'),
      ('memory_counts', 'fence', 'owner-only: append-only tenant sizes that cogdb maintain reads across tenants'),
      ('text_index', 'fence', 'owner-only: the full-text index (a GIN index is unusable under an RLS condition); text_candidates filters the tenant itself'),
      ('tenant_stats', 'fence', 'owner-only: append-only per-tenant counters, read for one tenant by stats()/tenant_stats()'),
      ('memory_accesses', 'fence', 'owner-only: append-only access log folded into memories by cogdb maintain'),
      ('audit_heads', 'fence', 'owner-only: each tenant''s audit chain head, locked and advanced by audit_append, which names the tenant'),
      ('audit_pending', 'fence', 'owner-only: audit records of transactions in flight, chained at their commit by audit_flush')
$$;

REVOKE ALL ON FUNCTION cogdb.policy_report_allowlist() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.policy_report_allowlist() TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.policy_report_allowlist() IS
    'The tables of schema cogdb that the DBA report exempts from row security (rls) or from the tenant fence (fence), with the reason.';
-- <<< sql/functions/governance/policy_report_allowlist.sql

-- >>> sql/functions/governance/policy_report.sql
-- The DBA report: one row per finding, none when the deployment is as docs/trust-model.md
-- describes it. `cogdb audit policies` prints it and exits non-zero on any row. Checks:
--   rls_not_forced       a table of schema cogdb without row security enabled and forced
--                        (partitions of cogdb.memories are fenced by their parent's policies;
--                        global registries are on policy_report_allowlist());
--   no_tenant_fence      a table without the RESTRICTIVE policy for all commands and roles
--                        `tenant_id = (SELECT cogdb.current_tenant_id())` (allowlist: exempt);
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
              AND p.qual = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
              AND (p.with_check IS NULL OR p.with_check = p.qual))
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
           format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC; GRANT CONNECT ON DATABASE %I TO cogdb_app, cogdb_admin, cogdb_auditor; GRANT TEMPORARY ON DATABASE %I TO cogdb_app;',
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
